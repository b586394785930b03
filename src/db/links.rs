//! Many-to-many link tables (group apps, package apps/groups/approvers): replace a set, read
//! it back. Table and column names are fixed strings from the callers, never input.

use uuid::Uuid;

use super::{Conn, run};

pub struct LinkTable {
    pub table: &'static str,
    pub owner: &'static str,
    pub item: &'static str,
}

pub const GROUP_APPS: LinkTable = LinkTable { table: "group_apps", owner: "group_id", item: "app_id" };
pub const PACKAGE_APPS: LinkTable = LinkTable { table: "package_apps", owner: "package_id", item: "app_id" };
pub const PACKAGE_GROUPS: LinkTable = LinkTable { table: "package_groups", owner: "package_id", item: "group_id" };
pub const PACKAGE_APPROVERS: LinkTable = LinkTable { table: "package_approvers", owner: "package_id", item: "user_id" };

/// Makes `owner`'s links exactly `items` (inside the caller's transaction).
pub async fn replace(c: Conn<'_>, t: &LinkTable, owner: Uuid, items: &[Uuid]) -> sqlx::Result<()> {
    let mut c = c;
    let delete = format!("DELETE FROM {} WHERE {} = $1", t.table, t.owner);
    run!(c.reborrow(), |e| sqlx::query(sqlx::AssertSqlSafe(delete)).bind(owner).execute(e).await.map(|_| ()))?;
    let insert = format!("INSERT INTO {} ({}, {}) VALUES ($1, $2) ON CONFLICT DO NOTHING", t.table, t.owner, t.item);
    for item in items {
        let sql = insert.clone();
        run!(c.reborrow(), |e| sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(*item)
            .execute(e)
            .await
            .map(|_| ()))?;
    }
    Ok(())
}

pub async fn items(c: Conn<'_>, t: &LinkTable, owner: Uuid) -> sqlx::Result<Vec<Uuid>> {
    let sql = format!("SELECT {} FROM {} WHERE {} = $1", t.item, t.table, t.owner);
    run!(c, |e| sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(owner).fetch_all(e).await)
}

/// The owners linked to `item` (the groups that give an app, say).
pub async fn owners(c: Conn<'_>, t: &LinkTable, item: Uuid) -> sqlx::Result<Vec<Uuid>> {
    let sql = format!("SELECT {} FROM {} WHERE {} = $1", t.owner, t.table, t.item);
    run!(c, |e| sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(item).fetch_all(e).await)
}

/// Links one item to its owner; false when it was linked already.
pub async fn add(c: Conn<'_>, t: &LinkTable, owner: Uuid, item: Uuid) -> sqlx::Result<bool> {
    let sql = format!("INSERT INTO {} ({}, {}) VALUES ($1, $2) ON CONFLICT DO NOTHING", t.table, t.owner, t.item);
    run!(c, |e| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(item)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Unlinks one item from its owner; false when it was not linked.
pub async fn remove(c: Conn<'_>, t: &LinkTable, owner: Uuid, item: Uuid) -> sqlx::Result<bool> {
    let sql = format!("DELETE FROM {} WHERE {} = $1 AND {} = $2", t.table, t.owner, t.item);
    run!(c, |e| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(item)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}
