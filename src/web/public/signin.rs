//! `/signin`: email → one-time code → signed in. Also the CLI's one-time sign-in links.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::session;
use crate::domain::EmailAddress;
use crate::domain::url::is_local_path;
use crate::domain::user::SignInMethod;
use crate::error::{AppError, AppResult};
use crate::federation::Purpose;
use crate::flows::codes::Issued;
use crate::flows::signin::{self, LinkState, SignIn};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::{Notice, PageCtx, render, render_invalid, render_with_status};
use crate::web::public::code_step::{self, CodeForm, Step};
use crate::web::public::idp_choices::{IdpChoice, choices};
use crate::web::public::outcomes::refusal;
use crate::web::{client_ip, device, kept, see_other};

const PENDING_KEY: &str = "signin";

/// The sign-in in progress, kept in the session between the two forms.
#[derive(Serialize, Deserialize)]
struct Pending {
    code_id: Uuid,
    email: String,
    next: String,
}

#[derive(Template)]
#[template(path = "public/signin.html")]
struct SigninPage {
    ctx: PageCtx,
    providers: Vec<IdpChoice>,
    email: String,
    next: String,
    error: Option<String>,
    /// The note after signing out: `?signed_out=1`, or `=everywhere` from the profile page.
    signed_out: Option<&'static str>,
    /// Passkeys can sign in here (see `passkeys::available`).
    passkeys: bool,
}

#[derive(Deserialize)]
pub struct SigninQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    signed_out: Option<String>,
    /// The address to offer, from an app's `login_hint` (the person may change it).
    #[serde(default)]
    email: String,
}

pub async fn form(ctx: PageCtx, state: web::Data<AppState>, q: web::Query<SigninQuery>) -> AppResult<HttpResponse> {
    let next = if is_local_path(&q.next) { q.next.clone() } else { String::new() };
    Ok(render(&SigninPage {
        ctx,
        providers: choices(&state, None).await?,
        email: kept(&q.email, 254),
        next,
        error: None,
        signed_out: q.signed_out.as_deref().map(|how| match how {
            "everywhere" => "You are signed out on every device and browser.",
            _ => "You are signed out.",
        }),
        passkeys: crate::flows::passkeys::available(&state),
    }))
}

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
    #[serde(default)]
    next: String,
}

pub async fn request_code(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    f: CsrfForm<EmailForm>,
) -> AppResult<HttpResponse> {
    let f = f.form;
    let next = if is_local_path(&f.next) { f.next.clone() } else { String::new() };
    let email = match EmailAddress::parse(&f.email) {
        Ok(e) => e,
        Err(e) => {
            let page = SigninPage {
                ctx,
                providers: choices(&state, None).await?,
                email: kept(&f.email, 300),
                next,
                error: Some(e.0),
                signed_out: None,
                passkeys: crate::flows::passkeys::available(&state),
            };
            return Ok(render_invalid(&page));
        }
    };
    // Home-realm discovery: an address whose domain has its own IdP goes straight there.
    let providers = choices(&state, Some(email.domain())).await?;
    if let Some(home) = providers.iter().find(|p| p.home_realm) {
        let purpose = Purpose::SignIn { next };
        return super::federation::send_to_idp(&req, ctx, &state, &session, &home.slug, purpose, Some(email.as_str()))
            .await;
    }
    match signin::request_code(&state, &email, &client_ip(&req), &device::devices(&req, &state)).await? {
        Issued::RateLimited => {
            let error =
                Some("Too many codes were requested for this address. Wait a few minutes and try again.".to_string());
            let passkeys = crate::flows::passkeys::available(&state);
            let page = SigninPage { ctx, providers, email: email.to_string(), next, error, signed_out: None, passkeys };
            Ok(render_with_status(StatusCode::TOO_MANY_REQUESTS, &page))
        }
        Issued::Sent(code_id) => {
            let pending = Pending { code_id, email: email.to_string(), next };
            session.insert(PENDING_KEY, pending).map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))?;
            Ok(see_other("/signin/code"))
        }
    }
}

pub async fn code_form(ctx: PageCtx, session: Session) -> HttpResponse {
    match session.get::<Pending>(PENDING_KEY) {
        Ok(Some(p)) => code_step::ask(ctx, Step::SignIn, p.email),
        _ => see_other("/signin"),
    }
}

pub async fn verify_code(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    f: CsrfForm<CodeForm>,
) -> AppResult<HttpResponse> {
    let Ok(Some(pending)) = session.get::<Pending>(PENDING_KEY) else {
        return Ok(see_other("/signin"));
    };
    let Some(code) = code_step::digits(&f.form.code) else {
        return Ok(code_step::malformed(ctx, Step::SignIn, pending.email));
    };
    match signin::verify_code(&state, pending.code_id, &code, &client_ip(&req)).await? {
        SignIn::Done(user) => {
            session::sign_in(&req, &session, &state, &user, SignInMethod::OneTimeCode).await?;
            let to = if pending.next.is_empty() { super::landing_for(&user).to_string() } else { pending.next };
            Ok(see_other(&to))
        }
        SignIn::Refused(verdict) => {
            session.remove(PENDING_KEY);
            Ok(refusal(ctx, verdict))
        }
        SignIn::Wrong { tries_left } => Ok(code_step::wrong(ctx, Step::SignIn, pending.email, tries_left)),
        SignIn::Dead => {
            session.remove(PENDING_KEY);
            Ok(code_step::spent(ctx, &Step::SignIn))
        }
    }
}

pub async fn sign_out(state: web::Data<AppState>, session: Session, _f: CsrfForm<NoFields>) -> AppResult<HttpResponse> {
    session::sign_out(&session, &state).await?;
    Ok(see_other("/signin?signed_out=1"))
}

#[derive(Template)]
#[template(path = "public/signin_link.html")]
struct LinkPage {
    ctx: PageCtx,
    email: String,
}

fn link_gone(ctx: PageCtx, status: StatusCode) -> HttpResponse {
    let notice = Notice {
        ctx,
        title: "This sign-in link no longer works".into(),
        message: "Sign-in links work once and for 15 minutes. Create a new one with `vestibule admin create EMAIL`, or sign in with an email code.".into(),
        link: Some(("/signin".into(), "Sign in with an email code".into())),
    };
    render_with_status(status, &notice)
}

/// Shows who the link signs in; opening it changes nothing (mail scanners open links).
pub async fn link_page(ctx: PageCtx, state: web::Data<AppState>, token: web::Path<String>) -> AppResult<HttpResponse> {
    Ok(match signin::peek_link(&state, &token).await? {
        None => return Err(AppError::NotFound),
        Some(LinkState::UsedOrExpired) => link_gone(ctx, StatusCode::GONE),
        Some(LinkState::Usable(user)) => render(&LinkPage { ctx, email: user.email }),
    })
}

pub async fn use_link(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    Ok(match signin::use_link(&state, &token, &client_ip(&req)).await? {
        Some(SignIn::Done(user)) => {
            session::sign_in(&req, &session, &state, &user, SignInMethod::OneTimeCode).await?;
            see_other(super::landing_for(&user))
        }
        Some(SignIn::Refused(verdict)) => refusal(ctx, verdict),
        Some(_) | None => link_gone(ctx, StatusCode::GONE),
    })
}
