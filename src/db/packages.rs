//! Access packages: bundles of apps and groups that partners may request.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Package {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// `none` | `any` | `all`.
    pub approval_mode: String,
    pub duration_days: Option<i64>,
    /// Space separated; empty admits every domain the settings admit.
    pub domains: String,
    pub published: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, name, description, approval_mode, duration_days, domains, published, created_at, updated_at";

pub struct PackageFields<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub approval_mode: &'a str,
    pub duration_days: Option<i64>,
    pub domains: &'a str,
    pub published: bool,
}

/// `None` when the name is taken.
pub async fn insert(c: Conn<'_>, f: &PackageFields<'_>, now: DateTime<Utc>) -> sqlx::Result<Option<Package>> {
    let sql = format!(
        "INSERT INTO access_packages (id, name, description, approval_mode, duration_days, domains, published, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (name) DO NOTHING \
         RETURNING {COLUMNS}"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(Uuid::new_v4())
        .bind(f.name)
        .bind(f.description)
        .bind(f.approval_mode)
        .bind(f.duration_days)
        .bind(f.domains)
        .bind(f.published)
        .bind(now)
        .fetch_optional(e)
        .await)
}

/// `false` when the name belongs to another package.
pub async fn update(c: Conn<'_>, id: Uuid, f: &PackageFields<'_>, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let mut c = c;
    let taken: Option<Uuid> =
        run!(c.reborrow(), |e| sqlx::query_scalar("SELECT id FROM access_packages WHERE name = $1 AND id <> $2")
            .bind(f.name)
            .bind(id)
            .fetch_optional(e)
            .await)?;
    if taken.is_some() {
        return Ok(false);
    }
    run!(c, |e| sqlx::query(
        "UPDATE access_packages SET name = $2, description = $3, approval_mode = $4, duration_days = $5, \
         domains = $6, published = $7, updated_at = $8 WHERE id = $1"
    )
    .bind(id)
    .bind(f.name)
    .bind(f.description)
    .bind(f.approval_mode)
    .bind(f.duration_days)
    .bind(f.domains)
    .bind(f.published)
    .bind(now)
    .execute(e)
    .await
    .map(|_| true))
}

pub async fn delete(c: Conn<'_>, id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("DELETE FROM access_packages WHERE id = $1")
        .bind(id)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

pub async fn find(c: Conn<'_>, id: Uuid) -> sqlx::Result<Option<Package>> {
    let sql = format!("SELECT {COLUMNS} FROM access_packages WHERE id = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(e).await)
}

pub async fn all(c: Conn<'_>) -> sqlx::Result<Vec<Package>> {
    let sql = format!("SELECT {COLUMNS} FROM access_packages ORDER BY lower(name), id");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(e).await)
}

pub async fn published(c: Conn<'_>) -> sqlx::Result<Vec<Package>> {
    let sql = format!("SELECT {COLUMNS} FROM access_packages WHERE published ORDER BY lower(name), id");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(e).await)
}

/// The published packages that grant `app_id` (directly or through one of their groups):
/// what a refused person can ask for.
pub async fn published_granting(c: Conn<'_>, app_id: Uuid) -> sqlx::Result<Vec<Package>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM access_packages WHERE published AND (id IN (SELECT package_id FROM package_apps \
         WHERE app_id = $1) OR id IN (SELECT pg.package_id FROM package_groups pg JOIN group_apps ga \
         ON ga.group_id = pg.group_id WHERE ga.app_id = $1)) ORDER BY lower(name), id"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(app_id).fetch_all(e).await)
}
