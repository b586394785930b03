//! The mail outbox: rows written in the transaction that causes the mail, delivered later
//! by the worker with retries. A claim is a lease (`locked_until`), re-checked by the
//! UPDATE itself, so two workers on PostgreSQL never send the same message.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct OutboxMessage {
    pub id: Uuid,
    /// `mail`, or `backchannel_logout` (recipient: the app's logout URI).
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub html_body: String,
    pub text_body: String,
    pub status: String,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// The display name it is sent under; empty: the configured sender's.
    pub sender_name: String,
    /// A mailbox (`Name <address>`) that replies go to; empty: none.
    pub reply_to: String,
    /// An address the mail is copied to; empty: none.
    pub cc: String,
}

const COLUMNS: &str = "id, kind, recipient, subject, html_body, text_body, status, attempts, created_at, \
    next_attempt_at, sent_at, last_error, sender_name, reply_to, cc";

/// A mail as queued.
pub struct NewMail<'a> {
    pub recipient: &'a str,
    pub subject: &'a str,
    pub html: &'a str,
    pub text: &'a str,
    pub sender_name: &'a str,
    pub reply_to: &'a str,
    pub cc: &'a str,
}

pub async fn enqueue(c: Conn<'_>, m: &NewMail<'_>, now: DateTime<Utc>) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    run!(c, |e| {
        sqlx::query(
            "INSERT INTO outbox (id, recipient, subject, html_body, text_body, status, created_at, next_attempt_at, \
             sender_name, reply_to, cc) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(m.recipient)
        .bind(m.subject)
        .bind(m.html)
        .bind(m.text)
        .bind(now)
        .bind(m.sender_name)
        .bind(m.reply_to)
        .bind(m.cc)
        .execute(e)
        .await
        .map(|_| id)
    })
}

/// Queues a back-channel logout (OpenID Back-Channel Logout 1.0) for delivery by the
/// worker, with the same retries as mail. The row holds no token: the worker signs a fresh
/// logout token from these ids when it delivers (`provider::logout`).
pub async fn enqueue_backchannel_logout(
    c: Conn<'_>,
    t: &super::oauth::LogoutTarget,
    now: DateTime<Utc>,
) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    let body = serde_json::json!({ "app_id": t.app_id, "user_id": t.user_id, "sid": t.session_id }).to_string();
    run!(c, |e| {
        sqlx::query(
            "INSERT INTO outbox (id, kind, recipient, subject, html_body, text_body, status, created_at, next_attempt_at) \
         VALUES ($1, 'backchannel_logout', $2, 'Back-channel logout', '', $3, 'pending', $4, $4)",
        )
        .bind(id)
        .bind(&t.backchannel_logout_uri)
        .bind(body)
        .bind(now)
        .execute(e)
        .await
        .map(|_| id)
    })
}

/// Claims the next due message for `lease` and counts the attempt. On PostgreSQL,
/// `SKIP LOCKED` lets concurrent workers pass each other; the outer `locked_until` check
/// is what guarantees a single owner on both databases.
pub async fn claim_next(
    c: Conn<'_>,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> sqlx::Result<Option<OutboxMessage>> {
    let due = "status = 'pending' AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)";
    let pick = match c {
        Conn::Sqlite(_) => {
            format!("SELECT id FROM outbox WHERE {due} ORDER BY next_attempt_at LIMIT 1")
        }
        Conn::Postgres(_) => {
            format!("SELECT id FROM outbox WHERE {due} ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED")
        }
    };
    let sql = format!(
        "UPDATE outbox SET locked_until = $2, attempts = attempts + 1 WHERE id = ({pick}) AND {due} RETURNING {COLUMNS}"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).bind(lease_until).fetch_optional(e).await)
}

/// Extends the lease of a message still being delivered by this worker: a live worker holds
/// it, a dead one lets it go within one short lease.
pub async fn renew(c: Conn<'_>, id: Uuid, lease_until: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE outbox SET locked_until = $2 WHERE id = $1 AND status = 'pending'")
        .bind(id)
        .bind(lease_until)
        .execute(e)
        .await
        .map(|_| ()))
}

/// Marks a mail delivered and clears its bodies: a delivered mail's live links and codes
/// must not stay readable in the database (SPEC §4). Recipient, subject, timestamps and
/// attempts stay for the admin's outbox.
pub async fn mark_sent(c: Conn<'_>, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| {
        sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = $2, locked_until = NULL, last_error = NULL, \
             html_body = '', text_body = '' WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(e)
        .await
        .map(|_| ())
    })
}

/// Deletes delivered messages sent before `cutoff` (by when they were queued, should a row
/// lack its sending time); waiting and failed ones stay for the admin. How many went.
pub async fn delete_sent_before(c: Conn<'_>, cutoff: DateTime<Utc>) -> sqlx::Result<u64> {
    run!(c, |e| sqlx::query("DELETE FROM outbox WHERE status = 'sent' AND COALESCE(sent_at, created_at) < $1")
        .bind(cutoff)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))
}

/// Records a failed attempt: try again at `retry_at`, or give up (`failed`) when `None`.
pub async fn mark_failed(c: Conn<'_>, id: Uuid, error: &str, retry_at: Option<DateTime<Utc>>) -> sqlx::Result<()> {
    let status = if retry_at.is_some() { "pending" } else { "failed" };
    run!(c, |e| {
        sqlx::query(
            "UPDATE outbox SET status = $2, next_attempt_at = COALESCE($3, next_attempt_at), locked_until = NULL, \
         last_error = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(retry_at)
        .bind(error)
        .execute(e)
        .await
        .map(|_| ())
    })
}

pub async fn all(c: Conn<'_>) -> sqlx::Result<Vec<OutboxMessage>> {
    let sql = format!("SELECT {COLUMNS} FROM outbox ORDER BY created_at, id");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(e).await)
}

/// Messages not delivered yet — waiting, retrying, or given up on — oldest first, without
/// their bodies (the page needs none, and they may hold links).
pub async fn undelivered(c: Conn<'_>, limit: i64) -> sqlx::Result<Vec<OutboxMessage>> {
    let sql = "SELECT id, kind, recipient, subject, '' AS html_body, '' AS text_body, status, attempts, created_at, \
               next_attempt_at, sent_at, last_error, sender_name, reply_to, cc FROM outbox WHERE status <> 'sent' \
               ORDER BY created_at, id LIMIT $1";
    run!(c, |e| sqlx::query_as(sql).bind(limit).fetch_all(e).await)
}

/// Counts by state: (waiting, given up).
pub async fn undelivered_counts(c: Conn<'_>) -> sqlx::Result<(i64, i64)> {
    run!(c, |e| sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) FROM outbox"
    )
    .fetch_one(e)
    .await)
}

/// Tries a message again now, with its count of attempts started over; false when it was
/// delivered meanwhile (or is no more).
pub async fn retry_now(c: Conn<'_>, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<Option<OutboxMessage>> {
    let sql = format!(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $2, locked_until = NULL \
         WHERE id = $1 AND status <> 'sent' RETURNING {COLUMNS}"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(now).fetch_optional(e).await)
}
