//! Apps shared with guests.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct App {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub launch_url: String,
    pub icon_url: Option<String>,
    pub visible_in_panel: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, name, description, launch_url, icon_url, visible_in_panel, created_at, updated_at";

pub struct AppFields<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub launch_url: &'a str,
    pub icon_url: Option<&'a str>,
    pub visible_in_panel: bool,
}

pub async fn insert(c: Conn<'_>, a: &AppFields<'_>, now: DateTime<Utc>) -> sqlx::Result<App> {
    let sql = format!(
        "INSERT INTO apps (id, name, description, launch_url, icon_url, visible_in_panel, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {COLUMNS}"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(Uuid::new_v4())
        .bind(a.name)
        .bind(a.description)
        .bind(a.launch_url)
        .bind(a.icon_url)
        .bind(a.visible_in_panel)
        .bind(now)
        .fetch_one(e)
        .await)
}

pub async fn update(c: Conn<'_>, id: Uuid, a: &AppFields<'_>, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| {
        sqlx::query(
            "UPDATE apps SET name = $2, description = $3, launch_url = $4, icon_url = $5, visible_in_panel = $6, \
         updated_at = $7 WHERE id = $1",
        )
        .bind(id)
        .bind(a.name)
        .bind(a.description)
        .bind(a.launch_url)
        .bind(a.icon_url)
        .bind(a.visible_in_panel)
        .bind(now)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1)
    })
}

pub async fn delete(c: Conn<'_>, id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("DELETE FROM apps WHERE id = $1").bind(id).execute(e).await.map(|r| r.rows_affected() == 1))
}

pub async fn find(c: Conn<'_>, id: Uuid) -> sqlx::Result<Option<App>> {
    let sql = format!("SELECT {COLUMNS} FROM apps WHERE id = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(e).await)
}

pub async fn all(c: Conn<'_>) -> sqlx::Result<Vec<App>> {
    let sql = format!("SELECT {COLUMNS} FROM apps ORDER BY lower(name), id");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(e).await)
}

/// The apps an invitation grants, for the redemption page.
pub async fn for_invitation(c: Conn<'_>, invitation_id: Uuid) -> sqlx::Result<Vec<App>> {
    let sql = format!(
        "SELECT {} FROM apps a JOIN invitation_apps ia ON ia.app_id = a.id WHERE ia.invitation_id = $1 ORDER BY lower(a.name)",
        prefixed("a")
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(invitation_id).fetch_all(e).await)
}

/// The apps a user may open now: assigned to them or to one of their groups, not expired.
pub async fn for_user(c: Conn<'_>, user_id: Uuid, now: DateTime<Utc>) -> sqlx::Result<Vec<App>> {
    let sql = format!(
        "SELECT {} FROM apps a WHERE a.id IN (SELECT s.app_id FROM assignments s WHERE s.user_id = $1 \
         AND (s.expires_at IS NULL OR s.expires_at > $2)) \
         OR a.id IN (SELECT ga.app_id FROM group_apps ga JOIN group_members m ON m.group_id = ga.group_id \
         WHERE m.user_id = $1 AND (m.expires_at IS NULL OR m.expires_at > $2)) ORDER BY lower(a.name)",
        prefixed("a")
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(now).fetch_all(e).await)
}

pub fn origins(apps: &[App]) -> Vec<String> {
    apps.iter().filter_map(|a| crate::domain::url::origin_of(&a.launch_url)).collect()
}

fn prefixed(alias: &str) -> String {
    COLUMNS.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

impl App {
    /// The letter on a tile without an icon.
    pub fn initial(&self) -> String {
        self.name.chars().find(|c| c.is_alphanumeric()).map(|c| c.to_uppercase().to_string()).unwrap_or_default()
    }
}
