//! Sign-up requests (F4) and their approvals (F5). Every decision is a conditional UPDATE,
//! so two approvers clicking at once give exactly one outcome.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};
use crate::domain::request::RequestStatus;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Request {
    pub id: Uuid,
    pub package_id: Uuid,
    pub user_id: Option<Uuid>,
    pub email: String,
    pub name: String,
    pub company: String,
    pub reason: String,
    pub status: RequestStatus,
    pub status_token_hash: String,
    pub ip: String,
    pub terms_version: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub reminded_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: String,
    pub decision_note: String,
}

impl Request {
    /// The address with a Unicode domain shown beside its ASCII form.
    pub fn email_for_people(&self) -> String {
        crate::domain::email::for_people(&self.email)
    }
}

const COLUMNS: &str = "id, package_id, user_id, email, name, company, reason, status, status_token_hash, ip, \
    terms_version, created_at, updated_at, expires_at, email_verified_at, reminded_at, decided_at, decided_by, \
    decision_note";

pub struct NewRequest<'a> {
    pub id: Uuid,
    pub package_id: Uuid,
    pub user_id: Option<Uuid>,
    pub email: &'a str,
    pub name: &'a str,
    pub company: &'a str,
    pub reason: &'a str,
    pub status: RequestStatus,
    pub status_token_hash: &'a str,
    pub ip: &'a str,
    pub terms_version: &'a str,
    pub expires_at: DateTime<Utc>,
    pub email_verified_at: Option<DateTime<Utc>>,
}

pub async fn insert(c: Conn<'_>, r: &NewRequest<'_>, now: DateTime<Utc>) -> sqlx::Result<Request> {
    let sql = format!(
        "INSERT INTO signup_requests (id, package_id, user_id, email, name, company, reason, status, \
         status_token_hash, ip, terms_version, created_at, updated_at, expires_at, email_verified_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14) RETURNING {COLUMNS}"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(r.id)
        .bind(r.package_id)
        .bind(r.user_id)
        .bind(r.email)
        .bind(r.name)
        .bind(r.company)
        .bind(r.reason)
        .bind(r.status)
        .bind(r.status_token_hash)
        .bind(r.ip)
        .bind(r.terms_version)
        .bind(now)
        .bind(r.expires_at)
        .bind(r.email_verified_at)
        .fetch_one(e)
        .await)
}

pub async fn find(c: Conn<'_>, id: Uuid) -> sqlx::Result<Option<Request>> {
    let sql = format!("SELECT {COLUMNS} FROM signup_requests WHERE id = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(e).await)
}

pub async fn find_by_status_token(c: Conn<'_>, hash: &str) -> sqlx::Result<Option<Request>> {
    let sql = format!("SELECT {COLUMNS} FROM signup_requests WHERE status_token_hash = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(hash).fetch_optional(e).await)
}

/// Newest first; `status` `None` for all.
pub async fn list(c: Conn<'_>, status: Option<RequestStatus>, limit: i64) -> sqlx::Result<Vec<Request>> {
    let status = status.map_or("", RequestStatus::as_str);
    let sql = format!(
        "SELECT {COLUMNS} FROM signup_requests WHERE ($1 = '' OR status = $1) AND status <> 'email_unverified' \
         ORDER BY created_at DESC, id LIMIT $2"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(status).bind(limit).fetch_all(e).await)
}

/// A signed-in user's own requests, newest first.
pub async fn of_user(c: Conn<'_>, user_id: Uuid, limit: i64) -> sqlx::Result<Vec<Request>> {
    let sql = format!("SELECT {COLUMNS} FROM signup_requests WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(limit).fetch_all(e).await)
}

/// The user's open (waiting for a decision) request for this package, if any.
pub async fn open_for(
    c: Conn<'_>,
    user_id: Uuid,
    package_id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Request>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM signup_requests WHERE user_id = $1 AND package_id = $2 \
         AND status = 'pending_approval' AND expires_at > $3 ORDER BY created_at DESC LIMIT 1"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(package_id)
        .bind(now)
        .fetch_optional(e)
        .await)
}

/// Requests a signed-in user sent since `since` (Request access is rate limited).
pub async fn count_by_user_since(c: Conn<'_>, user_id: Uuid, since: DateTime<Utc>) -> sqlx::Result<i64> {
    run!(c, |e| sqlx::query_scalar("SELECT COUNT(*) FROM signup_requests WHERE user_id = $1 AND created_at > $2")
        .bind(user_id)
        .bind(since)
        .fetch_one(e)
        .await)
}

/// Requests created from this IP since `since` (the bot brake).
pub async fn count_from_ip_since(c: Conn<'_>, ip: &str, since: DateTime<Utc>) -> sqlx::Result<i64> {
    run!(c, |e| sqlx::query_scalar("SELECT COUNT(*) FROM signup_requests WHERE ip = $1 AND created_at > $2")
        .bind(ip)
        .bind(since)
        .fetch_one(e)
        .await)
}

/// Moves a request from `from` to `to` if it is still in `from` and not past its date (for
/// the moves people make); returns whether this call made the move.
pub async fn transition(
    c: Conn<'_>,
    id: Uuid,
    from: RequestStatus,
    to: RequestStatus,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE signup_requests SET status = $3, updated_at = $4, \
         email_verified_at = CASE WHEN $2 = 'email_unverified' THEN $4 ELSE email_verified_at END \
         WHERE id = $1 AND status = $2 AND expires_at > $4"
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Decides a pending request; `false` if it was decided (or ended) already.
pub async fn decide(
    c: Conn<'_>,
    id: Uuid,
    status: RequestStatus,
    by: &str,
    note: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE signup_requests SET status = $2, decided_by = $3, decision_note = $4, decided_at = $5, \
         updated_at = $5 WHERE id = $1 AND status = 'pending_approval' AND expires_at > $5"
    )
    .bind(id)
    .bind(status)
    .bind(by)
    .bind(note)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Takes the request's row lock (PostgreSQL) so that deciders of one request queue up; a
/// no-op write on SQLite, whose write transactions are serial anyway.
pub async fn lock(c: Conn<'_>, id: Uuid) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE signup_requests SET updated_at = updated_at WHERE id = $1")
        .bind(id)
        .execute(e)
        .await
        .map(|_| ()))
}

/// Requests past their date that were never decided: marked expired and returned.
pub async fn expire_due(c: Conn<'_>, now: DateTime<Utc>) -> sqlx::Result<Vec<Request>> {
    let sql = format!(
        "UPDATE signup_requests SET status = 'expired', updated_at = $1 \
         WHERE status IN ('email_unverified', 'pending_approval') AND expires_at <= $1 RETURNING {COLUMNS}"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).fetch_all(e).await)
}

/// Pending requests older than `before` whose approvers were not reminded yet; marks them.
pub async fn take_due_reminders(c: Conn<'_>, before: DateTime<Utc>, now: DateTime<Utc>) -> sqlx::Result<Vec<Request>> {
    let sql = format!(
        "UPDATE signup_requests SET reminded_at = $2 WHERE status = 'pending_approval' AND reminded_at IS NULL \
         AND email_verified_at <= $1 RETURNING {COLUMNS}"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(before).bind(now).fetch_all(e).await)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Approval {
    pub id: Uuid,
    pub request_id: Uuid,
    pub approver_id: Uuid,
    pub token_hash: String,
    pub decision: Option<String>,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

const APPROVAL_COLUMNS: &str = "id, request_id, approver_id, token_hash, decision, note, created_at, decided_at";

pub async fn insert_approval(
    c: Conn<'_>,
    id: Uuid,
    request_id: Uuid,
    approver_id: Uuid,
    token_hash: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query(
        "INSERT INTO approvals (id, request_id, approver_id, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(id)
    .bind(request_id)
    .bind(approver_id)
    .bind(token_hash)
    .bind(now)
    .execute(e)
    .await
    .map(|_| ()))
}

pub async fn approval_by_token(c: Conn<'_>, hash: &str) -> sqlx::Result<Option<Approval>> {
    let sql = format!("SELECT {APPROVAL_COLUMNS} FROM approvals WHERE token_hash = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(hash).fetch_optional(e).await)
}

pub async fn find_approval(c: Conn<'_>, id: Uuid) -> sqlx::Result<Option<Approval>> {
    let sql = format!("SELECT {APPROVAL_COLUMNS} FROM approvals WHERE id = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(e).await)
}

/// An open request waiting for one approver, with the package's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Waiting {
    pub approval_id: Uuid,
    pub package_name: String,
    #[sqlx(flatten)]
    pub request: Request,
}

/// The open requests where `approver_id` has not decided yet, oldest first.
pub async fn waiting_for(c: Conn<'_>, approver_id: Uuid, now: DateTime<Utc>) -> sqlx::Result<Vec<Waiting>> {
    let columns = COLUMNS.split(", ").map(|c| format!("r.{c}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT a.id AS approval_id, p.name AS package_name, {columns} FROM approvals a \
         JOIN signup_requests r ON r.id = a.request_id JOIN access_packages p ON p.id = r.package_id \
         WHERE a.approver_id = $1 AND a.decision IS NULL AND r.status = 'pending_approval' AND r.expires_at > $2 \
         ORDER BY r.created_at, r.id LIMIT 200"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(approver_id).bind(now).fetch_all(e).await)
}

pub async fn approvals_of(c: Conn<'_>, request_id: Uuid) -> sqlx::Result<Vec<Approval>> {
    let sql = format!("SELECT {APPROVAL_COLUMNS} FROM approvals WHERE request_id = $1 ORDER BY created_at, id");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(request_id).fetch_all(e).await)
}

/// Records one approver's decision; `false` if they had decided already.
pub async fn record_decision(
    c: Conn<'_>,
    approval_id: Uuid,
    decision: &str,
    note: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE approvals SET decision = $2, note = $3, decided_at = $4 WHERE id = $1 AND decision IS NULL"
    )
    .bind(approval_id)
    .bind(decision)
    .bind(note)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}
