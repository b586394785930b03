//! F12: a reviewer's mailed link to an access review. The token is enough (as with an
//! approver's link); a browser signed in as someone else is refused.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::db::reviews::{Review, Reviewer};
use crate::error::{AppError, AppResult};
use crate::flows::reviews;
use crate::state::AppState;
use crate::web::client_ip;
use crate::web::csrf::CsrfForm;
use crate::web::page::{PageCtx, link_of_another};
use crate::web::review_page::{self, DecideForm, Shown};

/// The link's review and reviewer, or the page that refuses a browser signed in as another.
async fn reviewer(req: &HttpRequest, state: &AppState, token: &str) -> AppResult<Result<(Review, Reviewer), String>> {
    let found = reviews::by_token(state, token).await?.ok_or(AppError::NotFound)?;
    match crate::auth::session::current(req).await? {
        Some(u) if u.id != found.1.user_id => Ok(Err(u.email)),
        _ => Ok(Ok(found)),
    }
}

fn not_yours(ctx: PageCtx, r: &Reviewer, signed_in: &str) -> HttpResponse {
    link_of_another(ctx, "reviewer", "review link", &r.email, signed_in)
}

pub async fn show(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    token: web::Path<String>,
    q: web::Query<Shown>,
) -> AppResult<HttpResponse> {
    match reviewer(&req, &state, &token).await? {
        Ok(found) => review_page::show(ctx, &state, found, format!("/review/{token}"), &q).await,
        Err(other) => {
            let (_, r) = reviews::by_token(&state, &token).await?.ok_or(AppError::NotFound)?;
            Ok(not_yours(ctx, &r, &other))
        }
    }
}

pub async fn decide(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
    f: CsrfForm<DecideForm>,
) -> AppResult<HttpResponse> {
    match reviewer(&req, &state, &token).await? {
        Ok((_, r)) => {
            let here = format!("/review/{token}");
            review_page::decide(ctx, &state, &session, &r, &here, &f.form, &client_ip(&req)).await
        }
        Err(other) => {
            let (_, r) = reviews::by_token(&state, &token).await?.ok_or(AppError::NotFound)?;
            Ok(not_yours(ctx, &r, &other))
        }
    }
}
