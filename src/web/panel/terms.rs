//! The terms of use (F12): a guest asked to accept a new version sees it here before any
//! other page, with "Accept" and "Leave instead"; anyone signed in can re-read the current
//! text here, with the version they accepted and when (linked from the profile).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::auth::session::TermsSession;
use crate::domain::url::is_local_path;
use crate::domain::user::GUEST;
use crate::error::AppResult;
use crate::flows;
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::page::{PageCtx, render};
use crate::web::{actor, see_other};

#[derive(Template)]
#[template(path = "panel/terms.html")]
struct TermsPage {
    ctx: PageCtx,
    text: String,
    version: String,
    /// The version this person accepted, and when; `None` if never (a member).
    accepted: Option<(String, Option<DateTime<Utc>>)>,
    /// A guest who must accept this version before going on.
    asked: bool,
    is_guest: bool,
    /// Where to go on after accepting.
    next: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Where accepting leads: the page the guest was going to, if it is one of ours.
fn next_or_apps(next: &str) -> String {
    if is_local_path(next) && !next.starts_with("/terms") { next.to_string() } else { "/apps".to_string() }
}

/// `GET /terms`: the current terms; Accept / Leave instead when this guest is asked.
pub async fn show(
    ctx: PageCtx,
    state: web::Data<AppState>,
    TermsSession(s): TermsSession,
    q: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    let portal = flows::settings::current(&state).await?;
    let user = s.user;
    Ok(render(&TermsPage {
        ctx,
        text: portal.terms_text.clone(),
        version: portal.terms_version.clone(),
        accepted: user.terms_version.clone().map(|v| (v, user.terms_accepted_at)),
        asked: s.terms_pending,
        is_guest: user.user_type == GUEST,
        next: next_or_apps(&q.next),
    }))
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    next: String,
}

/// `POST /terms`: accepts the current version (recorded with the time, audited), then on.
pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    TermsSession(s): TermsSession,
    f: CsrfForm<AcceptForm>,
) -> AppResult<HttpResponse> {
    flows::terms::accept(&state, &s.user, &actor(&req, &s.user)).await?;
    Ok(see_other(&next_or_apps(&f.form.next)))
}
