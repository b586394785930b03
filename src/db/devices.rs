//! The second step's count of wrong codes in a row, kept for one browser with a device cookie
//! (`domain::device`) apart from the person's shared count, so that a pause others caused
//! does not hold it back. A row exists only while its count is above zero or it is paused.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};

/// Wrong codes in a row from this browser for this person, and until when it is paused.
pub async fn failures(c: Conn<'_>, device_id: &str, user_id: Uuid) -> sqlx::Result<(i64, Option<DateTime<Utc>>)> {
    let row: Option<(i64, Option<DateTime<Utc>>)> = run!(c, |e| sqlx::query_as(
        "SELECT failures, paused_until FROM device_lockouts WHERE device_id = $1 AND user_id = $2"
    )
    .bind(device_id)
    .bind(user_id)
    .fetch_optional(e)
    .await)?;
    Ok(row.unwrap_or((0, None)))
}

pub async fn set_failures(
    c: Conn<'_>,
    device_id: &str,
    user_id: Uuid,
    failures: i64,
    paused_until: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query(
        "INSERT INTO device_lockouts (device_id, user_id, failures, paused_until) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (device_id) DO UPDATE SET user_id = $2, failures = $3, paused_until = $4"
    )
    .bind(device_id)
    .bind(user_id)
    .bind(failures)
    .bind(paused_until)
    .execute(e)
    .await
    .map(|_| ()))
}

/// The count starts again (the browser passed its second step).
pub async fn clear(c: Conn<'_>, device_id: &str) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("DELETE FROM device_lockouts WHERE device_id = $1")
        .bind(device_id)
        .execute(e)
        .await
        .map(|_| ()))
}
