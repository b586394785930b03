//! `/api/v1/directoryObjects/{id}` (scope `users:read`): what an `@odata.id` names — a user
//! or a group, marked with Graph's `@odata.type`.

use actix_web::{HttpResponse, web};
use serde_json::Value;

use super::{ApiCaller, ApiResult, Problem, id_of, ok_json, to_json};
use crate::db::{groups, users};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/directoryObjects/{id}",
    tag = "users",
    summary = "Read a user or group by id",
    description = "The object an `@odata.id` names, with `@odata.type` `#microsoft.graph.user` or `#microsoft.graph.group`.",
    params(("id" = uuid::Uuid, Path, description = "The user's or group's id")),
    security(("api_key" = ["users:read"])),
    responses(
        (status = 200, description = "The user or group"),
        (status = 404, description = "Neither", body = super::problem_doc::ProblemDoc, content_type = "application/problem+json"),
        super::problem_doc::Refusals,
    )
)]
pub async fn show(state: web::Data<AppState>, _caller: ApiCaller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id_of(&id)?;
    let mut c = state.db.acquire().await?;
    let (mut doc, kind) = if let Some(user) = users::find(c.conn(), id).await? {
        (to_json(&super::users::doc(&user))?, "#microsoft.graph.user")
    } else if let Some(group) = groups::find(c.conn(), id).await? {
        (to_json(&super::groups::group_doc(group))?, "#microsoft.graph.group")
    } else {
        return Err(Problem::not_found());
    };
    if let Value::Object(map) = &mut doc {
        map.insert("@odata.type".into(), Value::String(kind.into()));
    }
    ok_json(&doc)
}
