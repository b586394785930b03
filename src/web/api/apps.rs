//! `/api/v1/apps` and a user's apps: the apps there are (scope `users:read`), and giving
//! one to a user or taking it back (scope `users:write`), through the flows the admin's
//! user page uses.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::idempotency::{self, Answer};
use super::problem_doc::{BodyRefusals, ProblemDoc, Refusals};
use super::{ApiCaller, ApiResult, Problem, id_of, json_body, ok_json, to_json};
use crate::db::apps::{self, App};
use crate::db::{Tx, users};
use crate::domain::audit::Actor;
use crate::state::AppState;

/// An app of the portal.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppDoc {
    id: Uuid,
    display_name: String,
    description: String,
    /// Where its tile in the Access Panel leads.
    launch_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct AppList {
    value: Vec<AppDoc>,
}

/// Which app to give.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppRef {
    /// The app's id.
    id: Uuid,
}

fn doc(a: &App) -> AppDoc {
    AppDoc {
        id: a.id,
        display_name: a.name.clone(),
        description: a.description.clone(),
        launch_url: a.launch_url.clone(),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/apps",
    tag = "apps",
    summary = "List the apps",
    security(("api_key" = ["users:read"])),
    responses((status = 200, description = "Every app, by name", body = AppList), Refusals)
)]
pub async fn list(state: web::Data<AppState>, _caller: ApiCaller) -> ApiResult<HttpResponse> {
    let all = {
        let mut c = state.db.acquire().await?;
        apps::all(c.conn()).await?
    };
    ok_json(&AppList { value: all.iter().map(doc).collect() })
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/apps",
    tag = "apps",
    summary = "Give a user an app",
    description = "The app's tile appears in their Access Panel, and they may sign in to it. Giving it again changes nothing.",
    params(("id" = Uuid, Path, description = "The user's id")),
    request_body = AppRef,
    security(("api_key" = ["users:write"])),
    responses(
        (status = 200, description = "The user has the app", body = AppDoc),
        (status = 404, description = "No such user, or no such app (naming `id`)", body = ProblemDoc, content_type = "application/problem+json"),
        BodyRefusals,
        Refusals,
    )
)]
pub async fn assign(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let state = state.get_ref();
    let actor = caller.actor(&req);
    let prepare = || async {
        let new: AppRef = json_body(&req, &body)?;
        Ok((id_of(&id)?, new.id))
    };
    let change = |mut tx: Tx, (user_id, app_id): (Uuid, Uuid)| async move {
        let answer = assign_in(state, &mut tx, user_id, app_id, &actor).await;
        (tx, answer)
    };
    idempotency::once(&req, state, &caller, &body, prepare, change).await
}

async fn assign_in(state: &AppState, tx: &mut Tx, user_id: Uuid, app_id: Uuid, actor: &Actor) -> Answer {
    users::find(tx.conn(), user_id).await?.ok_or_else(Problem::not_found)?;
    let app = apps::find(tx.conn(), app_id).await?;
    let app = app.ok_or_else(|| Problem::unknown_reference("id", "There is no such app."))?;
    crate::flows::apps::assign_within(state, tx, app.id, user_id, actor).await?;
    Ok((StatusCode::OK, to_json(&doc(&app))?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}/apps/{appId}",
    tag = "apps",
    summary = "Take an app back",
    description = "Takes back an app given to the user directly; one they have through a group or an access package stays. Taking back one they do not have changes nothing.",
    params(
        ("id" = Uuid, Path, description = "The user's id"),
        ("appId" = Uuid, Path, description = "The app's id")
    ),
    security(("api_key" = ["users:write"])),
    responses(
        (status = 204, description = "Not given directly (any more)"),
        (status = 404, description = "No such user", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
pub async fn unassign(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (user_id, app_id) = (id_of(&path.0)?, id_of(&path.1)?);
    crate::flows::apps::unassign(&state, app_id, user_id, &caller.actor(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}
