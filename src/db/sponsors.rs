//! Sponsors: the members who look after a guest (one to five of them; the inviter first).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::users::{COLUMNS, User, columns_of};
use super::{Conn, run};
use crate::domain::user::MAX_SPONSORS;

/// A guest as their sponsor sees them: the account and, while it is waiting, until when
/// their invitation can be redeemed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SponsoredGuest {
    #[sqlx(flatten)]
    pub user: User,
    pub pending_until: Option<DateTime<Utc>>,
}

/// Adds a sponsor while the guest has fewer than `MAX_SPONSORS`; false when they were one
/// already or there is no room (the flow that must tell which locks the guest's row first).
pub async fn add(c: Conn<'_>, guest_id: Uuid, sponsor_id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "INSERT INTO user_sponsors (user_id, sponsor_id) SELECT $1, $2 \
         WHERE (SELECT COUNT(*) FROM user_sponsors WHERE user_id = $1) < $3 ON CONFLICT DO NOTHING"
    )
    .bind(guest_id)
    .bind(sponsor_id)
    .bind(MAX_SPONSORS)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

pub async fn remove(c: Conn<'_>, guest_id: Uuid, sponsor_id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("DELETE FROM user_sponsors WHERE user_id = $1 AND sponsor_id = $2")
        .bind(guest_id)
        .bind(sponsor_id)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// The guest's sponsors, by name.
pub async fn of(c: Conn<'_>, guest_id: Uuid) -> sqlx::Result<Vec<User>> {
    let sql = format!(
        "SELECT {} FROM users u JOIN user_sponsors s ON s.sponsor_id = u.id WHERE s.user_id = $1 \
         ORDER BY lower(u.display_name), u.id",
        columns_of("u")
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(guest_id).fetch_all(e).await)
}

pub async fn is_sponsor(c: Conn<'_>, guest_id: Uuid, sponsor_id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM user_sponsors WHERE user_id = $1 AND sponsor_id = $2"
    )
    .bind(guest_id)
    .bind(sponsor_id)
    .fetch_one(e)
    .await
    .map(|n| n > 0))
}

/// The guests `sponsor_id` looks after: waiting invitations first, then by name.
pub async fn guests_of(c: Conn<'_>, sponsor_id: Uuid) -> sqlx::Result<Vec<SponsoredGuest>> {
    let sql = format!(
        "SELECT {}, (SELECT MAX(i.expires_at) FROM invitations i WHERE i.user_id = u.id AND i.status = 'pending') \
         AS pending_until \
         FROM users u JOIN user_sponsors s ON s.user_id = u.id \
         WHERE s.sponsor_id = $1 AND u.user_type = 'guest' \
         ORDER BY CASE WHEN u.state = 'pending_acceptance' THEN 0 ELSE 1 END, lower(u.display_name), u.id",
        columns_of("u")
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(sponsor_id).fetch_all(e).await)
}

/// Sets when the guest's access ends and forgets any reminder sent for the old date.
pub async fn set_expiry(c: Conn<'_>, guest_id: Uuid, at: Option<DateTime<Utc>>) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE users SET expires_at = $2, expiry_notice_at = NULL WHERE id = $1")
        .bind(guest_id)
        .bind(at)
        .execute(e)
        .await
        .map(|_| ()))
}

/// Guests who can sign in today and whose access ends before `until`, not yet announced
/// to their sponsors.
pub async fn expiring_unannounced(
    c: Conn<'_>,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<User>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE user_type = 'guest' AND state = 'accepted' \
         AND expires_at > $1 AND expires_at <= $2 AND expiry_notice_at IS NULL ORDER BY expires_at LIMIT $3"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).bind(until).bind(limit).fetch_all(e).await)
}

/// Marks the expiry as announced; false when another worker did it first (PostgreSQL runs
/// several), so each reminder goes once.
pub async fn mark_announced(c: Conn<'_>, guest_id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("UPDATE users SET expiry_notice_at = $2 WHERE id = $1 AND expiry_notice_at IS NULL")
        .bind(guest_id)
        .bind(now)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}
