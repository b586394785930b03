//! One-time email codes (sign-in, redemption). Only a keyed hash of each code is stored.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EmailCode {
    pub id: Uuid,
    pub purpose: String,
    pub email: String,
    pub user_id: Option<Uuid>,
    pub invitation_id: Option<Uuid>,
    pub code_hash: String,
    pub attempts: i64,
    pub expires_at: DateTime<Utc>,
    pub consumed_at: Option<DateTime<Utc>>,
}

pub struct NewCode<'a> {
    pub id: Uuid,
    pub purpose: &'a str,
    pub email: &'a str,
    pub user_id: Option<Uuid>,
    pub invitation_id: Option<Uuid>,
    pub code_hash: &'a str,
    pub expires_at: DateTime<Utc>,
    /// Who asked: sends are limited per address+IP and per IP…
    pub client_ip: &'a str,
    /// …or, from a browser with a device cookie for the address, per that browser alone.
    pub device_id: Option<&'a str>,
}

pub async fn insert(c: Conn<'_>, n: &NewCode<'_>, now: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| {
        sqlx::query(
            "INSERT INTO email_codes (id, purpose, email, user_id, invitation_id, code_hash, created_at, expires_at, \
             client_ip, device_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(n.id)
        .bind(n.purpose)
        .bind(n.email)
        .bind(n.user_id)
        .bind(n.invitation_id)
        .bind(n.code_hash)
        .bind(now)
        .bind(n.expires_at)
        .bind(n.client_ip)
        .bind(n.device_id)
        .execute(e)
        .await
        .map(|_| ())
    })
}

// The counts of strangers leave out codes sent to a browser with a device cookie: those
// count only toward that browser's own limit (`count_from_device`).

/// How many codes of this purpose were sent to this address since `since`.
pub async fn count_sent_since(c: Conn<'_>, purpose: &str, email: &str, since: DateTime<Utc>) -> sqlx::Result<i64> {
    run!(c, |e| sqlx::query_scalar(
        "SELECT COUNT(*) FROM email_codes WHERE purpose = $1 AND email = $2 AND created_at > $3 AND device_id IS NULL"
    )
    .bind(purpose)
    .bind(email)
    .bind(since)
    .fetch_one(e)
    .await)
}

/// How many codes of this purpose this client asked for this address since `since`.
pub async fn count_sent_from(
    c: Conn<'_>,
    purpose: &str,
    email: &str,
    client_ip: &str,
    since: DateTime<Utc>,
) -> sqlx::Result<i64> {
    run!(c, |e| sqlx::query_scalar(
        "SELECT COUNT(*) FROM email_codes WHERE purpose = $1 AND email = $2 AND client_ip = $3 AND created_at > $4 \
         AND device_id IS NULL"
    )
    .bind(purpose)
    .bind(email)
    .bind(client_ip)
    .bind(since)
    .fetch_one(e)
    .await)
}

/// How many codes, for any address, this client asked for since `since`.
pub async fn count_from_ip(c: Conn<'_>, client_ip: &str, since: DateTime<Utc>) -> sqlx::Result<i64> {
    run!(c, |e| sqlx::query_scalar(
        "SELECT COUNT(*) FROM email_codes WHERE client_ip = $1 AND created_at > $2 AND device_id IS NULL"
    )
    .bind(client_ip)
    .bind(since)
    .fetch_one(e)
    .await)
}

/// How many codes the browser with this device cookie asked for since `since`.
pub async fn count_from_device(c: Conn<'_>, device_id: &str, since: DateTime<Utc>) -> sqlx::Result<i64> {
    run!(c, |e| sqlx::query_scalar("SELECT COUNT(*) FROM email_codes WHERE device_id = $1 AND created_at > $2")
        .bind(device_id)
        .bind(since)
        .fetch_one(e)
        .await)
}

/// Counts one try against a live code and, when `code_hash` is its hash, uses it up — one
/// write either way. Returns the code (`consumed_at` set when this try used it up); `None`
/// when the code is used up, expired or out of tries. Counting in the same statement as
/// comparing means parallel guesses cannot exceed the limit. The hashes are compared by
/// the database, not in constant time: they are keyed (HMAC under the instance key), so a
/// timing difference tells a guesser nothing about the code.
pub async fn try_code(
    c: Conn<'_>,
    id: Uuid,
    code_hash: &str,
    max_attempts: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<EmailCode>> {
    run!(c, |e| {
        sqlx::query_as(
            "UPDATE email_codes SET attempts = attempts + 1, \
             consumed_at = CASE WHEN code_hash = $4 THEN $3 ELSE NULL END \
         WHERE id = $1 AND consumed_at IS NULL AND expires_at > $3 AND attempts < $2 \
         RETURNING id, purpose, email, user_id, invitation_id, code_hash, attempts, expires_at, consumed_at",
        )
        .bind(id)
        .bind(max_attempts)
        .bind(now)
        .bind(code_hash)
        .fetch_optional(e)
        .await
    })
}
