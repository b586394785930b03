//! Admin: the do-not-invite list (F12) — the addresses whose owners blocked invitations
//! from an invitation mail, and lifting an entry when the person asks to be invited after all.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::AdminUser;
use crate::db::do_not_invite::Entry;
use crate::domain::EmailAddress;
use crate::error::AppResult;
use crate::flows::do_not_invite;
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::page::{PageCtx, flash, flash_refused, render};
use crate::web::{actor, see_other};

#[derive(Template)]
#[template(path = "admin/do_not_invite.html")]
struct ListPage {
    ctx: PageCtx,
    entries: Vec<Entry>,
}

pub async fn list(ctx: PageCtx, state: web::Data<AppState>, _a: AdminUser) -> AppResult<HttpResponse> {
    Ok(render(&ListPage { ctx, entries: do_not_invite::all(&state).await? }))
}

#[derive(Deserialize)]
pub struct LiftForm {
    #[serde(default)]
    email: String,
}

pub async fn lift(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    f: CsrfForm<LiftForm>,
) -> AppResult<HttpResponse> {
    let lifted = match EmailAddress::parse(&f.form.email) {
        Ok(email) => do_not_invite::lift(&state, &email, &actor(&req, &admin)).await?.then_some(email),
        Err(_) => None,
    };
    match lifted {
        Some(email) => flash(&session, format!("{email} can be invited again.")),
        None => flash_refused(&session, "That address is not on the list (any more)."),
    }
    Ok(see_other("/admin/do-not-invite"))
}
