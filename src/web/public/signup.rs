//! F4 pages: `/signup` (the form), `/signup/verify` (the email code), and the partner's
//! `/signup/status/{token}` page with "Withdraw".

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::packages::{self, Package};
use crate::db::requests::Request;
use crate::domain::FieldErrors;
use crate::domain::request::RequestStatus;
use crate::error::{AppError, AppResult};
use crate::flows::signup::{self, RawSignup, Started, Verified};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::{Notice, PageCtx, render, render_invalid, render_with_status};
use crate::web::public::code_step::{self, CodeForm, Step};
use crate::web::{client_ip, kept, see_other};

const PENDING_KEY: &str = "signup_pending";

#[derive(Serialize, Deserialize)]
struct PendingSignup {
    request_id: Uuid,
    code_id: Uuid,
    email: String,
}

#[derive(Deserialize, Default)]
pub struct SignupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    package: String,
    #[serde(default)]
    accept_terms: Option<String>,
    /// The honeypot: hidden from people, filled by bots.
    #[serde(default)]
    website: String,
}

impl SignupForm {
    fn kept(self) -> SignupForm {
        SignupForm {
            name: kept(&self.name, 200),
            email: kept(&self.email, 320),
            company: kept(&self.company, 200),
            reason: kept(&self.reason, 1200),
            package: kept(&self.package, 40),
            website: String::new(),
            ..self
        }
    }
}

#[derive(Template)]
#[template(path = "public/signup.html")]
struct SignupPage {
    ctx: PageCtx,
    packages: Vec<Package>,
    f: SignupForm,
    terms_text: String,
    terms_version: String,
    privacy_url: String,
    errors: FieldErrors,
}

async fn signup_page(ctx: PageCtx, state: &AppState, f: SignupForm, errors: FieldErrors) -> AppResult<SignupPage> {
    let portal = crate::flows::settings::current(state).await?;
    let packages = {
        let mut c = state.db.acquire().await?;
        packages::published(c.conn()).await?
    };
    Ok(SignupPage {
        ctx,
        packages,
        f,
        terms_text: portal.terms_text.clone(),
        terms_version: portal.terms_version.clone(),
        privacy_url: portal.privacy_url.clone(),
        errors,
    })
}

#[derive(Deserialize)]
pub struct FormQuery {
    #[serde(default)]
    package: String,
}

pub async fn form(ctx: PageCtx, state: web::Data<AppState>, q: web::Query<FormQuery>) -> AppResult<HttpResponse> {
    let f = SignupForm { package: kept(&q.package, 40), ..SignupForm::default() };
    Ok(render(&signup_page(ctx, &state, f, FieldErrors::default()).await?))
}

pub async fn submit(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    f: CsrfForm<SignupForm>,
) -> AppResult<HttpResponse> {
    let f = f.form;
    let raw = RawSignup {
        name: &f.name,
        email: &f.email,
        company: &f.company,
        reason: &f.reason,
        package: &f.package,
        accept_terms: f.accept_terms.is_some(),
    };
    let input = match raw.parse() {
        Ok(i) => i,
        Err(errors) => return Ok(render_invalid(&signup_page(ctx, &state, f.kept(), errors).await?)),
    };
    if !f.website.is_empty() {
        // A bot filled the hidden field: answer as usual, keep nothing, send nothing.
        tracing::info!(ip = %client_ip(&req), "sign-up honeypot filled");
        return Ok(code_step::ask(ctx, Step::SignUp, input.email.as_str().to_string()));
    }
    match signup::start(&state, &input, &client_ip(&req)).await? {
        Started::Verify { request_id, code_id } => {
            let pending = PendingSignup { request_id, code_id, email: input.email.as_str().to_string() };
            session.insert(PENDING_KEY, pending).map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))?;
            Ok(see_other("/signup/verify"))
        }
        Started::Refused(errors) => Ok(render_invalid(&signup_page(ctx, &state, f.kept(), errors).await?)),
        Started::RateLimited => Ok(render_with_status(
            StatusCode::TOO_MANY_REQUESTS,
            &Notice {
                ctx,
                title: "Too many requests".into(),
                message: "Too many sign-up requests came from here or for this address in the last hour. Wait a while and try again.".into(),
                link: Some(("/signup".into(), "Back to the sign-up page".into())),
            },
        )),
    }
}

pub async fn code_form(ctx: PageCtx, session: Session) -> HttpResponse {
    match session.get::<PendingSignup>(PENDING_KEY) {
        Ok(Some(p)) => code_step::ask(ctx, Step::SignUp, p.email),
        _ => see_other("/signup"),
    }
}

pub async fn verify(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    f: CsrfForm<CodeForm>,
) -> AppResult<HttpResponse> {
    let Ok(Some(pending)) = session.get::<PendingSignup>(PENDING_KEY) else {
        return Ok(see_other("/signup"));
    };
    let Some(code) = code_step::digits(&f.form.code) else {
        return Ok(code_step::malformed(ctx, Step::SignUp, pending.email));
    };
    match signup::verify(&state, pending.request_id, pending.code_id, &code, &client_ip(&req)).await? {
        Verified::Done(status_token) => {
            session.remove(PENDING_KEY);
            Ok(see_other(&format!("/signup/status/{status_token}")))
        }
        Verified::Wrong { tries_left } => Ok(code_step::wrong(ctx, Step::SignUp, pending.email, tries_left)),
        Verified::Dead => {
            session.remove(PENDING_KEY);
            Ok(code_step::spent(ctx, &Step::SignUp))
        }
    }
}

#[derive(Template)]
#[template(path = "public/signup_status.html")]
struct StatusPage {
    ctx: PageCtx,
    token: String,
    request: Request,
    package: Package,
    status: RequestStatus,
}

pub async fn status(ctx: PageCtx, state: web::Data<AppState>, token: web::Path<String>) -> AppResult<HttpResponse> {
    let (request, package) = signup::by_status_token(&state, &token).await?.ok_or(AppError::NotFound)?;
    let status = request.status.effective(request.expires_at, state.clock.now());
    Ok(render(&StatusPage { ctx, token: token.into_inner(), request, package, status }))
}

pub async fn withdraw(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    token: web::Path<String>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let (request, package) = signup::by_status_token(&state, &token).await?.ok_or(AppError::NotFound)?;
    if !signup::withdraw(&state, &request, &client_ip(&req)).await? {
        let status = request.status.effective(request.expires_at, state.clock.now());
        return Ok(render_with_status(
            StatusCode::CONFLICT,
            &StatusPage { ctx, token: token.into_inner(), request, package, status },
        ));
    }
    Ok(see_other(&format!("/signup/status/{}", token.into_inner())))
}
