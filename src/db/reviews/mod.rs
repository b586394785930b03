//! Access reviews (F12): the occurrences, the guests snapshot into each when it starts, the
//! reviewers with their links, and each reviewer's share of the guests. The set-based
//! inserts keep a review of ten thousand guests to a handful of statements.

use chrono::{DateTime, Utc};
use uuid::Uuid;

mod items;
mod reviewers;

pub use items::{Decided, Item, Show, decide, forget, item, items, kept, removed, reviews, settle, snapshot};
pub use reviewers::{
    Reviewer, add_reviewer, candidates, drop_idle_reviewers, mark_reminded, open_for, reviewer_by_token, reviewer_of,
    reviewers, share, share_the_rest, unshared,
};

use super::{Conn, run};
use crate::domain::review::{Recurrence, ReviewStatus, Reviewers, Scope, Undecided};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Review {
    pub id: Uuid,
    pub name: String,
    pub scope: Scope,
    pub scope_id: Option<Uuid>,
    pub scope_name: String,
    pub reviewers: Reviewers,
    /// Fallback members' addresses, one per line.
    pub fallback: String,
    pub duration_days: i64,
    pub recurrence: Recurrence,
    pub undecided: Undecided,
    pub status: ReviewStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub applied_at: Option<DateTime<Utc>>,
    pub stopped_by: String,
    pub created_by: String,
    pub previous_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl Review {
    /// Its scope as pages say it: "Group Project Atlas", "Access package Atlas", "All guests".
    pub fn scope_words(&self) -> String {
        match self.scope {
            Scope::Package => format!("Access package {}", self.scope_name),
            Scope::Group => format!("Group {}", self.scope_name),
            Scope::All | Scope::Inactive => self.scope_name.clone(),
        }
    }
}

const COLUMNS: &str = "id, name, scope, scope_id, scope_name, reviewers, fallback, duration_days, recurrence, \
    undecided, status, starts_at, ends_at, applied_at, stopped_by, created_by, previous_id, created_at";

fn columns_of(alias: &str) -> String {
    COLUMNS.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

/// Inserts an occurrence (its `id`, `status` and dates as given).
pub async fn insert(c: Conn<'_>, r: &Review) -> sqlx::Result<()> {
    let sql = format!(
        "INSERT INTO access_reviews ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
    );
    run!(c, |e| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(r.id)
        .bind(&r.name)
        .bind(r.scope)
        .bind(r.scope_id)
        .bind(&r.scope_name)
        .bind(r.reviewers)
        .bind(&r.fallback)
        .bind(r.duration_days)
        .bind(r.recurrence)
        .bind(r.undecided)
        .bind(r.status)
        .bind(r.starts_at)
        .bind(r.ends_at)
        .bind(r.applied_at)
        .bind(&r.stopped_by)
        .bind(&r.created_by)
        .bind(r.previous_id)
        .bind(r.created_at)
        .execute(e)
        .await
        .map(|_| ()))
}

pub async fn find(c: Conn<'_>, id: Uuid) -> sqlx::Result<Option<Review>> {
    let sql = format!("SELECT {COLUMNS} FROM access_reviews WHERE id = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(e).await)
}

/// A review with how far its reviewers got.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Progress {
    #[sqlx(flatten)]
    pub review: Review,
    pub guests: i64,
    pub decided: i64,
    pub removed: i64,
}

impl Progress {
    pub fn percent(&self) -> i64 {
        if self.guests == 0 { 100 } else { self.decided * 100 / self.guests }
    }
}

const PROGRESS: &str = "(SELECT COUNT(*) FROM access_review_items i WHERE i.review_id = r.id) AS guests, \
    (SELECT COUNT(*) FROM access_review_items i WHERE i.review_id = r.id AND i.decision IS NOT NULL) AS decided, \
    (SELECT COUNT(*) FROM access_review_items i WHERE i.review_id = r.id AND i.outcome LIKE 'removed%') AS removed";

/// Every review, the newest first.
pub async fn all(c: Conn<'_>, limit: i64) -> sqlx::Result<Vec<Progress>> {
    let sql = format!(
        "SELECT {}, {PROGRESS} FROM access_reviews r ORDER BY r.starts_at DESC, r.created_at DESC LIMIT $1",
        columns_of("r")
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(e).await)
}

pub async fn progress(c: Conn<'_>, id: Uuid) -> sqlx::Result<Option<Progress>> {
    let sql = format!("SELECT {}, {PROGRESS} FROM access_reviews r WHERE r.id = $1", columns_of("r"));
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(e).await)
}

/// Occurrences in `status` whose start (scheduled) or end (running) has come.
pub async fn due(c: Conn<'_>, status: ReviewStatus, now: DateTime<Utc>) -> sqlx::Result<Vec<Review>> {
    let at = if status == ReviewStatus::Scheduled { "starts_at" } else { "ends_at" };
    let sql = format!("SELECT {COLUMNS} FROM access_reviews WHERE status = $1 AND {at} <= $2 ORDER BY {at} LIMIT 20");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(status).bind(now).fetch_all(e).await)
}

pub async fn running(c: Conn<'_>) -> sqlx::Result<Vec<Review>> {
    let sql = format!("SELECT {COLUMNS} FROM access_reviews WHERE status = 'running' ORDER BY ends_at LIMIT 100");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(e).await)
}

/// Moves an occurrence from one status to the next; false when another worker (or admin)
/// moved it first. On PostgreSQL the row stays locked until the caller commits.
pub async fn claim(
    c: Conn<'_>,
    id: Uuid,
    from: ReviewStatus,
    to: ReviewStatus,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE access_reviews SET status = $3, applied_at = CASE WHEN $3 = 'applied' THEN $4 ELSE applied_at END \
         WHERE id = $1 AND status = $2"
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Sets an occurrence's start and end (a scheduled one starting late runs its full length).
pub async fn set_dates(c: Conn<'_>, id: Uuid, starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE access_reviews SET starts_at = $2, ends_at = $3 WHERE id = $1")
        .bind(id)
        .bind(starts_at)
        .bind(ends_at)
        .execute(e)
        .await
        .map(|_| ()))
}

/// Ends a running review now; false when it was not running.
pub async fn stop(c: Conn<'_>, id: Uuid, by: &str, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE access_reviews SET ends_at = $3, stopped_by = $2 WHERE id = $1 AND status = 'running'"
    )
    .bind(id)
    .bind(by)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Locks a running review against its application while a decision is written; false
/// when it is no longer open for decisions.
pub async fn hold_open(c: Conn<'_>, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE access_reviews SET status = status WHERE id = $1 AND status = 'running' AND ends_at > $2"
    )
    .bind(id)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}
