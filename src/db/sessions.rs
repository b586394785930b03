//! Server-side session records: one row per signed-in browser. The cookie carries a random
//! session token; only its SHA-256 is stored, and a request is signed in only while its
//! row exists (SPEC §4), so signing out, blocking or resetting a user ends sessions at once.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::users::User;
use super::{Conn, run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub client_ip: String,
    pub user_agent: String,
}

const COLUMNS: &str = "id, user_id, created_at, last_seen_at, client_ip, user_agent";

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: Uuid,
    pub client_ip: &'a str,
    pub user_agent: &'a str,
}

pub async fn insert(c: Conn<'_>, s: &NewSession<'_>, now: DateTime<Utc>) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    run!(c, |e| sqlx::query(
        "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, client_ip, user_agent) \
         VALUES ($1, $2, $3, $4, $4, $5, $6)"
    )
    .bind(id)
    .bind(s.token_hash)
    .bind(s.user_id)
    .bind(now)
    .bind(s.client_ip)
    .bind(s.user_agent)
    .execute(e)
    .await
    .map(|_| id))
}

/// A session with its user, found by the token's hash: one round trip for the check that
/// every signed-in request makes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionWithUser {
    pub session_id: Uuid,
    pub session_created_at: DateTime<Utc>,
    pub session_last_seen_at: DateTime<Utc>,
    #[sqlx(flatten)]
    pub user: User,
}

pub async fn find_with_user(c: Conn<'_>, hash: &str) -> sqlx::Result<Option<SessionWithUser>> {
    let sql = format!(
        "SELECT s.id AS session_id, s.created_at AS session_created_at, s.last_seen_at AS session_last_seen_at, {} \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        super::users::columns_of("u")
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(hash).fetch_optional(e).await)
}

/// Ends the session whose token hashes to `hash` (this browser's sign-out).
pub async fn end_by_token_hash(c: Conn<'_>, hash: &str) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash).execute(e).await.map(|_| ()))
}

pub async fn touch(c: Conn<'_>, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(e)
        .await
        .map(|_| ()))
}

/// The user's sessions, most recently used first.
pub async fn for_user(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<Vec<SessionRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY last_seen_at DESC, id");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(e).await)
}

/// Ends one session; `user_id` makes sure a person ends only their own.
pub async fn end(c: Conn<'_>, id: Uuid, user_id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Ends every session of the user.
pub async fn end_all(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<u64> {
    run!(c, |e| sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))
}

/// Drops records past their idle or absolute limit (the worker's housekeeping).
pub async fn end_stale(c: Conn<'_>, idle_since: DateTime<Utc>, created_before: DateTime<Utc>) -> sqlx::Result<u64> {
    run!(c, |e| sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
        .bind(idle_since)
        .bind(created_before)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))
}
