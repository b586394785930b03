//! Admin: the outbox — mail (and back-channel logouts) not delivered yet, why, and a button
//! to try one again now.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::db::outbox::{self, OutboxMessage};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::{PageCtx, flash, flash_refused, render};
use crate::web::{actor, see_other};

/// The most messages the page lists.
const SHOWN: i64 = 500;

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct OutboxPage {
    ctx: PageCtx,
    messages: Vec<OutboxMessage>,
    waiting: i64,
    failed: i64,
    shown: i64,
    max_attempts: i64,
}

pub async fn list(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> AppResult<HttpResponse> {
    let mut c = state.db.acquire().await?;
    let messages = outbox::undelivered(c.conn(), SHOWN).await?;
    let (waiting, failed) = outbox::undelivered_counts(c.conn()).await?;
    let max_attempts = crate::jobs::MAX_ATTEMPTS;
    Ok(render(&OutboxPage { ctx, messages, waiting, failed, shown: SHOWN, max_attempts }))
}

pub async fn retry(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    if crate::flows::outbox::retry(&state, *id, &actor(&req, &admin)).await? {
        flash(&session, "It will be sent again within a few seconds.");
    } else {
        flash_refused(&session, "Nothing to retry: that message was delivered meanwhile.");
    }
    Ok(see_other("/admin/outbox"))
}
