//! "Request access" in the Access Panel: a signed-in user asks for a published access
//! package; it goes to the package's approvers like a partner's sign-up.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::packages::{self, Package};
use crate::domain::FieldErrors;
use crate::error::AppResult;
use crate::flows::signup;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::{PageCtx, flash, flash_refused, render, render_invalid};
use crate::web::{client_ip, kept, see_other};

#[derive(Template)]
#[template(path = "panel/request.html")]
struct RequestPage {
    ctx: PageCtx,
    packages: Vec<Package>,
    package: String,
    reason: String,
    errors: FieldErrors,
}

async fn page(
    ctx: PageCtx,
    state: &AppState,
    package: String,
    reason: String,
    errors: FieldErrors,
) -> AppResult<RequestPage> {
    let mut c = state.db.acquire().await?;
    let packages = packages::published(c.conn()).await?;
    Ok(RequestPage { ctx, packages, package, reason, errors })
}

#[derive(Deserialize)]
pub struct Preselect {
    /// A package to tick, from the "Request access" button of an app's refusal page.
    #[serde(default)]
    package: String,
}

pub async fn form(
    ctx: PageCtx,
    state: web::Data<AppState>,
    _u: CurrentUser,
    q: web::Query<Preselect>,
) -> AppResult<HttpResponse> {
    let package = kept(&q.package, 40);
    Ok(render(&page(ctx, &state, package, String::new(), FieldErrors::default()).await?))
}

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    package: String,
    #[serde(default)]
    reason: String,
}

pub async fn submit(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    f: CsrfForm<RequestForm>,
) -> AppResult<HttpResponse> {
    let package = kept(&f.form.package, 40);
    let reason = kept(&f.form.reason, 1200);
    let Ok(package_id) = uuid::Uuid::parse_str(&package) else {
        let mut e = FieldErrors::default();
        e.add("package", "Choose what you need access to.");
        return Ok(render_invalid(&page(ctx, &state, package, reason, e).await?));
    };
    match signup::request_more(&state, &user, package_id, &reason, &client_ip(&req)).await? {
        Ok(_) => {
            flash(&session, "Your request was sent. You get a mail when it is decided; it is followed here.");
            Ok(see_other("/apps/requests"))
        }
        Err(e) => Ok(render_invalid(&page(ctx, &state, package, reason, e).await?)),
    }
}

#[derive(Template)]
#[template(path = "panel/requests.html")]
struct OwnRequestsPage {
    ctx: PageCtx,
    requests: Vec<signup::OwnRequest>,
}

/// `GET /apps/requests`: the signed-in user's own requests and their state.
pub async fn list(ctx: PageCtx, state: web::Data<AppState>, CurrentUser(user): CurrentUser) -> AppResult<HttpResponse> {
    let requests = signup::own_requests(&state, &user).await?;
    Ok(render(&OwnRequestsPage { ctx, requests }))
}

/// `POST /apps/requests/{id}/withdraw`: only one's own request, only while it waits.
pub async fn withdraw(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<uuid::Uuid>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    match signup::withdraw_own(&state, &user, *id, &client_ip(&req)).await? {
        None => return Err(crate::error::AppError::NotFound),
        Some(true) => flash(&session, "Your request was withdrawn: nobody will decide on it."),
        Some(false) => flash_refused(&session, "Nothing changed: that request was decided or ended already."),
    }
    Ok(see_other("/apps/requests"))
}
