//! "Leave organization" on a guest's profile (F6, F12): a page saying what leaving takes,
//! and the confirm button; once left, the browser is signed out and told what happens next.
//! And "Download your data", which the page offers first.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};

use crate::auth::session::TermsSession;
use crate::domain::user::GUEST;
use crate::error::{AppError, AppResult};
use crate::flows::leaving::{self, Loss};
use crate::state::AppState;
use crate::web::actor;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::{PageCtx, render};

#[derive(Template)]
#[template(path = "panel/leave.html")]
struct LeavePage {
    ctx: PageCtx,
    loss: Loss,
    restorable_until: DateTime<Utc>,
}

#[derive(Template)]
#[template(path = "panel/left.html")]
struct LeftPage {
    ctx: PageCtx,
    restorable_until: DateTime<Utc>,
}

/// Open before new terms of use are accepted: leaving is the other answer to them.
pub async fn form(ctx: PageCtx, state: web::Data<AppState>, TermsSession(s): TermsSession) -> AppResult<HttpResponse> {
    let user = s.user;
    if user.user_type != GUEST {
        return Err(AppError::NotFound);
    }
    let loss = leaving::what_leaving_takes(&state, &user).await?;
    Ok(render(&LeavePage { ctx, loss, restorable_until: state.clock.now() + leaving::PURGE_AFTER }))
}

pub async fn leave(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    TermsSession(s): TermsSession,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let user = s.user;
    if user.user_type != GUEST {
        return Err(AppError::NotFound);
    }
    leaving::leave(&state, &user, &actor(&req, &user)).await?;
    crate::auth::session::sign_out(&session, &state).await?;
    Ok(render(&LeftPage { ctx, restorable_until: state.clock.now() + leaving::PURGE_AFTER }))
}

/// `GET /profile/data`: the person's data as a JSON download.
pub async fn my_data(state: web::Data<AppState>, TermsSession(s): TermsSession) -> AppResult<HttpResponse> {
    let data = crate::flows::my_data::of(&state, &s.user).await?;
    let body = serde_json::to_string_pretty(&data).map_err(|e| AppError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Content-Disposition", "attachment; filename=\"my-data.json\""))
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}
