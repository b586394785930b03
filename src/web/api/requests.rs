//! `/api/v1/requests`: partners' sign-up requests (F3) — read them (scope `requests:read`)
//! and decide them as an admin (scope `requests:write`), through the flow of Admin →
//! Requests (`flows::approval::admin_decide`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::idempotency::{self, Answer};
use super::problem_doc::{BodyRefusals, ProblemDoc, Refusals};
use super::{ApiCaller, ApiResult, Problem, id_of, json_body, ok_json, page_size, to_json};
use crate::db::requests::{self, Request};
use crate::db::users::User;
use crate::db::{Conn, Tx, packages};
use crate::domain::BoundedText;
use crate::domain::audit::Actor;
use crate::domain::request::RequestStatus;
use crate::flows::approval::{self, Decided};
use crate::state::AppState;

pub const READ: &str = "requests:read";
pub const WRITE: &str = "requests:write";

/// A request's state.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // only its schema is used: the stored names are written
pub enum RequestState {
    EmailUnverified,
    PendingApproval,
    Approved,
    Denied,
    Expired,
    Withdrawn,
}

/// A sign-up request.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestDoc {
    id: Uuid,
    email: String,
    display_name: String,
    company: String,
    /// Why they ask.
    reason: String,
    /// The access package asked for.
    package_id: Uuid,
    package_name: String,
    #[schema(value_type = RequestState)]
    status: &'static str,
    created_date_time: DateTime<Utc>,
    expires_date_time: DateTime<Utc>,
    decided_date_time: Option<DateTime<Utc>>,
    /// Who decided (an approver's or admin's address), once decided.
    decided_by: String,
    decision_note: String,
}

#[derive(Serialize, ToSchema)]
pub struct RequestList {
    value: Vec<RequestDoc>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many, newest first: 1 to 200 (default 100).
    #[serde(default, rename = "$top")]
    #[param(rename = "$top", value_type = Option<i64>, minimum = 1, maximum = 200)]
    top: Option<String>,
    /// Only requests in this state.
    #[serde(default)]
    #[param(value_type = Option<RequestState>)]
    status: Option<String>,
}

/// An admin's decision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    #[schema(example = "approve")]
    decision: Verdict,
    /// Sent to the partner with a denial (at most 1,000 characters).
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Approve,
    Deny,
}

/// The request as the API shows it, with its package's name.
fn doc(r: Request, package_name: String, now: DateTime<Utc>) -> RequestDoc {
    RequestDoc {
        id: r.id,
        package_id: r.package_id,
        package_name,
        status: r.status.effective(r.expires_at, now).as_str(),
        created_date_time: r.created_at,
        expires_date_time: r.expires_at,
        decided_date_time: r.decided_at,
        email: r.email,
        display_name: r.name,
        company: r.company,
        reason: r.reason,
        decided_by: r.decided_by,
        decision_note: r.decision_note,
    }
}

/// One request as the API shows it.
async fn one(state: &AppState, r: Request) -> ApiResult<RequestDoc> {
    let mut c = state.db.acquire().await?;
    one_in(c.conn(), r, state.clock.now()).await
}

async fn one_in(c: Conn<'_>, r: Request, now: DateTime<Utc>) -> ApiResult<RequestDoc> {
    let package = packages::find(c, r.package_id).await?;
    Ok(doc(r, package.map(|p| p.name).unwrap_or_default(), now))
}

async fn find(state: &AppState, id: Uuid) -> ApiResult<Request> {
    let mut c = state.db.acquire().await?;
    requests::find(c.conn(), id).await?.ok_or_else(Problem::not_found)
}

#[utoipa::path(
    get,
    path = "/api/v1/requests",
    tag = "requests",
    summary = "List sign-up requests",
    description = "The newest first.",
    params(ListQuery),
    security(("api_key" = ["requests:read"])),
    responses(
        (status = 200, description = "The requests", body = RequestList),
        (status = 400, description = "A bad query parameter", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
pub async fn list(state: web::Data<AppState>, _caller: ApiCaller, q: web::Query<ListQuery>) -> ApiResult<HttpResponse> {
    let top = page_size(q.top.as_deref(), 100, 200)?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(RequestStatus::parse(s).ok_or_else(|| Problem::bad_request("No such status."))?),
    };
    // The packages read once for the page, as Admin → Requests does.
    let (rows, all_packages) = {
        let mut c = state.db.acquire().await?;
        (requests::list(c.conn(), status, top).await?, packages::all(c.conn()).await?)
    };
    let now = state.clock.now();
    let name_of = |id: Uuid| all_packages.iter().find(|p| p.id == id).map(|p| p.name.clone()).unwrap_or_default();
    let value = rows
        .into_iter()
        .map(|r| {
            let name = name_of(r.package_id);
            doc(r, name, now)
        })
        .collect();
    ok_json(&RequestList { value })
}

#[utoipa::path(
    get,
    path = "/api/v1/requests/{id}",
    tag = "requests",
    summary = "Read a sign-up request",
    params(("id" = Uuid, Path, description = "The request's id")),
    security(("api_key" = ["requests:read"])),
    responses(
        (status = 200, description = "The request", body = RequestDoc),
        (status = 404, description = "No such request", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
pub async fn show(state: web::Data<AppState>, _caller: ApiCaller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let r = find(&state, id_of(&id)?).await?;
    ok_json(&one(&state, r).await?)
}

#[utoipa::path(
    post,
    path = "/api/v1/requests/{id}/decision",
    tag = "requests",
    summary = "Approve or deny a sign-up request",
    description = "As an admin on Admin → Requests, whatever the package's approval mode: an approval invites the partner into the package, a denial tells them (with the note).",
    params(("id" = Uuid, Path, description = "The request's id")),
    request_body = Decision,
    security(("api_key" = ["requests:write"])),
    responses(
        (status = 200, description = "Decided", body = RequestDoc),
        (status = 404, description = "No such request", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "Decided or ended already; the key's admin asked for it; or the domain is no longer admitted", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, description = "A note over 1,000 characters", body = ProblemDoc, content_type = "application/problem+json"),
        BodyRefusals,
        Refusals,
    )
)]
pub async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let state = state.get_ref();
    let actor = caller.actor(&req);
    let admin = &caller.0.user;
    let prepare = || async {
        let d: Decision = json_body(&req, &body)?;
        let note = BoundedText::parse(d.note.as_deref().unwrap_or(""), "The note", 1000, true)
            .map_err(|e| Problem::invalid_field("note", e.to_string()))?;
        Ok((id_of(&id)?, d.decision == Verdict::Approve, note.as_str().to_string()))
    };
    let change = |mut tx: Tx, (id, approve, note): (Uuid, bool, String)| async move {
        let answer = decide_in(state, &mut tx, id, approve, &note, admin, &actor).await;
        (tx, answer)
    };
    idempotency::once(&req, state, &caller, &body, prepare, change).await
}

async fn decide_in(
    state: &AppState,
    tx: &mut Tx,
    id: Uuid,
    approve: bool,
    note: &str,
    admin: &User,
    actor: &Actor,
) -> Answer {
    let conflict = |why: String| Problem::new(StatusCode::CONFLICT, "Not decided", why);
    match approval::admin_decide_within(state, tx, id, approve, note, admin, actor).await? {
        None => return Err(Problem::not_found()),
        Some(Decided::Recorded(_) | Decided::Approved(_)) => {}
        Some(Decided::AlreadyClosed(status)) => {
            return Err(conflict(format!("The request was already {}.", status.in_sentence())));
        }
        Some(Decided::DomainRefused) => {
            return Err(conflict("The partner domain policy no longer admits this address; deny it instead.".into()));
        }
        Some(Decided::NotEntitled) => {
            return Err(conflict("Nobody decides their own request: the key's admin asked for this one.".into()));
        }
    }
    let request = requests::find(tx.conn(), id).await?.ok_or_else(Problem::not_found)?;
    Ok((StatusCode::OK, to_json(&one_in(tx.conn(), request, state.clock.now()).await?)?))
}
