//! Assignments: which user may open which app.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};

/// Assigns an app directly; assigning it twice changes nothing. Returns whether it was new.
pub async fn assign(c: Conn<'_>, app_id: Uuid, user_id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| {
        sqlx::query(
            "INSERT INTO assignments (id, app_id, user_id, source, created_at) VALUES ($1, $2, $3, 'direct', $4) \
         ON CONFLICT (app_id, user_id, source) DO NOTHING",
        )
        .bind(Uuid::new_v4())
        .bind(app_id)
        .bind(user_id)
        .bind(now)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1)
    })
}

pub async fn unassign(c: Conn<'_>, app_id: Uuid, user_id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("DELETE FROM assignments WHERE app_id = $1 AND user_id = $2 AND source = 'direct'")
        .bind(app_id)
        .bind(user_id)
        .execute(e)
        .await
        .map(|r| r.rows_affected() >= 1))
}

pub async fn count_for_user(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<i64> {
    run!(c, |e| sqlx::query_scalar("SELECT COUNT(*) FROM assignments WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(e)
        .await)
}

/// Assigns an app through an access package, with the package's expiry (renewed when the
/// package is granted again).
pub async fn assign_from_package(
    c: Conn<'_>,
    app_id: Uuid,
    user_id: Uuid,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query(
        "INSERT INTO assignments (id, app_id, user_id, source, expires_at, created_at) \
         VALUES ($1, $2, $3, 'package', $4, $5) \
         ON CONFLICT (app_id, user_id, source) DO UPDATE SET expires_at = excluded.expires_at"
    )
    .bind(Uuid::new_v4())
    .bind(app_id)
    .bind(user_id)
    .bind(expires_at)
    .bind(now)
    .execute(e)
    .await
    .map(|_| ()))
}
