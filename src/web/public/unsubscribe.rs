//! An invitation mail's "Block future invitations" (F12). Opening the link changes nothing
//! (mail scanners open links): it asks; the POST puts the address on the do-not-invite list.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::error::{AppError, AppResult};
use crate::flows::do_not_invite;
use crate::state::AppState;
use crate::web::client_ip;
use crate::web::csrf::CsrfForm;
use crate::web::csrf::NoFields;
use crate::web::page::{PageCtx, render};

#[derive(Template)]
#[template(path = "public/unsubscribe.html")]
struct UnsubscribePage {
    ctx: PageCtx,
    token: String,
    email: String,
    listed: bool,
    /// Just listed by this POST.
    done: bool,
}

/// `GET /unsubscribe/{token}`: which address, and the button. Changes nothing.
pub async fn show(ctx: PageCtx, state: web::Data<AppState>, token: web::Path<String>) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let named = do_not_invite::peek(&state, &token).await?.ok_or(AppError::NotFound)?;
    Ok(render(&UnsubscribePage { ctx, token, email: named.email, listed: named.listed, done: false }))
}

/// `POST /unsubscribe/{token}`: lists the address (audited).
pub async fn block(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    token: web::Path<String>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let named = do_not_invite::block(&state, &token, &client_ip(&req)).await?.ok_or(AppError::NotFound)?;
    Ok(render(&UnsubscribePage { ctx, token, email: named.email, listed: true, done: true }))
}
