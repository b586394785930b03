//! Groups of users; apps assigned to a group reach its members.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Group {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, name, description, created_at, updated_at";

/// `None` when the name is taken.
pub async fn insert(c: Conn<'_>, name: &str, description: &str, now: DateTime<Utc>) -> sqlx::Result<Option<Group>> {
    let sql = format!(
        "INSERT INTO groups (id, name, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (name) DO NOTHING RETURNING {COLUMNS}"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(Uuid::new_v4())
        .bind(name)
        .bind(description)
        .bind(now)
        .fetch_optional(e)
        .await)
}

/// `false` when the name belongs to another group.
pub async fn update(c: Conn<'_>, id: Uuid, name: &str, description: &str, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let mut c = c;
    let taken: Option<Uuid> =
        run!(c.reborrow(), |e| sqlx::query_scalar("SELECT id FROM groups WHERE name = $1 AND id <> $2")
            .bind(name)
            .bind(id)
            .fetch_optional(e)
            .await)?;
    if taken.is_some() {
        return Ok(false);
    }
    run!(c, |e| sqlx::query("UPDATE groups SET name = $2, description = $3, updated_at = $4 WHERE id = $1")
        .bind(id)
        .bind(name)
        .bind(description)
        .bind(now)
        .execute(e)
        .await
        .map(|_| true))
}

pub async fn delete(c: Conn<'_>, id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("DELETE FROM groups WHERE id = $1")
        .bind(id)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

pub async fn find(c: Conn<'_>, id: Uuid) -> sqlx::Result<Option<Group>> {
    let sql = format!("SELECT {COLUMNS} FROM groups WHERE id = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(e).await)
}

pub async fn all(c: Conn<'_>) -> sqlx::Result<Vec<Group>> {
    let sql = format!("SELECT {COLUMNS} FROM groups ORDER BY lower(name), id");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(e).await)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn members(c: Conn<'_>, group_id: Uuid) -> sqlx::Result<Vec<Member>> {
    run!(c, |e| sqlx::query_as(
        "SELECT u.id AS user_id, u.email, u.display_name, m.expires_at FROM group_members m \
         JOIN users u ON u.id = m.user_id WHERE m.group_id = $1 ORDER BY u.email"
    )
    .bind(group_id)
    .fetch_all(e)
    .await)
}

/// Adds a member (or renews the membership's expiry); returns whether it was new.
pub async fn add_member(
    c: Conn<'_>,
    group_id: Uuid,
    user_id: Uuid,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "INSERT INTO group_members (group_id, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (group_id, user_id) DO UPDATE SET expires_at = excluded.expires_at"
    )
    .bind(group_id)
    .bind(user_id)
    .bind(expires_at)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

pub async fn remove_member(c: Conn<'_>, group_id: Uuid, user_id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
        .bind(group_id)
        .bind(user_id)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// The groups a user is in now.
pub async fn of_user(c: Conn<'_>, user_id: Uuid, now: DateTime<Utc>) -> sqlx::Result<Vec<Group>> {
    let sql = format!(
        "SELECT {} FROM groups g JOIN group_members m ON m.group_id = g.id WHERE m.user_id = $1 \
         AND (m.expires_at IS NULL OR m.expires_at > $2) ORDER BY lower(g.name)",
        COLUMNS.split(", ").map(|c| format!("g.{c}")).collect::<Vec<_>>().join(", ")
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(now).fetch_all(e).await)
}
