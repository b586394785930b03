//! `/api/v1/groups`: groups and their members (scope `groups:write`), through the flows
//! Admin → Groups uses. A group gives its members its apps.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::idempotency::{self, Answer};
use super::problem_doc::{BodyRefusals, ProblemDoc, Refusals};
use super::{ApiCaller, ApiResult, Problem, id_of, json_body, ok_json, to_json};
use crate::db::groups::{self, Group, Member};
use crate::db::{Tx, users};
use crate::domain::audit::Actor;
use crate::state::AppState;

pub const SCOPE: &str = "groups:write";

/// A group, as Graph names its fields.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupDoc {
    id: Uuid,
    display_name: String,
    description: String,
}

#[derive(Serialize, ToSchema)]
pub struct GroupList {
    value: Vec<GroupDoc>,
}

/// A member of a group.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberDoc {
    /// The user's id.
    id: Uuid,
    mail: String,
    display_name: String,
}

#[derive(Serialize, ToSchema)]
pub struct MemberList {
    value: Vec<MemberDoc>,
}

/// Whom to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    /// The user's id (`invitedUser.id` of their invitation).
    id: Uuid,
}

pub(super) fn group_doc(g: Group) -> GroupDoc {
    GroupDoc { id: g.id, display_name: g.name, description: g.description }
}

fn member_doc(m: &Member) -> MemberDoc {
    MemberDoc { id: m.user_id, mail: m.email.clone(), display_name: m.display_name.clone() }
}

pub(super) async fn find(state: &AppState, id: &str) -> ApiResult<Group> {
    let id = id_of(id)?;
    let mut c = state.db.acquire().await?;
    groups::find(c.conn(), id).await?.ok_or_else(Problem::not_found)
}

async fn members(state: &AppState, group: &Group) -> ApiResult<Vec<Member>> {
    let mut c = state.db.acquire().await?;
    Ok(groups::members(c.conn(), group.id).await?)
}

#[utoipa::path(
    get,
    path = "/api/v1/groups",
    tag = "groups",
    summary = "List the groups",
    security(("api_key" = ["groups:write"])),
    responses((status = 200, description = "Every group, by name", body = GroupList), Refusals)
)]
pub async fn list(state: web::Data<AppState>, _caller: ApiCaller) -> ApiResult<HttpResponse> {
    let all = {
        let mut c = state.db.acquire().await?;
        groups::all(c.conn()).await?
    };
    let value = all.into_iter().map(group_doc).collect();
    ok_json(&GroupList { value })
}

#[utoipa::path(
    get,
    path = "/api/v1/groups/{id}/members",
    tag = "groups",
    summary = "List a group's members",
    params(("id" = Uuid, Path, description = "The group's id")),
    security(("api_key" = ["groups:write"])),
    responses(
        (status = 200, description = "The members, by address", body = MemberList),
        (status = 404, description = "No such group", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
pub async fn list_members(
    state: web::Data<AppState>,
    _caller: ApiCaller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let group = find(&state, &id).await?;
    ok_json(&MemberList { value: members(&state, &group).await?.iter().map(member_doc).collect() })
}

#[utoipa::path(
    post,
    path = "/api/v1/groups/{id}/members",
    tag = "groups",
    summary = "Add a member",
    description = "The user gets the group's apps. Adding a member again keeps one membership (one that was to expire, from an access package, then does not).",
    params(("id" = Uuid, Path, description = "The group's id")),
    request_body = NewMember,
    security(("api_key" = ["groups:write"])),
    responses(
        (status = 200, description = "A member now", body = MemberDoc),
        (status = 404, description = "No such group, or no such user (naming `id`)", body = ProblemDoc, content_type = "application/problem+json"),
        BodyRefusals,
        Refusals,
    )
)]
pub async fn add_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let state = state.get_ref();
    let actor = caller.actor(&req);
    let prepare = || async {
        let new: NewMember = json_body(&req, &body)?;
        Ok((id_of(&id)?, new.id))
    };
    let change = |mut tx: Tx, (group_id, user_id): (Uuid, Uuid)| async move {
        let answer = add_member_in(state, &mut tx, group_id, user_id, "id", &actor).await;
        (tx, answer)
    };
    idempotency::once(&req, state, &caller, &body, prepare, change).await
}

/// Adds the user to the group (both by id); `field` is the body's name for the user
/// (`id`, or Graph's `@odata.id`), which a refusal names.
pub(super) async fn add_member_in(
    state: &AppState,
    tx: &mut Tx,
    group_id: Uuid,
    user_id: Uuid,
    field: &str,
    actor: &Actor,
) -> Answer {
    let group = groups::find(tx.conn(), group_id).await?.ok_or_else(Problem::not_found)?;
    let refused = |why: String| Problem::invalid_field(field, why);
    let user = users::find(tx.conn(), user_id)
        .await?
        .ok_or_else(|| Problem::unknown_reference(field, "There is no such user."))?;
    crate::flows::groups::add_member_within(state, tx, &group, &user.email, actor).await?.map_err(refused)?;
    let member = MemberDoc { id: user.id, mail: user.email, display_name: user.display_name };
    Ok((StatusCode::OK, to_json(&member)?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/groups/{id}/members/{userId}",
    tag = "groups",
    summary = "Remove a member",
    description = "The user keeps apps given to them directly, not the group's. Removing a non-member changes nothing.",
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
pub async fn remove_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let group = find(&state, &path.0).await?;
    let user_id = id_of(&path.1)?;
    crate::flows::groups::remove_member(&state, &group, user_id, &caller.actor(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}
