//! `/api/v1/users`: read guests and members (scope `users:read`); change, block, unblock and
//! remove guests (scope `users:write`), through the same flows as the admin's user page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::problem_doc::{BodyRefusals, ProblemDoc, Refusals};
use super::{ApiCaller, ApiResult, Problem, id_of, json_body, ok_json};
use crate::db::Page;
use crate::db::users::{self, Filter, User};
use crate::domain::user::{GUEST, MEMBER, UserState};
use crate::domain::{BoundedText, DisplayName, odata};
use crate::state::AppState;

pub const READ: &str = "users:read";
pub const WRITE: &str = "users:write";
const PAGE_MAX: i64 = 999;
const PAGE_DEFAULT: i64 = 50;

/// A guest or member.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDoc {
    id: Uuid,
    mail: String,
    display_name: String,
    #[schema(example = "Guest")]
    user_type: &'static str,
    /// `PendingAcceptance`, `Accepted` or `Blocked`.
    #[schema(example = "Accepted")]
    state: &'static str,
    is_admin: bool,
    created_date_time: DateTime<Utc>,
    accepted_date_time: Option<DateTime<Utc>>,
    sign_in_activity: SignInActivity,
    /// When a guest's access ends, if it does.
    expires_date_time: Option<DateTime<Utc>>,
    /// False while sign-in is blocked (Graph's name).
    account_enabled: bool,
    company_name: String,
    /// For guests, Graph's `PendingAcceptance` or `Accepted`; null for members.
    external_user_state: Option<&'static str>,
}

/// When the user last signed in, as Graph's `signInActivity` says it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignInActivity {
    /// Their last sign-in; null if they never signed in.
    last_sign_in_date_time: Option<DateTime<Utc>>,
}

/// A page of users, newest first.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // only its schema is used: the page is written as JSON, `$select` applied
pub struct UserList {
    value: Vec<SelectedUser>,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
    /// With `$count=true`.
    #[serde(rename = "@odata.count", skip_serializing_if = "Option::is_none")]
    count: Option<i64>,
}

/// A user in a list: every property of `UserDoc`, those `$select` names when it is given.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // only its schema is used
pub struct SelectedUser {
    id: Uuid,
    mail: Option<String>,
    display_name: Option<String>,
    user_type: Option<String>,
    state: Option<String>,
    is_admin: Option<bool>,
    created_date_time: Option<DateTime<Utc>>,
    accepted_date_time: Option<DateTime<Utc>>,
    sign_in_activity: Option<SignInActivity>,
    expires_date_time: Option<DateTime<Utc>>,
    account_enabled: Option<bool>,
    company_name: Option<String>,
    external_user_state: Option<String>,
}

fn state_word(s: UserState) -> &'static str {
    match s {
        UserState::PendingAcceptance => "PendingAcceptance",
        UserState::Accepted => "Accepted",
        UserState::Blocked => "Blocked",
    }
}

pub(super) fn doc(u: &User) -> UserDoc {
    UserDoc {
        id: u.id,
        mail: u.email.clone(),
        display_name: u.display_name.clone(),
        user_type: if u.user_type == GUEST { "Guest" } else { "Member" },
        state: state_word(u.state),
        is_admin: u.is_admin,
        created_date_time: u.created_at,
        accepted_date_time: u.accepted_at,
        sign_in_activity: SignInActivity { last_sign_in_date_time: u.last_sign_in_at },
        expires_date_time: u.expires_at,
        account_enabled: u.state != UserState::Blocked,
        company_name: u.company.clone(),
        external_user_state: (u.user_type == GUEST).then_some(if u.accepted_at.is_some() {
            "Accepted"
        } else {
            "PendingAcceptance"
        }),
    }
}

/// The properties of a guest `PATCH` changes, by Graph's names; others are refused.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default)]
    #[schema(max_length = 100)]
    display_name: Option<String>,
    /// False blocks sign-in (sessions end at once); true unblocks.
    #[serde(default)]
    account_enabled: Option<bool>,
    #[serde(default)]
    #[schema(max_length = 100)]
    company_name: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// A name, an address or a domain the user's contains.
    #[serde(default)]
    search: Option<String>,
    #[serde(default, rename = "userType")]
    #[param(rename = "userType", value_type = Option<String>, example = "Guest")]
    user_type: Option<String>,
    #[serde(default)]
    #[param(value_type = Option<String>, example = "Accepted")]
    state: Option<String>,
    /// Graph's OData subset: `eq`, `ne`, `in`, `startswith` and `and`/`or` on `userType`,
    /// `mail`, `displayName`, `accountEnabled`, `externalUserState`; `lt`, `le`, `gt`, `ge`
    /// on `createdDateTime` and `signInActivity/lastSignInDateTime` (users who never signed
    /// in match no bound on it). Anything else is a 400 naming it.
    #[serde(default, rename = "$filter")]
    #[param(rename = "$filter", example = "userType eq 'Guest' and startswith(mail,'ana')")]
    filter: Option<String>,
    /// The properties to answer with, comma-separated (`id` always comes).
    #[serde(default, rename = "$select")]
    #[param(rename = "$select", example = "id,displayName,mail")]
    select: Option<String>,
    /// `true` adds `@odata.count`; as in Graph it needs the header `ConsistencyLevel: eventual`.
    #[serde(default, rename = "$count")]
    #[param(rename = "$count", value_type = Option<bool>)]
    count: Option<String>,
    /// How many on a page: 1 to 999 (default 50).
    #[serde(default, rename = "$top")]
    #[param(rename = "$top", value_type = Option<i64>, minimum = 1, maximum = 999)]
    top: Option<String>,
    /// Where the page starts: from the previous page's `@odata.nextLink`.
    #[serde(default, rename = "$skiptoken")]
    #[param(rename = "$skiptoken")]
    skiptoken: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "users",
    summary = "List users",
    description = "Guests and members, newest first, a page at a time: follow `@odata.nextLink`. Graph's OData subset: `$filter` with `eq`, `ne`, `in`, `startswith`, `and`/`or` and parentheses on `userType`, `mail`, `displayName`, `accountEnabled`, `externalUserState`, and `lt`/`le`/`gt`/`ge` on `createdDateTime` and `signInActivity/lastSignInDateTime`; `$select`; `$top` up to 999; `$count=true` with `ConsistencyLevel: eventual`. Another option, property or operator is a 400 naming it. `userType`, `state` and `search` are Vestibule's own shortcuts.",
    params(UserQuery),
    security(("api_key" = ["users:read"])),
    responses(
        (status = 200, description = "A page of users", body = UserList),
        (status = 400, description = "A bad query parameter", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    _caller: ApiCaller,
    q: web::Query<UserQuery>,
) -> ApiResult<HttpResponse> {
    refuse_unknown_options(req.query_string())?;
    let top = super::page_size(q.top.as_deref(), PAGE_DEFAULT, PAGE_MAX)?;
    let skip = match q.skiptoken.as_deref() {
        None => 0,
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0 && n % top == 0)
            .ok_or_else(|| Problem::bad_request("$skiptoken is not one this API gave (keep $top as it was)."))?,
    };
    let user_type = match q.user_type.as_deref() {
        None => "",
        Some(t) if t.eq_ignore_ascii_case("guest") => GUEST,
        Some(t) if t.eq_ignore_ascii_case("member") => MEMBER,
        Some(_) => return Err(Problem::bad_request("userType must be Guest or Member.")),
    };
    let st = match q.state.as_deref() {
        None => None,
        Some(word) => Some(
            [UserState::PendingAcceptance, UserState::Accepted, UserState::Blocked]
                .into_iter()
                .find(|s| state_word(*s).eq_ignore_ascii_case(word))
                .ok_or_else(|| Problem::bad_request("state must be PendingAcceptance, Accepted or Blocked.")),
        )
        .transpose()?,
    };
    let odata = q.filter.as_deref().map(odata::parse).transpose().map_err(|e| Problem::bad_field("$filter", e.0))?;
    let select = q.select.as_deref().map(selected).transpose()?;
    let count = match q.count.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("false") => false,
        Some("true") => {
            let eventual = req
                .headers()
                .get("consistencylevel")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("eventual"));
            if !eventual {
                return Err(Problem::bad_field(
                    "$count",
                    "Send the header ConsistencyLevel: eventual with $count, as Graph asks.",
                ));
            }
            true
        }
        Some(_) => return Err(Problem::bad_field("$count", "Send true or false.")),
    };
    let search = q.search.as_deref().unwrap_or("").chars().take(200).collect::<String>();
    let email_query = crate::domain::email::ascii_for_search(&search);
    let filter = Filter {
        query: &search,
        email_query: &email_query,
        user_type,
        state: st.map_or("", |s| s.as_str()),
        inactive_before: None,
        last_sign_in: None,
        odata: odata.as_ref(),
    };
    let (rows, total) = {
        let mut c = state.db.acquire().await?;
        users::search(c.conn(), &filter, Page { number: skip / top + 1, size: top }).await?
    };
    let filters = [
        ("search", q.search.as_deref()),
        ("userType", q.user_type.as_deref()),
        ("state", q.state.as_deref()),
        ("$filter", q.filter.as_deref()),
        ("$select", q.select.as_deref()),
        ("$count", q.count.as_deref()),
    ];
    let next_link = (skip + top < total)
        .then(|| super::next_link(&state, "/api/v1/users", &filters, top, &(skip + top).to_string()));
    let mut value = Vec::with_capacity(rows.len());
    for u in &rows {
        let mut one = super::to_json(&doc(u))?;
        if let (Some(keep), serde_json::Value::Object(map)) = (&select, &mut one) {
            map.retain(|k, _| k == "id" || keep.iter().any(|s| s == k));
        }
        value.push(one);
    }
    let mut page = serde_json::json!({ "value": value });
    if count {
        page["@odata.count"] = total.into();
    }
    if let Some(link) = next_link {
        page["@odata.nextLink"] = link.into();
    }
    Ok(super::json(StatusCode::OK, &page))
}

/// The properties a user has here, as `$select` names them.
const SELECTABLE: &[&str] = &[
    "id",
    "mail",
    "displayName",
    "userType",
    "state",
    "isAdmin",
    "createdDateTime",
    "acceptedDateTime",
    "signInActivity",
    "expiresDateTime",
    "accountEnabled",
    "companyName",
    "externalUserState",
];

fn selected(text: &str) -> ApiResult<Vec<String>> {
    let mut out = Vec::new();
    for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let Some(known) = SELECTABLE.iter().find(|s| s.eq_ignore_ascii_case(word)) else {
            let word: String = word.chars().take(60).collect();
            return Err(Problem::bad_field(
                "$select",
                format!("{word} is not a property here; these are: {}.", SELECTABLE.join(", ")),
            ));
        };
        out.push((*known).to_string());
    }
    Ok(out)
}

/// The OData options this list takes; another (`$orderby`, `$expand`, `$search`, …) is a
/// 400 naming it rather than ignored.
fn refuse_unknown_options(query: &str) -> ApiResult<()> {
    const TAKEN: &[&str] = &["$filter", "$select", "$count", "$top", "$skiptoken"];
    for (key, _) in url::form_urlencoded::parse(query.as_bytes()) {
        if key.starts_with('$') && !TAKEN.iter().any(|t| t.eq_ignore_ascii_case(&key)) {
            let key: String = key.chars().take(40).collect();
            return Err(Problem::bad_field(
                &key,
                format!("{key} is not supported here; these are: {}.", TAKEN.join(", ")),
            ));
        }
    }
    Ok(())
}

async fn find(state: &AppState, id: Uuid) -> ApiResult<User> {
    let mut c = state.db.acquire().await?;
    users::find(c.conn(), id).await?.ok_or_else(Problem::not_found)
}

#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    tag = "users",
    summary = "Read a user",
    params(("id" = Uuid, Path, description = "The user's id")),
    security(("api_key" = ["users:read"])),
    responses(
        (status = 200, description = "The user", body = UserDoc),
        (status = 404, description = "No such user", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
pub async fn show(state: web::Data<AppState>, _caller: ApiCaller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    ok_json(&doc(&find(&state, id_of(&id)?).await?))
}

/// Blocks or unblocks a guest: the flow the admin's user page uses.
async fn set_blocked(
    req: &HttpRequest,
    state: &AppState,
    caller: &ApiCaller,
    id: &str,
    blocked: bool,
) -> ApiResult<HttpResponse> {
    let user = find(state, id_of(id)?).await?;
    if user.user_type != GUEST {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "Not a guest",
            "The API blocks guests; members are managed on the admin's pages.",
        ));
    }
    crate::flows::users::set_blocked(state, user.id, blocked, &caller.actor(req)).await?;
    ok_json(&doc(&find(state, user.id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/block",
    tag = "users",
    summary = "Block a guest",
    description = "They cannot sign in, and their sessions end now (apps hear of it through back-channel logout).",
    params(("id" = Uuid, Path, description = "The guest's id")),
    security(("api_key" = ["users:write"])),
    responses(
        (status = 200, description = "Blocked", body = UserDoc),
        (status = 404, description = "No such user", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "Not a guest", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
pub async fn block(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    set_blocked(&req, &state, &caller, &id, true).await
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/unblock",
    tag = "users",
    summary = "Unblock a guest",
    params(("id" = Uuid, Path, description = "The guest's id")),
    security(("api_key" = ["users:write"])),
    responses(
        (status = 200, description = "Unblocked", body = UserDoc),
        (status = 404, description = "No such user", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "Not a guest", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
pub async fn unblock(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    set_blocked(&req, &state, &caller, &id, false).await
}

#[utoipa::path(
    patch,
    path = "/api/v1/users/{id}",
    tag = "users",
    summary = "Change a guest",
    description = "Graph's `PATCH /users/{id}` for what the portal keeps: `displayName`, `companyName`, and `accountEnabled` (false blocks sign-in and ends the guest's sessions). Any other property is a 400 naming it.",
    params(("id" = Uuid, Path, description = "The guest's id")),
    request_body = UserPatch,
    security(("api_key" = ["users:write"])),
    responses(
        (status = 200, description = "Changed", body = UserDoc),
        (status = 404, description = "No such user", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "Not a guest", body = ProblemDoc, content_type = "application/problem+json"),
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
    let patch: UserPatch = json_body(&req, &body)?;
    let user = find(&state, id_of(&id)?).await?;
    if user.user_type != GUEST {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "Not a guest",
            "The API changes guests; members are managed on the admin's pages.",
        ));
    }
    let display_name = match patch.display_name.as_deref() {
        None => None,
        Some(n) => Some(DisplayName::parse(n).map_err(|e| Problem::invalid_field("displayName", e.to_string()))?),
    };
    let company = match patch.company_name.as_deref() {
        None => None,
        Some(c) => Some(
            BoundedText::parse(c, "The company", 100, false)
                .map_err(|e| Problem::invalid_field("companyName", e.to_string()))?
                .into_string(),
        ),
    };
    let change = crate::flows::users::Change { display_name, company, enabled: patch.account_enabled };
    crate::flows::users::update(&state, user.id, &change, &caller.actor(&req)).await?;
    ok_json(&doc(&find(&state, user.id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/extend",
    tag = "users",
    summary = "Extend a guest's access",
    description = "Their access now lasts the organization's guest lifetime (Settings) from today, as a sponsor's Extend does; `expiresDateTime` says until when.",
    params(("id" = Uuid, Path, description = "The guest's id")),
    security(("api_key" = ["users:write"])),
    responses(
        (status = 200, description = "Extended", body = UserDoc),
        (status = 404, description = "No such guest", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "Guest access does not end here, or the guest has not redeemed yet", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
pub async fn extend(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id_of(&id)?;
    crate::flows::sponsors::extend(&state, id, &caller.0.user, &caller.actor(&req))
        .await?
        .map_err(|refused| Problem::new(StatusCode::CONFLICT, "Not extended", refused.to_string()))?;
    ok_json(&doc(&find(&state, id).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}",
    tag = "users",
    summary = "Remove a guest",
    description = "Deletes the guest's account with its identities and access; their sessions end.",
    params(("id" = Uuid, Path, description = "The guest's id")),
    security(("api_key" = ["users:write"])),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such guest", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    crate::flows::sponsors::remove(&state, id_of(&id)?, &caller.0.user, &caller.actor(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}
