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

/// Someone an app is assigned to, directly or through an access package.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Holder {
    pub user_id: Uuid,
    pub display_name: String,
    pub email: String,
    /// `direct` or `package`.
    pub source: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Who holds the app by assignment (not through a group), by name.
pub async fn holders(c: Conn<'_>, app_id: Uuid, limit: i64) -> sqlx::Result<Vec<Holder>> {
    run!(c, |e| {
        sqlx::query_as(
        "SELECT u.id AS user_id, u.display_name, u.email, a.source, a.expires_at FROM assignments a \
         JOIN users u ON u.id = a.user_id WHERE a.app_id = $1 ORDER BY lower(u.display_name), u.email, a.source LIMIT $2"
    )
    .bind(app_id)
    .bind(limit)
    .fetch_all(e)
    .await
    })
}

/// Records that an access package was granted (a review of the package's guests reads it);
/// granting again renews it.
pub async fn record_grant(
    c: Conn<'_>,
    package_id: Uuid,
    user_id: Uuid,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    run!(c, |e| {
        sqlx::query(
        "INSERT INTO package_grants (package_id, user_id, granted_at, expires_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (package_id, user_id) DO UPDATE SET granted_at = excluded.granted_at, expires_at = excluded.expires_at"
    )
    .bind(package_id)
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(e)
    .await
    .map(|_| ())
    })
}

/// Takes away what an access package gave: its grant, the apps assigned through it and
/// its groups — except what another package the person still holds gives too.
pub async fn remove_package(mut c: Conn<'_>, package_id: Uuid, user_id: Uuid, now: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c.reborrow(), |e| sqlx::query("DELETE FROM package_grants WHERE package_id = $1 AND user_id = $2")
        .bind(package_id)
        .bind(user_id)
        .execute(e)
        .await
        .map(|_| ()))?;
    // The grant is gone, so "another live grant" below is another package's.
    for sql in [
        "DELETE FROM assignments WHERE user_id = $2 AND source = 'package' \
         AND app_id IN (SELECT app_id FROM package_apps WHERE package_id = $1) \
         AND app_id NOT IN (SELECT p.app_id FROM package_apps p JOIN package_grants g ON g.package_id = p.package_id \
         WHERE g.user_id = $2 AND (g.expires_at IS NULL OR g.expires_at > $3))",
        "DELETE FROM group_members WHERE user_id = $2 \
         AND group_id IN (SELECT group_id FROM package_groups WHERE package_id = $1) \
         AND group_id NOT IN (SELECT p.group_id FROM package_groups p JOIN package_grants g ON g.package_id = p.package_id \
         WHERE g.user_id = $2 AND (g.expires_at IS NULL OR g.expires_at > $3))",
    ] {
        run!(c.reborrow(), |e| sqlx::query(sql).bind(package_id).bind(user_id).bind(now).execute(e).await.map(|_| ()))?;
    }
    Ok(())
}

/// Takes away every app, group and package the person has.
pub async fn remove_all(mut c: Conn<'_>, user_id: Uuid) -> sqlx::Result<()> {
    for sql in [
        "DELETE FROM package_grants WHERE user_id = $1",
        "DELETE FROM assignments WHERE user_id = $1",
        "DELETE FROM group_members WHERE user_id = $1",
    ] {
        run!(c.reborrow(), |e| sqlx::query(sql).bind(user_id).execute(e).await.map(|_| ()))?;
    }
    Ok(())
}

/// Whether the person still has any app or group, ended or not.
pub async fn has_any(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query_scalar::<_, i64>(
        "SELECT (SELECT COUNT(*) FROM assignments WHERE user_id = $1) + \
         (SELECT COUNT(*) FROM group_members WHERE user_id = $1)"
    )
    .bind(user_id)
    .fetch_one(e)
    .await
    .map(|n| n > 0))
}
