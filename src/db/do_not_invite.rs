//! The do-not-invite list (F12): addresses whose owners asked for no more invitations.

use chrono::{DateTime, Utc};

use super::{Conn, run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Entry {
    pub email: String,
    pub added_at: DateTime<Utc>,
}

/// Lists the address; false if it was listed already.
pub async fn add(c: Conn<'_>, email: &str, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("INSERT INTO do_not_invite (email, added_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(email)
        .bind(now)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Takes the address off the list; false if it was not on it.
pub async fn remove(c: Conn<'_>, email: &str) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("DELETE FROM do_not_invite WHERE email = $1")
        .bind(email)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

pub async fn is_listed(c: Conn<'_>, email: &str) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM do_not_invite WHERE email = $1")
        .bind(email)
        .fetch_one(e)
        .await
        .map(|n| n > 0))
}

/// The whole list, newest first.
pub async fn all(c: Conn<'_>) -> sqlx::Result<Vec<Entry>> {
    run!(c, |e| sqlx::query_as("SELECT email, added_at FROM do_not_invite ORDER BY added_at DESC, email")
        .fetch_all(e)
        .await)
}
