//! `/signin/passkey`: signing in with a passkey alone, no email code. The page holds the
//! challenge; the browser (static/passkeys.js) lets the person pick one of the passkeys it
//! has for this portal and sends the signed answer back with the form.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::session;
use crate::domain::url::is_local_path;
use crate::domain::user::SignInMethod;
use crate::error::AppResult;
use crate::flows::passkeys::{self, Ceremony, PasskeySignIn};
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::page::{PageCtx, render, render_invalid};
use crate::web::public::outcomes::refusal;
use crate::web::{client_ip, device, see_other};

#[derive(Template)]
#[template(path = "public/passkey_signin.html")]
struct PasskeySigninPage {
    ctx: PageCtx,
    next: String,
    passkey: Ceremony,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

fn local(next: &str) -> String {
    if is_local_path(next) { next.to_string() } else { String::new() }
}

/// The page with a fresh challenge; where passkeys cannot work here, the email sign-in.
async fn page(
    req: &HttpRequest,
    ctx: PageCtx,
    state: &AppState,
    next: String,
    error: Option<String>,
) -> AppResult<HttpResponse> {
    let Some(passkey) = passkeys::start_sign_in(state, &client_ip(req)).await? else {
        return Ok(see_other("/signin"));
    };
    let page = PasskeySigninPage { ctx, next, passkey, error: error.clone() };
    Ok(if error.is_some() { render_invalid(&page) } else { render(&page) })
}

pub async fn form(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    q: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    page(&req, ctx, &state, local(&q.next), None).await
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    ceremony: Option<Uuid>,
    #[serde(default)]
    credential: String,
    #[serde(default)]
    next: String,
}

pub async fn sign_in(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    f: CsrfForm<AnswerForm>,
) -> AppResult<HttpResponse> {
    let next = local(&f.form.next);
    let outcome = match f.form.ceremony {
        Some(ceremony) => {
            let devices = device::devices(&req, &state);
            passkeys::finish_sign_in(&state, ceremony, &f.form.credential, &client_ip(&req), &devices).await?
        }
        None => PasskeySignIn::Failed(crate::flows::mfa::MfaRefused::PasskeyFailed),
    };
    match outcome {
        PasskeySignIn::Done { user, synced } => {
            session::sign_in(&req, &session, &state, &user, SignInMethod::Passkey { synced }).await?;
            let to = if next.is_empty() { super::landing_for(&user).to_string() } else { next };
            Ok(see_other(&to))
        }
        PasskeySignIn::Refused(verdict) => Ok(refusal(ctx, verdict)),
        PasskeySignIn::Failed(why) => {
            let error = match why {
                crate::flows::mfa::MfaRefused::PasskeyFailed => {
                    "That passkey was not accepted. Try again, or sign in with an email code.".to_string()
                }
                other => other.to_string(),
            };
            page(&req, ctx, &state, next, Some(error)).await
        }
    }
}
