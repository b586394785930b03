//! `api_keys` and `api_idempotency` (F10).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// Space-separated.
    pub scopes: String,
    pub hint: String,
    pub created_by: Option<Uuid>,
    /// The creator's address, for the list (empty once they are gone).
    pub created_by_email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.split(' ').any(|s| s == scope)
    }
}

const SELECT: &str = "SELECT k.id, k.name, k.scopes, k.hint, k.created_by, u.email AS created_by_email, k.created_at, \
    k.expires_at, k.last_used_at, k.revoked_at FROM api_keys k LEFT JOIN users u ON u.id = k.created_by";

pub struct NewKey<'a> {
    pub name: &'a str,
    pub scopes: &'a str,
    pub token_hash: &'a str,
    pub hint: &'a str,
    pub created_by: Uuid,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(c: Conn<'_>, k: &NewKey<'_>, now: DateTime<Utc>) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    run!(c, |e| sqlx::query(
        "INSERT INTO api_keys (id, name, scopes, token_hash, hint, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(id)
    .bind(k.name)
    .bind(k.scopes)
    .bind(k.token_hash)
    .bind(k.hint)
    .bind(k.created_by)
    .bind(now)
    .bind(k.expires_at)
    .execute(e)
    .await
    .map(|_| id))
}

/// Every key, newest first (revoked ones too: the list is also their record).
pub async fn all(c: Conn<'_>) -> sqlx::Result<Vec<ApiKey>> {
    let sql = format!("{SELECT} ORDER BY k.created_at DESC, k.id");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(e).await)
}

pub async fn find(c: Conn<'_>, id: Uuid) -> sqlx::Result<Option<ApiKey>> {
    let sql = format!("{SELECT} WHERE k.id = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(e).await)
}

pub async fn find_by_hash(c: Conn<'_>, token_hash: &str) -> sqlx::Result<Option<ApiKey>> {
    let sql = format!("{SELECT} WHERE k.token_hash = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_optional(e).await)
}

/// Marks a key used; at most once a minute, so a busy key does not write on every call.
pub async fn touch(c: Conn<'_>, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query(
        "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)"
    )
    .bind(id)
    .bind(now)
    .bind(now - chrono::Duration::minutes(1))
    .execute(e)
    .await
    .map(|_| ()))
}

/// Revokes a key; false when it was revoked already.
pub async fn revoke(c: Conn<'_>, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Revokes every live key `user_id` made; returns each one's id and name, for the audit.
pub async fn revoke_created_by(c: Conn<'_>, user_id: Uuid, now: DateTime<Utc>) -> sqlx::Result<Vec<(Uuid, String)>> {
    run!(c, |e| sqlx::query_as(
        "UPDATE api_keys SET revoked_at = $2 WHERE created_by = $1 AND revoked_at IS NULL RETURNING id, name"
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(e)
    .await)
}

/// What an `Idempotency-Key` already stands for.
#[derive(Debug, sqlx::FromRow)]
pub struct Remembered {
    pub request_hash: String,
    /// 0 only in a claim's own (uncommitted) transaction, or left by an earlier version.
    pub status: i64,
    /// Encrypted.
    pub response: String,
    pub created_at: DateTime<Utc>,
}

/// Claims an idempotency key inside the transaction that makes the request's change: true
/// if this request is the first. While that transaction is open the row is locked, so a
/// second request with the key waits here for it, then finds the key taken (false).
pub async fn claim_idempotency(
    c: Conn<'_>,
    key_id: Uuid,
    idempotency_key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "INSERT INTO api_idempotency (key_id, idempotency_key, request_hash, status, response, created_at) \
         VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT DO NOTHING"
    )
    .bind(key_id)
    .bind(idempotency_key)
    .bind(request_hash)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Keeps a refusal for a key not yet used (a refusal changed nothing, so it needs no
/// transaction of its own): true if kept; false if the key was taken meanwhile.
pub async fn keep_refusal(
    c: Conn<'_>,
    key_id: Uuid,
    idempotency_key: &str,
    request_hash: &str,
    status: i64,
    response: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "INSERT INTO api_idempotency (key_id, idempotency_key, request_hash, status, response, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"
    )
    .bind(key_id)
    .bind(idempotency_key)
    .bind(request_hash)
    .bind(status)
    .bind(response)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// What an idempotency key stands for, if anything.
pub async fn remembered(c: Conn<'_>, key_id: Uuid, idempotency_key: &str) -> sqlx::Result<Option<Remembered>> {
    run!(c, |e| sqlx::query_as(
        "SELECT request_hash, status, response, created_at FROM api_idempotency \
         WHERE key_id = $1 AND idempotency_key = $2"
    )
    .bind(key_id)
    .bind(idempotency_key)
    .fetch_optional(e)
    .await)
}

/// Keeps the answer to the request that claimed the key, in the claim's transaction.
pub async fn remember(
    c: Conn<'_>,
    key_id: Uuid,
    idempotency_key: &str,
    status: i64,
    response: &str,
) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query(
        "UPDATE api_idempotency SET status = $3, response = $4 WHERE key_id = $1 AND idempotency_key = $2"
    )
    .bind(key_id)
    .bind(idempotency_key)
    .bind(status)
    .bind(response)
    .execute(e)
    .await
    .map(|_| ()))
}

/// Drops a key too old to count, so that it can be claimed again — the row that was read
/// (made at `seen`) only: a request that claimed the key meanwhile keeps its row.
pub async fn forget(c: Conn<'_>, key_id: Uuid, idempotency_key: &str, seen: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query(
        "DELETE FROM api_idempotency WHERE key_id = $1 AND idempotency_key = $2 AND created_at = $3"
    )
    .bind(key_id)
    .bind(idempotency_key)
    .bind(seen)
    .execute(e)
    .await
    .map(|_| ()))
}

/// Idempotency keys older than `before` (24 hours) go.
pub async fn sweep_idempotency(c: Conn<'_>, before: DateTime<Utc>) -> sqlx::Result<u64> {
    run!(c, |e| sqlx::query("DELETE FROM api_idempotency WHERE created_at <= $1")
        .bind(before)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))
}
