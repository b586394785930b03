//! Stored settings: key/value pairs over the config file's defaults.

use chrono::{DateTime, Utc};

use super::{Conn, run};

pub async fn all(c: Conn<'_>) -> sqlx::Result<Vec<(String, String)>> {
    run!(c, |e| sqlx::query_as("SELECT key, value FROM settings ORDER BY key").fetch_all(e).await)
}

pub async fn put(c: Conn<'_>, key: &str, value: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
    )
    .bind(key)
    .bind(value)
    .bind(now)
    .execute(e)
    .await
    .map(|_| ()))
}

/// Takes the lock on a stored setting's row until the transaction ends (PostgreSQL; SQLite
/// has one writer anyway), to read it and change it without another writer in between.
pub async fn lock(c: Conn<'_>, key: &str) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE settings SET value = value WHERE key = $1").bind(key).execute(e).await.map(|_| ()))
}
