//! One-time sign-in links (the first admin's, from the CLI).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SigninLink {
    pub id: Uuid,
    pub user_id: Uuid,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

pub async fn insert(
    c: Conn<'_>,
    user_id: Uuid,
    token_hash: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    run!(c, |e| {
        sqlx::query(
            "INSERT INTO signin_links (id, user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(Uuid::new_v4())
        .bind(user_id)
        .bind(token_hash)
        .bind(now)
        .bind(expires_at)
        .execute(e)
        .await
        .map(|_| ())
    })
}

pub async fn find_by_token_hash(c: Conn<'_>, hash: &str) -> sqlx::Result<Option<SigninLink>> {
    run!(c, |e| {
        sqlx::query_as("SELECT id, user_id, token_hash, expires_at, used_at FROM signin_links WHERE token_hash = $1")
            .bind(hash)
            .fetch_optional(e)
            .await
    })
}

/// Uses the link up; only the first caller, before expiry, gets `true`.
pub async fn use_up(c: Conn<'_>, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE signin_links SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $2"
    )
    .bind(id)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}
