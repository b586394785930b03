//! The end of an account (F12): soft-deleted (left, or by the end-of-access policy) and
//! restored, purged when due, and the guests whose every assignment has ended.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{COLUMNS, User, columns_of};
use crate::db::{Conn, run};
use crate::domain::user::UserState;

/// Blocks and soft-deletes the account (F12).
pub async fn soft_delete(c: Conn<'_>, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("UPDATE users SET state = 'blocked', deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Undoes `soft_delete`, back to `state`; false when the account was not soft-deleted.
pub async fn restore(c: Conn<'_>, id: Uuid, state: UserState) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("UPDATE users SET state = $2, deleted_at = NULL WHERE id = $1 AND deleted_at IS NOT NULL")
        .bind(id)
        .bind(state)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Soft-deleted accounts whose time to be restored ended by `before`, oldest first.
pub async fn due_for_purge(c: Conn<'_>, before: DateTime<Utc>, limit: i64) -> sqlx::Result<Vec<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE deleted_at <= $1 ORDER BY deleted_at LIMIT $2");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(before).bind(limit).fetch_all(e).await)
}

/// Guests whose every app assignment and group membership has ended (none is open-ended,
/// the last ended by `now`) since the end-of-access policy last acted on them; each with
/// when its last one ended.
pub async fn access_ended(c: Conn<'_>, now: DateTime<Utc>, limit: i64) -> sqlx::Result<Vec<(User, DateTime<Utc>)>> {
    let sql = format!(
        "SELECT {cols}, e.ended FROM users u JOIN (SELECT user_id, MAX(expires_at) AS ended FROM \
         (SELECT user_id, expires_at FROM assignments UNION ALL SELECT user_id, expires_at FROM group_members) x \
         GROUP BY user_id HAVING COUNT(*) = COUNT(expires_at) AND MAX(expires_at) <= $1) e ON e.user_id = u.id \
         WHERE u.user_type = 'guest' AND u.state = 'accepted' AND u.deleted_at IS NULL \
         AND (u.access_ended_at IS NULL OR u.access_ended_at < e.ended) ORDER BY e.ended LIMIT $2",
        cols = columns_of("u")
    );
    let rows: Vec<(User, Ended)> = run!(c, |e| sqlx::query_as::<_, Both>(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(limit)
        .fetch_all(e)
        .await
        .map(|rows| rows.into_iter().map(|b| (b.user, b.ended)).collect()))?;
    Ok(rows.into_iter().map(|(u, e)| (u, e.ended)).collect())
}

#[derive(sqlx::FromRow)]
struct Ended {
    ended: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Both {
    #[sqlx(flatten)]
    user: User,
    #[sqlx(flatten)]
    ended: Ended,
}

/// Records that the end-of-access policy acts on the guest for the end at `ended`; false
/// if it did already (another worker was first).
pub async fn mark_access_ended(c: Conn<'_>, id: Uuid, ended: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE users SET access_ended_at = $2 WHERE id = $1 AND (access_ended_at IS NULL OR access_ended_at < $2)"
    )
    .bind(id)
    .bind(ended)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}
