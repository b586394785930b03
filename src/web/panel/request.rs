//! "Request access" in the Access Panel: a signed-in user asks for a published access
//! package; it goes to the package's approvers like a partner's sign-up.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::packages::{self, Package};
use crate::domain::FieldErrors;
use crate::error::AppResult;
use crate::flows::signup;
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::page::{PageCtx, render, render_invalid};
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
        Ok(status_token) => Ok(see_other(&format!("/signup/status/{status_token}"))),
        Err(e) => Ok(render_invalid(&page(ctx, &state, package, reason, e).await?)),
    }
}
