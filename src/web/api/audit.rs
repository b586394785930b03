//! `GET /api/v1/audit`: the audit log for programs (scope `audit:read`), with the admin
//! page's filters, newest first, paged by a cursor.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::problem_doc::{ProblemDoc, Refusals};
use super::{ApiCaller, ApiResult, Problem};
use crate::db::audit::{self, AuditEvent, Filter};
use crate::state::AppState;

pub const SCOPE: &str = "audit:read";
const PAGE_MAX: i64 = 500;
const PAGE_DEFAULT: i64 = 100;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The action starts with this, e.g. `user.` or `user.invited`.
    #[serde(default)]
    action: Option<String>,
    /// The actor's name or address contains this (any case).
    #[serde(default)]
    actor: Option<String>,
    /// The target's name contains this (any case), or it is the target's id.
    #[serde(default)]
    target: Option<String>,
    /// From this time on (RFC 3339).
    #[serde(default)]
    #[param(value_type = Option<DateTime<Utc>>)]
    since: Option<String>,
    /// Before this time (RFC 3339).
    #[serde(default)]
    #[param(value_type = Option<DateTime<Utc>>)]
    until: Option<String>,
    /// How many on a page: 1 to 500 (default 100).
    #[serde(default, rename = "$top")]
    #[param(rename = "$top", value_type = Option<i64>, minimum = 1, maximum = 500)]
    top: Option<String>,
    /// Where the page starts: from the previous page's `@odata.nextLink`.
    #[serde(default, rename = "$skiptoken")]
    #[param(rename = "$skiptoken")]
    skiptoken: Option<String>,
}

/// One audit event.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEventDoc {
    id: i64,
    time: DateTime<Utc>,
    /// `user`, `api_key`, `system` or `anonymous`.
    actor_kind: String,
    actor: String,
    actor_id: Option<Uuid>,
    #[schema(example = "user.invited")]
    action: String,
    target_kind: String,
    target_id: String,
    target: String,
    details: String,
    ip: String,
}

/// A page of audit events, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    value: Vec<AuditEventDoc>,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
}

fn doc(e: AuditEvent) -> AuditEventDoc {
    AuditEventDoc {
        id: e.id,
        time: e.at,
        actor_kind: e.actor_kind,
        actor: e.actor_label,
        actor_id: e.actor_id,
        action: e.action,
        target_kind: e.target_kind,
        target_id: e.target_id,
        target: e.target_label,
        details: e.details,
        ip: e.ip,
    }
}

fn time(name: &str, text: Option<&str>) -> ApiResult<Option<DateTime<Utc>>> {
    text.map(|t| {
        DateTime::parse_from_rfc3339(t)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|_| Problem::bad_request(format!("{name} must be a time like 2026-11-27T09:00:00Z.")))
    })
    .transpose()
}

#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    summary = "Read the audit log",
    description = "Every change of data, newest first, a page at a time: follow `@odata.nextLink`.",
    params(AuditQuery),
    security(("api_key" = ["audit:read"])),
    responses(
        (status = 200, description = "A page of events", body = AuditPage),
        (status = 400, description = "A bad query parameter", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    _caller: ApiCaller,
    q: web::Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    let top = super::page_size(q.top.as_deref(), PAGE_DEFAULT, PAGE_MAX)?;
    let before_id = match q.skiptoken.as_deref() {
        None => None,
        Some(t) => Some(t.parse::<i64>().map_err(|_| Problem::bad_request("$skiptoken is not one this API gave."))?),
    };
    let filter = Filter {
        action: q.action.as_deref().unwrap_or(""),
        actor: q.actor.as_deref().unwrap_or(""),
        target: q.target.as_deref().unwrap_or(""),
        since: time("since", q.since.as_deref())?,
        until: time("until", q.until.as_deref())?,
        before_id,
        ..Filter::default()
    };
    let mut rows = {
        let mut c = state.db.acquire().await?;
        audit::batch(c.conn(), &filter, top + 1).await?
    };
    let more = rows.len() as i64 > top;
    rows.truncate(top as usize);
    let filters = [
        ("action", q.action.as_deref()),
        ("actor", q.actor.as_deref()),
        ("target", q.target.as_deref()),
        ("since", q.since.as_deref()),
        ("until", q.until.as_deref()),
    ];
    let next_link = match (more, rows.last()) {
        (true, Some(last)) => Some(super::next_link(&state, "/api/v1/audit", &filters, top, &last.id.to_string())),
        _ => None,
    };
    super::ok_json(&AuditPage { value: rows.into_iter().map(doc).collect(), next_link })
}
