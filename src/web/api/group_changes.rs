//! `/api/v1/groups` as Graph changes them (scope `groups:write`): create, rename, delete,
//! and members by reference (`POST …/members/$ref` with an `@odata.id`, `DELETE
//! …/members/{id}/$ref`), through the flows Admin → Groups uses. A group here is Graph's
//! security group: a mail-enabled or Microsoft 365 ("Unified") group is refused by name.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::groups::{GroupDoc, find, group_doc};
use super::idempotency;
use super::problem_doc::{BodyRefusals, ProblemDoc, Refusals};
use super::{ApiCaller, ApiResult, Problem, json_body};
use crate::db::Tx;
use crate::db::links::{self, GROUP_APPS};
use crate::domain::FieldErrors;
use crate::flows::groups::{self as flow, GroupInput};
use crate::state::AppState;

/// A new group, with Graph's required fields.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewGroup {
    #[schema(example = "Project Atlas", max_length = 80)]
    display_name: String,
    #[serde(default)]
    #[schema(max_length = 500)]
    description: Option<String>,
    /// Graph asks for it; groups here have no mailbox, so it is not kept.
    #[serde(default)]
    mail_nickname: Option<String>,
    /// Must be false: groups here have no mailbox.
    #[serde(default)]
    mail_enabled: Option<bool>,
    /// Must be true (or absent): groups here grant access.
    #[serde(default)]
    security_enabled: Option<bool>,
    /// Must be empty: Microsoft 365 ("Unified") groups are not kept here.
    #[serde(default)]
    group_types: Vec<String>,
}

/// What a `PATCH` changes.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupPatch {
    #[serde(default)]
    #[schema(max_length = 80)]
    display_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 500)]
    description: Option<String>,
}

/// A member by reference, as Graph adds one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRef {
    /// `https://…/directoryObjects/{id}` (or `…/users/{id}`): the user's id is its last part.
    #[serde(rename = "@odata.id")]
    #[schema(example = "https://graph.microsoft.com/v1.0/directoryObjects/5c3a5b8e-2b6a-4c38-9d1e-0a7c6e2f4a11")]
    odata_id: String,
}

/// The flow's field names as Graph names them.
fn api_field(field: &str) -> &str {
    match field {
        "name" => "displayName",
        other => other,
    }
}

fn invalid(errors: &FieldErrors) -> Problem {
    Problem::invalid(errors, api_field)
}

/// The flows refuse a valid group only when its name is another group's: a conflict.
fn taken(errors: &FieldErrors) -> Problem {
    let mut p = invalid(errors);
    p.status = StatusCode::CONFLICT;
    p.title = "Name taken";
    p
}

#[utoipa::path(
    post,
    path = "/api/v1/groups",
    tag = "groups",
    summary = "Create a group",
    description = "Graph's security group: `mailEnabled` false, `securityEnabled` true, no `groupTypes`; `mailNickname` is taken and not kept. Add apps to it on Admin → Groups. With an `Idempotency-Key`, a retry gets the first answer.",
    request_body = NewGroup,
    security(("api_key" = ["groups:write"])),
    responses(
        (status = 201, description = "Created", body = GroupDoc),
        (status = 409, description = "Another group has this name", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = ProblemDoc, content_type = "application/problem+json"),
        BodyRefusals,
        Refusals,
    )
)]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let state = state.get_ref();
    let actor = caller.actor(&req);
    let prepare = || async {
        let new: NewGroup = json_body(&req, &body)?;
        if new.mail_enabled == Some(true) {
            return Err(Problem::bad_field("mailEnabled", "Groups here have no mailbox: send false."));
        }
        if new.security_enabled == Some(false) {
            return Err(Problem::bad_field("securityEnabled", "Groups here grant access: send true."));
        }
        if !new.group_types.is_empty() {
            return Err(Problem::bad_field("groupTypes", "Only security groups are kept here: send an empty list."));
        }
        let _ = new.mail_nickname;
        GroupInput::parse(&new.display_name, new.description.as_deref().unwrap_or(""), Vec::new())
            .map_err(|e| invalid(&e))
    };
    let change = |mut tx: Tx, input: GroupInput| async move {
        let answer = match flow::create_within(state, &mut tx, &input, &actor).await {
            Ok(Ok(group)) => super::to_json(&group_doc(group)).map(|doc| (StatusCode::CREATED, doc)),
            Ok(Err(e)) => Err(taken(&e)),
            Err(e) => Err(e.into()),
        };
        (tx, answer)
    };
    idempotency::once(&req, state, &caller, &body, prepare, change).await
}

#[utoipa::path(
    get,
    path = "/api/v1/groups/{id}",
    tag = "groups",
    summary = "Read a group",
    params(("id" = Uuid, Path, description = "The group's id")),
    security(("api_key" = ["groups:write"])),
    responses(
        (status = 200, description = "The group", body = GroupDoc),
        (status = 404, description = "No such group", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
pub async fn show(state: web::Data<AppState>, _caller: ApiCaller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    super::ok_json(&group_doc(find(&state, &id).await?))
}

#[utoipa::path(
    patch,
    path = "/api/v1/groups/{id}",
    tag = "groups",
    summary = "Rename a group or change its description",
    description = "Its apps and members stay.",
    params(("id" = Uuid, Path, description = "The group's id")),
    request_body = GroupPatch,
    security(("api_key" = ["groups:write"])),
    responses(
        (status = 204, description = "Changed"),
        (status = 404, description = "No such group", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "Another group has this name", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = ProblemDoc, content_type = "application/problem+json"),
        BodyRefusals,
        Refusals,
    )
)]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let patch: GroupPatch = json_body(&req, &body)?;
    let group = find(&state, &id).await?;
    let apps = {
        let mut c = state.db.acquire().await?;
        links::items(c.conn(), &GROUP_APPS, group.id).await?
    };
    let name = patch.display_name.as_deref().unwrap_or(&group.name);
    let description = patch.description.as_deref().unwrap_or(&group.description);
    let input = GroupInput::parse(name, description, apps).map_err(|e| invalid(&e))?;
    flow::update(&state, group.id, &input, &caller.actor(&req)).await?.map_err(|e| taken(&e))?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    delete,
    path = "/api/v1/groups/{id}",
    tag = "groups",
    summary = "Delete a group",
    description = "Its members lose the apps it gave them (not those given to them directly).",
    params(("id" = Uuid, Path, description = "The group's id")),
    security(("api_key" = ["groups:write"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such group", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let group = find(&state, &id).await?;
    flow::delete(&state, &group, &caller.actor(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The user's id at the end of an `@odata.id`, in its hyphenated form (the document's
/// pattern, `openapi_rules::MEMBER_REFERENCE`).
fn referenced(odata_id: &str) -> Result<Uuid, Problem> {
    let last = odata_id.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    Some(last)
        .filter(|l| l.len() == 36)
        .and_then(|l| Uuid::try_parse(l).ok())
        .ok_or_else(|| Problem::bad_field("@odata.id", "Name the user as …/directoryObjects/{id} (or …/users/{id})."))
}

#[utoipa::path(
    post,
    path = "/api/v1/groups/{id}/members/$ref",
    tag = "groups",
    summary = "Add a member by reference",
    description = "Graph's way: the body's `@odata.id` names the user. The user gets the group's apps; adding a member again changes nothing.",
    params(("id" = Uuid, Path, description = "The group's id")),
    request_body = MemberRef,
    security(("api_key" = ["groups:write"])),
    responses(
        (status = 204, description = "A member now"),
        (status = 404, description = "No such group, or no such user (naming `@odata.id`), as Graph answers", body = ProblemDoc, content_type = "application/problem+json"),
        BodyRefusals,
        Refusals,
    )
)]
pub async fn add_member_ref(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let reference: MemberRef = json_body(&req, &body)?;
    let user_id = referenced(&reference.odata_id)?;
    let group_id = super::id_of(&id)?;
    // The same addition as `POST …/members`, answered as Graph does: no content.
    let mut tx = state.db.begin().await?;
    super::groups::add_member_in(&state, &mut tx, group_id, user_id, "@odata.id", &caller.actor(&req)).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    delete,
    path = "/api/v1/groups/{id}/members/{userId}/$ref",
    tag = "groups",
    summary = "Remove a member (Graph's path)",
    description = "As `DELETE /groups/{id}/members/{userId}`.",
    params(
        ("id" = Uuid, Path, description = "The group's id"),
        ("userId" = Uuid, Path, description = "The user's id")
    ),
    security(("api_key" = ["groups:write"])),
    responses(
        (status = 204, description = "Not a member (any more)"),
        (status = 404, description = "No such group", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
pub async fn remove_member_ref(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    super::groups::remove_member(req, state, caller, path).await
}
