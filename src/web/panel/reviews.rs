//! Reviews in the Access Panel (F12): the running access reviews the signed-in person
//! reviews, and each one's page — the same page as the mailed link's.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::db::reviews::{Review, Reviewer};
use crate::error::{AppError, AppResult};
use crate::flows::reviews;
use crate::state::AppState;
use crate::web::client_ip;
use crate::web::csrf::CsrfForm;
use crate::web::page::{PageCtx, render};
use crate::web::review_page::{self, DecideForm, Shown};

#[derive(Template)]
#[template(path = "panel/reviews.html")]
struct ReviewsPage {
    ctx: PageCtx,
    mine: Vec<(Review, Reviewer)>,
}

pub async fn list(ctx: PageCtx, state: web::Data<AppState>, CurrentUser(user): CurrentUser) -> AppResult<HttpResponse> {
    Ok(render(&ReviewsPage { ctx, mine: reviews::mine(&state, user.id).await? }))
}

pub async fn show(
    ctx: PageCtx,
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    id: web::Path<Uuid>,
    q: web::Query<Shown>,
) -> AppResult<HttpResponse> {
    let found = reviews::by_user(&state, *id, user.id).await?.ok_or(AppError::NotFound)?;
    review_page::show(ctx, &state, found, format!("/reviews/{id}"), &q).await
}

pub async fn decide(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<Uuid>,
    f: CsrfForm<DecideForm>,
) -> AppResult<HttpResponse> {
    let (_, reviewer) = reviews::by_user(&state, *id, user.id).await?.ok_or(AppError::NotFound)?;
    let here = format!("/reviews/{id}");
    review_page::decide(ctx, &state, &session, &reviewer, &here, &f.form, &client_ip(&req)).await
}
