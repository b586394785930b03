//! `/api/v1/accessReviews`: access reviews (F12) and their decisions, read-only (scope
//! `reviews:read`), in the shape of Microsoft Graph's access review instances and decision
//! items where one exists (`decision`: Approve, Deny or NotReviewed).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::problem_doc::{ProblemDoc, Refusals};
use super::{ApiCaller, ApiResult, Problem, id_of, ok_json, page_size};
use crate::db::reviews::{Item, Progress};
use crate::domain::review::{Decision, ReviewStatus, Undecided};
use crate::flows::reviews as flow;
use crate::state::AppState;

pub const READ: &str = "reviews:read";

/// Whose access a review asks about.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScopeDoc {
    /// `all`, `inactive`, `package` or `group`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The package's or group's id.
    id: Option<Uuid>,
    display_name: String,
}

/// How many guests a review has, and how far it got.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    total: i64,
    decided: i64,
    /// Removed when it was applied.
    removed: i64,
}

/// One occurrence of an access review.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessReviewDoc {
    id: Uuid,
    display_name: String,
    /// `NotStarted` (a recurring review's next occurrence), `InProgress`, `Applied` or `Cancelled`.
    status: &'static str,
    scope: ScopeDoc,
    /// `sponsors`, `approvers` or `guests`.
    reviewers: &'static str,
    /// `once`, `monthly`, `quarterly` or `yearly`.
    recurrence: &'static str,
    /// For guests nobody decided on: `Approve` (keep), `Deny` (remove) or `Recommendation`.
    default_decision: &'static str,
    start_date_time: DateTime<Utc>,
    end_date_time: DateTime<Utc>,
    applied_date_time: Option<DateTime<Utc>>,
    decisions: Counts,
    /// The occurrence before this one, for a recurring review.
    previous_id: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct AccessReviewList {
    value: Vec<AccessReviewDoc>,
}

/// A person, as Graph's identity sets name them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Principal {
    id: Option<Uuid>,
    display_name: String,
    user_principal_name: String,
}

/// One guest's decision in a review.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DecisionDoc {
    principal: Principal,
    /// `Approve` (keep), `Deny` (remove) or `NotReviewed`.
    decision: &'static str,
    /// `Approve` (signed in within the inactivity period) or `Deny`.
    recommendation: &'static str,
    justification: String,
    /// The reviewer's address, once decided.
    reviewed_by: Option<String>,
    reviewed_date_time: Option<DateTime<Utc>>,
    last_sign_in_date_time: Option<DateTime<Utc>>,
    /// Once applied: `kept`, `removed`, `kept_by_default`, `removed_by_default` or `gone`.
    outcome: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DecisionList {
    value: Vec<DecisionDoc>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DecisionsQuery {
    /// How many, by name: 1 to 1000 (default 100).
    #[serde(default, rename = "$top")]
    #[param(rename = "$top", value_type = Option<i64>, minimum = 1, maximum = 1000)]
    top: Option<String>,
    /// Page through with `$skip` (a number of decisions).
    #[serde(default, rename = "$skip")]
    #[param(rename = "$skip", value_type = Option<i64>, minimum = 0, maximum = 10_000_000)]
    skip: Option<String>,
}

fn graph_decision(d: Decision) -> &'static str {
    match d {
        Decision::Keep => "Approve",
        Decision::Remove => "Deny",
    }
}

fn doc(p: Progress) -> AccessReviewDoc {
    let r = p.review;
    AccessReviewDoc {
        id: r.id,
        display_name: r.name,
        status: match r.status {
            ReviewStatus::Scheduled => "NotStarted",
            ReviewStatus::Running => "InProgress",
            ReviewStatus::Applied => "Applied",
            ReviewStatus::Cancelled => "Cancelled",
        },
        scope: ScopeDoc { kind: r.scope.as_str(), id: r.scope_id, display_name: r.scope_name },
        reviewers: r.reviewers.as_str(),
        recurrence: r.recurrence.as_str(),
        default_decision: match r.undecided {
            Undecided::Keep => "Approve",
            Undecided::Remove => "Deny",
            Undecided::Recommendation => "Recommendation",
        },
        start_date_time: r.starts_at,
        end_date_time: r.ends_at,
        applied_date_time: r.applied_at,
        decisions: Counts { total: p.guests, decided: p.decided, removed: p.removed },
        previous_id: r.previous_id,
    }
}

fn decision_doc(i: Item) -> DecisionDoc {
    DecisionDoc {
        principal: Principal {
            id: (!i.email.is_empty()).then_some(i.user_id),
            display_name: i.name,
            user_principal_name: i.email,
        },
        decision: i.decision.map(graph_decision).unwrap_or("NotReviewed"),
        recommendation: graph_decision(i.recommendation),
        justification: i.reason,
        reviewed_by: i.decision.map(|_| i.decided_by_label),
        reviewed_date_time: i.decided_at,
        last_sign_in_date_time: i.last_sign_in_at,
        outcome: i.outcome,
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/accessReviews",
    tag = "accessReviews",
    summary = "List access reviews",
    description = "Every occurrence, the newest first (at most 500).",
    security(("api_key" = ["reviews:read"])),
    responses((status = 200, description = "The reviews", body = AccessReviewList), Refusals)
)]
pub async fn list(state: web::Data<AppState>, _caller: ApiCaller) -> ApiResult<HttpResponse> {
    let value = flow::all(&state).await?.into_iter().map(doc).collect();
    ok_json(&AccessReviewList { value })
}

#[utoipa::path(
    get,
    path = "/api/v1/accessReviews/{id}",
    tag = "accessReviews",
    summary = "Read an access review",
    params(("id" = Uuid, Path, description = "The review's id")),
    security(("api_key" = ["reviews:read"])),
    responses(
        (status = 200, description = "The review", body = AccessReviewDoc),
        (status = 404, description = "No such review", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
pub async fn show(state: web::Data<AppState>, _caller: ApiCaller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    ok_json(&doc(flow::progress(&state, id_of(&id)?).await?.ok_or_else(Problem::not_found)?))
}

#[utoipa::path(
    get,
    path = "/api/v1/accessReviews/{id}/decisions",
    tag = "accessReviews",
    summary = "List a review's decisions",
    description = "One per guest, by name: the decision, who made it and when, and once applied what was done.",
    params(("id" = Uuid, Path, description = "The review's id"), DecisionsQuery),
    security(("api_key" = ["reviews:read"])),
    responses(
        (status = 200, description = "The decisions", body = DecisionList),
        (status = 400, description = "A bad query parameter", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such review", body = ProblemDoc, content_type = "application/problem+json"),
        Refusals,
    )
)]
pub async fn decisions(
    state: web::Data<AppState>,
    _caller: ApiCaller,
    id: web::Path<String>,
    q: web::Query<DecisionsQuery>,
) -> ApiResult<HttpResponse> {
    let top = page_size(q.top.as_deref(), 100, 1000)?;
    let skip = match q.skip.as_deref() {
        None => 0,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=10_000_000).contains(n))
            .ok_or_else(|| Problem::bad_request("`$skip` is a number of decisions, 0 to 10,000,000."))?,
    };
    let items = flow::decisions(&state, id_of(&id)?, top, skip).await?.ok_or_else(Problem::not_found)?;
    let value = items.into_iter().map(decision_doc).collect();
    ok_json(&DecisionList { value })
}
