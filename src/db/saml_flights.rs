//! SAML sign-ins in flight. The IdP answers with a cross-site POST that brings none of the
//! browser's cookies, so what must outlive it is kept here, where every instance sees it:
//! the AuthnRequests sent (each answered once), the Assertion IDs accepted (each once), and
//! a verified answer waiting for the browser's same-site step (`flows::saml`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};

pub async fn add_request(c: Conn<'_>, id: &str, idp_id: Uuid, expires_at: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("INSERT INTO saml_requests (id, idp_id, expires_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(idp_id)
        .bind(expires_at)
        .execute(e)
        .await
        .map(|_| ()))
}

/// Takes a pending request of this IdP: true once, while it has not expired (an expired
/// one is deleted all the same: it is of no further use).
pub async fn take_request(c: Conn<'_>, id: &str, idp_id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let expires: Option<(DateTime<Utc>,)> =
        run!(c, |e| sqlx::query_as("DELETE FROM saml_requests WHERE id = $1 AND idp_id = $2 RETURNING expires_at")
            .bind(id)
            .bind(idp_id)
            .fetch_optional(e)
            .await)?;
    Ok(expires.is_some_and(|(t,)| t > now))
}

/// Records an Assertion ID; false when it was already accepted once (a replay).
pub async fn first_sight(c: Conn<'_>, idp_id: Uuid, assertion_id: &str, until: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "INSERT INTO saml_assertions_seen (idp_id, assertion_id, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (idp_id, assertion_id) DO NOTHING"
    )
    .bind(idp_id)
    .bind(assertion_id)
    .bind(until)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

pub struct Arrival<'a> {
    pub handle_hash: &'a str,
    pub idp_id: Uuid,
    pub request_id: &'a str,
    pub relay_state: &'a str,
    pub identity_json: &'a str,
    pub expires_at: DateTime<Utc>,
}

pub async fn add_arrival(c: Conn<'_>, a: &Arrival<'_>) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query(
        "INSERT INTO saml_arrivals (handle_hash, idp_id, request_id, relay_state, identity, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(a.handle_hash)
    .bind(a.idp_id)
    .bind(a.request_id)
    .bind(a.relay_state)
    .bind(a.identity_json)
    .bind(a.expires_at)
    .execute(e)
    .await
    .map(|_| ()))
}

/// Takes a waiting answer by its handle: once, while it has not expired. Gives the
/// request it answers, its RelayState and the identity (JSON).
pub async fn take_arrival(
    c: Conn<'_>,
    handle_hash: &str,
    idp_id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<(String, String, String)>> {
    run!(c, |e| sqlx::query_as(
        "DELETE FROM saml_arrivals WHERE handle_hash = $1 AND idp_id = $2 AND expires_at > $3 \
         RETURNING request_id, relay_state, identity"
    )
    .bind(handle_hash)
    .bind(idp_id)
    .bind(now)
    .fetch_optional(e)
    .await)
}

/// Housekeeping: what can no longer be used.
pub async fn forget_expired(mut c: Conn<'_>, now: DateTime<Utc>) -> sqlx::Result<u64> {
    let mut n = 0;
    for table in ["saml_requests", "saml_assertions_seen", "saml_arrivals"] {
        let sql = format!("DELETE FROM {table} WHERE expires_at <= $1");
        n += run!(c.reborrow(), |e| sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .execute(e)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(n)
}
