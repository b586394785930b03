//! The OpenID Provider's tables: authorization codes, grants (each with its refresh-token
//! generation), and consents. A grant belongs to one browser session and ends with it (the
//! cascade). Single use is enforced by the UPDATE itself (`… WHERE used_at IS NULL`, `…
//! AND refresh_generation = $2`), so two instances racing on one code or refresh token
//! cannot both win.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::users::User;
use super::{Conn, run};

pub struct NewCode<'a> {
    pub code_hash: &'a str,
    pub app_id: Uuid,
    pub session_id: Uuid,
    pub redirect_uri: &'a str,
    pub code_challenge: &'a str,
    pub nonce: Option<&'a str>,
    pub scope: &'a str,
}

pub async fn insert_code(
    c: Conn<'_>,
    code: &NewCode<'_>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query(
        "INSERT INTO oauth_codes (code_hash, app_id, session_id, redirect_uri, code_challenge, nonce, scope, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(code.code_hash)
    .bind(code.app_id)
    .bind(code.session_id)
    .bind(code.redirect_uri)
    .bind(code.code_challenge)
    .bind(code.nonce)
    .bind(code.scope)
    .bind(now)
    .bind(expires_at)
    .execute(e)
    .await
    .map(|_| ()))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeRow {
    pub app_id: Uuid,
    pub session_id: Uuid,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub nonce: Option<String>,
    pub scope: String,
    pub expires_at: DateTime<Utc>,
}

/// Uses a code: the row on its first use, `None` if it is unknown or was used before.
pub async fn take_code(c: Conn<'_>, code_hash: &str, now: DateTime<Utc>) -> sqlx::Result<Option<CodeRow>> {
    run!(c, |e| sqlx::query_as(
        "UPDATE oauth_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL \
         RETURNING app_id, session_id, redirect_uri, code_challenge, nonce, scope, expires_at"
    )
    .bind(code_hash)
    .bind(now)
    .fetch_optional(e)
    .await)
}

/// A replayed code: revokes the grant its first use made (RFC 6749 §4.1.2). Returns
/// whether the code was known.
pub async fn revoke_grant_of_code(mut c: Conn<'_>, code_hash: &str) -> sqlx::Result<bool> {
    let known: Option<String> =
        run!(c.reborrow(), |e| sqlx::query_scalar("SELECT code_hash FROM oauth_codes WHERE code_hash = $1")
            .bind(code_hash)
            .fetch_optional(e)
            .await)?;
    run!(c, |e| sqlx::query("DELETE FROM oauth_grants WHERE code_hash = $1")
        .bind(code_hash)
        .execute(e)
        .await
        .map(|_| ()))?;
    Ok(known.is_some())
}

pub struct NewGrant<'a> {
    pub id: Uuid,
    pub app_id: Uuid,
    pub session_id: Uuid,
    pub code_hash: &'a str,
    pub scope: &'a str,
}

pub async fn insert_grant(c: Conn<'_>, g: &NewGrant<'_>, now: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| {
        sqlx::query(
        "INSERT INTO oauth_grants (id, app_id, session_id, code_hash, scope, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(g.id)
    .bind(g.app_id)
    .bind(g.session_id)
    .bind(g.code_hash)
    .bind(g.scope)
    .bind(now)
    .execute(e)
    .await
    .map(|_| ())
    })
}

pub async fn revoke_grant(c: Conn<'_>, grant_id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("DELETE FROM oauth_grants WHERE id = $1")
        .bind(grant_id)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// A live grant with what its tokens say: the session (auth time, methods) and the user,
/// and whether the user may still open the app (assigned directly, by group or package,
/// the assignment not expired) — one round trip for every refresh and userinfo call.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveGrant {
    pub grant_id: Uuid,
    pub app_id: Uuid,
    pub scope: String,
    pub refresh_generation: i64,
    pub assigned: bool,
    pub session_id: Uuid,
    pub session_created_at: DateTime<Utc>,
    pub session_last_seen_at: DateTime<Utc>,
    pub amr: String,
    /// Whether the person has a confirmed second factor (`mfa::HAS_FACTOR`).
    pub has_factor: bool,
    /// When the session last passed a second step with one of the person's own factors.
    pub second_step_at: Option<DateTime<Utc>>,
    #[sqlx(flatten)]
    pub user: User,
}

/// `SELECT` of a `LiveGrant` from the grant rows `g` (the table, or a CTE), with the
/// session, the user and whether they may open the app at `now`.
fn live_grant_select(g: &str, now: &str) -> String {
    format!(
        "SELECT g.id AS grant_id, g.app_id, g.scope, g.refresh_generation, ({}) AS assigned, s.id AS session_id, \
         s.created_at AS session_created_at, s.last_seen_at AS session_last_seen_at, s.amr, s.second_step_at, {} AS has_factor, {} \
         FROM {g} g JOIN sessions s ON s.id = g.session_id JOIN users u ON u.id = s.user_id",
        super::apps::MAY_OPEN.replace("$APP", "g.app_id").replace("$USER", "u.id").replace("$NOW", now),
        super::mfa::HAS_FACTOR,
        super::users::columns_of("u")
    )
}

pub async fn find_grant(c: Conn<'_>, grant_id: Uuid, now: DateTime<Utc>) -> sqlx::Result<Option<LiveGrant>> {
    let sql = format!("{} WHERE g.id = $1", live_grant_select("oauth_grants", "$2"));
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(grant_id).bind(now).fetch_optional(e).await)
}

/// Moves a grant's refresh token on from `generation` and returns the grant as it is now
/// (with the new generation); `None` when the grant is gone or another request moved it
/// first. One round trip on PostgreSQL (a data-modifying CTE); two on SQLite, in process.
pub async fn advance_refresh(
    mut c: Conn<'_>,
    grant_id: Uuid,
    generation: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<LiveGrant>> {
    const ADVANCE: &str = "UPDATE oauth_grants SET refresh_generation = refresh_generation + 1 \
        WHERE id = $1 AND refresh_generation = $2";
    if let Conn::Postgres(_) = c {
        let sql = format!(
            "WITH g AS ({ADVANCE} RETURNING id, app_id, scope, refresh_generation, session_id) {}",
            live_grant_select("g", "$3")
        );
        return run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(grant_id)
            .bind(generation)
            .bind(now)
            .fetch_optional(e)
            .await);
    }
    let moved = run!(c.reborrow(), |e| sqlx::query(ADVANCE)
        .bind(grant_id)
        .bind(generation)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))?;
    if !moved {
        return Ok(None);
    }
    find_grant(c, grant_id, now).await
}

/// Puts a grant's generation back after a refresh that was then refused for a reason of
/// its own request (a wider scope): the client's token stays good.
pub async fn rewind_refresh(c: Conn<'_>, grant_id: Uuid, generation: i64) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query(
        "UPDATE oauth_grants SET refresh_generation = $2 WHERE id = $1 AND refresh_generation = $2 + 1"
    )
    .bind(grant_id)
    .bind(generation)
    .execute(e)
    .await
    .map(|_| ()))
}

/// The app a grant belongs to (revocation checks the caller owns it).
pub async fn app_of_grant(c: Conn<'_>, grant_id: Uuid) -> sqlx::Result<Option<Uuid>> {
    run!(c, |e| sqlx::query_scalar("SELECT app_id FROM oauth_grants WHERE id = $1")
        .bind(grant_id)
        .fetch_optional(e)
        .await)
}

pub async fn has_consent(c: Conn<'_>, user_id: Uuid, app_id: Uuid, scope: &str) -> sqlx::Result<bool> {
    let stored: Option<String> =
        run!(c, |e| sqlx::query_scalar("SELECT scope FROM oauth_consents WHERE user_id = $1 AND app_id = $2")
            .bind(user_id)
            .bind(app_id)
            .fetch_optional(e)
            .await)?;
    // Consent covers the scopes agreed to; asking for more asks again.
    Ok(stored.is_some_and(|s| scope.split(' ').all(|w| s.split(' ').any(|g| g == w))))
}

pub async fn record_consent(
    c: Conn<'_>,
    user_id: Uuid,
    app_id: Uuid,
    scope: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query(
        "INSERT INTO oauth_consents (user_id, app_id, scope, granted_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, app_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at"
    )
    .bind(user_id)
    .bind(app_id)
    .bind(scope)
    .bind(now)
    .execute(e)
    .await
    .map(|_| ()))
}

/// Someone an app must be told has signed out (OpenID Back-Channel Logout 1.0).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LogoutTarget {
    pub app_id: Uuid,
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub backchannel_logout_uri: String,
}

/// Which sessions are ending.
#[derive(Clone, Copy)]
pub enum Ending<'a> {
    Session(Uuid),
    TokenHash(&'a str),
    AllOfUser(Uuid),
}

/// The apps with a back-channel logout URI that hold a grant in the ending sessions.
pub async fn logout_targets(c: Conn<'_>, ending: Ending<'_>) -> sqlx::Result<Vec<LogoutTarget>> {
    let filter = match ending {
        Ending::Session(_) => "s.id = $1",
        Ending::TokenHash(_) => "s.token_hash = $1",
        Ending::AllOfUser(_) => "s.user_id = $1",
    };
    let sql = format!(
        "SELECT DISTINCT g.app_id, s.user_id, s.id AS session_id, a.backchannel_logout_uri FROM oauth_grants g \
         JOIN sessions s ON s.id = g.session_id JOIN apps a ON a.id = g.app_id \
         WHERE a.backchannel_logout_uri IS NOT NULL AND a.client_id IS NOT NULL AND {filter}"
    );
    let q = sqlx::AssertSqlSafe(sql);
    match ending {
        Ending::Session(id) | Ending::AllOfUser(id) => {
            run!(c, |e| sqlx::query_as(q).bind(id).fetch_all(e).await)
        }
        Ending::TokenHash(hash) => run!(c, |e| sqlx::query_as(q).bind(hash).fetch_all(e).await),
    }
}

/// Drops codes an hour past their life: long enough to tell a replay from garbage.
pub async fn sweep(c: Conn<'_>, now: DateTime<Utc>) -> sqlx::Result<u64> {
    run!(c, |e| sqlx::query("DELETE FROM oauth_codes WHERE expires_at < $1")
        .bind(now - chrono::Duration::hours(1))
        .execute(e)
        .await
        .map(|r| r.rows_affected()))
}
