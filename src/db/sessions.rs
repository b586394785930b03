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
    /// How the person signed in (RFC 8176 values, space-separated): the ID token's `amr`.
    pub amr: &'a str,
    /// Set when the sign-in itself used one of the person's own factors (a passkey).
    pub second_step_at: Option<DateTime<Utc>>,
}

pub async fn insert(c: Conn<'_>, s: &NewSession<'_>, now: DateTime<Utc>) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    run!(c, |e| sqlx::query(
        "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, client_ip, user_agent, amr, \
         second_step_at) VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8)"
    )
    .bind(id)
    .bind(s.token_hash)
    .bind(s.user_id)
    .bind(now)
    .bind(s.client_ip)
    .bind(s.user_agent)
    .bind(s.amr)
    .bind(s.second_step_at)
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
    pub session_amr: String,
    /// When this session last passed a second step with one of the person's own factors.
    pub session_second_step_at: Option<DateTime<Utc>>,
    /// Whether the person has a confirmed second factor (`mfa::HAS_FACTOR`).
    pub has_factor: bool,
    #[sqlx(flatten)]
    pub user: User,
}

/// The session columns of a `SessionWithUser`, from the sessions row `alias` and users `u`.
pub fn check_columns(alias: &str) -> String {
    format!(
        "{alias}.id AS session_id, {alias}.created_at AS session_created_at, \
         {alias}.last_seen_at AS session_last_seen_at, {alias}.amr AS session_amr, \
         {alias}.second_step_at AS session_second_step_at, {} AS has_factor",
        super::mfa::HAS_FACTOR
    )
}

pub async fn find_with_user(c: Conn<'_>, hash: &str) -> sqlx::Result<Option<SessionWithUser>> {
    let sql = format!(
        "SELECT {}, {} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        check_columns("s"),
        super::users::columns_of("u")
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(hash).fetch_optional(e).await)
}

/// Deletes the session whose token hashes to `hash` (`auth::ending` tells the apps first).
pub async fn delete_by_token_hash(c: Conn<'_>, hash: &str) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash).execute(e).await.map(|_| ()))
}

/// Records a second step passed with one of the person's own factors at `now`: the
/// session's `amr` says so, and it counts as recent for ten minutes.
pub async fn pass_second_step(c: Conn<'_>, id: Uuid, amr: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE sessions SET amr = $2, second_step_at = $3 WHERE id = $1")
        .bind(id)
        .bind(amr)
        .bind(now)
        .execute(e)
        .await
        .map(|_| ()))
}

/// Gives the session a new token (its record stays): the cookie copied before a change of
/// privilege — the second step passed — no longer opens it.
pub async fn renew_token(c: Conn<'_>, id: Uuid, token_hash: &str) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE sessions SET token_hash = $2 WHERE id = $1")
        .bind(id)
        .bind(token_hash)
        .execute(e)
        .await
        .map(|_| ()))
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

/// Deletes one session; `user_id` makes sure a person ends only their own.
pub async fn delete(c: Conn<'_>, id: Uuid, user_id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// A session past its limits, found on a request: dropped without telling the apps (they
/// keep their own sessions until they next refresh, as with the worker's sweep).
pub async fn end_lapsed(c: Conn<'_>, id: Uuid) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(e).await.map(|_| ()))
}

/// Deletes every session of the user.
pub async fn delete_all(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<u64> {
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

/// Whether the session is still there (not signed out, not ended).
pub async fn exists(c: Conn<'_>, id: Uuid) -> sqlx::Result<bool> {
    let found: Option<Uuid> =
        run!(c, |e| sqlx::query_scalar("SELECT id FROM sessions WHERE id = $1").bind(id).fetch_optional(e).await)?;
    Ok(found.is_some())
}
