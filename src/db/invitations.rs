//! Invitations and the apps they grant on redemption.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};
use crate::domain::invitation::InvitationStatus;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invitation {
    pub id: Uuid,
    pub user_id: Uuid,
    pub inviter_id: Option<Uuid>,
    pub email: String,
    pub redirect_url: Option<String>,
    pub message: String,
    pub token_hash: String,
    pub status: InvitationStatus,
    pub sent_count: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_sent_at: Option<DateTime<Utc>>,
    pub redeemed_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The access package the inviter offered: asked for in the guest's name on redemption.
    pub package_id: Option<Uuid>,
    /// The address its mail is copied to (the API's `ccRecipients`); empty: none.
    pub cc: String,
    /// The language its mail is written in, and the guest's once they redeem it; empty:
    /// the guest's own or the organization's.
    pub language: String,
}

const COLUMNS: &str = "id, user_id, inviter_id, email, redirect_url, message, token_hash, status, sent_count, \
    created_at, expires_at, last_sent_at, redeemed_at, revoked_at, package_id, cc, language";

pub struct NewInvitation<'a> {
    pub user_id: Uuid,
    pub inviter_id: Option<Uuid>,
    pub email: &'a str,
    pub redirect_url: Option<&'a str>,
    pub message: &'a str,
    pub cc: &'a str,
    pub language: &'a str,
    pub token_hash: &'a str,
    pub sent: bool,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(c: Conn<'_>, i: &NewInvitation<'_>, now: DateTime<Utc>) -> sqlx::Result<Invitation> {
    let sql = format!(
        "INSERT INTO invitations (id, user_id, inviter_id, email, redirect_url, message, token_hash, status, \
         sent_count, created_at, expires_at, last_sent_at, cc, language) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, $11, $12, $13) RETURNING {COLUMNS}"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(Uuid::new_v4())
        .bind(i.user_id)
        .bind(i.inviter_id)
        .bind(i.email)
        .bind(i.redirect_url)
        .bind(i.message)
        .bind(i.token_hash)
        .bind(if i.sent { 1i64 } else { 0 })
        .bind(now)
        .bind(i.expires_at)
        .bind(i.sent.then_some(now))
        .bind(i.cc)
        .bind(i.language)
        .fetch_one(e)
        .await)
}

pub async fn find(c: Conn<'_>, id: Uuid) -> sqlx::Result<Option<Invitation>> {
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE id = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(e).await)
}

pub async fn find_by_token_hash(c: Conn<'_>, hash: &str) -> sqlx::Result<Option<Invitation>> {
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE token_hash = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(hash).fetch_optional(e).await)
}

pub async fn for_user(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<Vec<Invitation>> {
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE user_id = $1 ORDER BY created_at DESC");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(e).await)
}

pub async fn pending_for_user(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<Option<Invitation>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM invitations WHERE user_id = $1 AND status = 'pending' ORDER BY created_at DESC LIMIT 1"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_optional(e).await)
}

/// The one step that makes redemption exactly-once: only the first caller sees `true`.
pub async fn mark_redeemed(c: Conn<'_>, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE invitations SET status = 'redeemed', redeemed_at = $2 \
         WHERE id = $1 AND status = 'pending' AND expires_at > $2"
    )
    .bind(id)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

pub async fn revoke(c: Conn<'_>, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| {
        sqlx::query("UPDATE invitations SET status = 'revoked', revoked_at = $2 WHERE id = $1 AND status = 'pending'")
            .bind(id)
            .bind(now)
            .execute(e)
            .await
            .map(|r| r.rows_affected() == 1)
    })
}

/// A resend: a new token (the old link stops working), a fresh expiry, one more send.
/// What the invitation's mail says, in which language, and whom it copies from now on (a
/// new request's).
pub async fn set_note(c: Conn<'_>, id: Uuid, message: &str, cc: &str, language: &str) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE invitations SET message = $2, cc = $3, language = $4 WHERE id = $1")
        .bind(id)
        .bind(message)
        .bind(cc)
        .bind(language)
        .execute(e)
        .await
        .map(|_| ()))
}

pub async fn reissue(
    c: Conn<'_>,
    id: Uuid,
    token_hash: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    run!(c, |e| {
        sqlx::query(
            "UPDATE invitations SET token_hash = $2, expires_at = $3, last_sent_at = $4, sent_count = sent_count + 1 \
         WHERE id = $1 AND status = 'pending'",
        )
        .bind(id)
        .bind(token_hash)
        .bind(expires_at)
        .bind(now)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1)
    })
}

/// Marks pending invitations past their date as expired; returns how many.
pub async fn expire_due(c: Conn<'_>, now: DateTime<Utc>) -> sqlx::Result<u64> {
    run!(c, |e| sqlx::query("UPDATE invitations SET status = 'expired' WHERE status = 'pending' AND expires_at <= $1")
        .bind(now)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))
}

/// Offers `package_id` with the invitation (the last one chosen counts).
pub async fn set_package(c: Conn<'_>, invitation_id: Uuid, package_id: Uuid) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE invitations SET package_id = $2 WHERE id = $1")
        .bind(invitation_id)
        .bind(package_id)
        .execute(e)
        .await
        .map(|_| ()))
}

pub async fn add_app(c: Conn<'_>, invitation_id: Uuid, app_id: Uuid) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query(
        "INSERT INTO invitation_apps (invitation_id, app_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    )
    .bind(invitation_id)
    .bind(app_id)
    .execute(e)
    .await
    .map(|_| ()))
}

pub async fn app_ids(c: Conn<'_>, invitation_id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    run!(c, |e| sqlx::query_scalar("SELECT app_id FROM invitation_apps WHERE invitation_id = $1")
        .bind(invitation_id)
        .fetch_all(e)
        .await)
}

/// An invitation and the guest it is for, as the API shows it.
#[derive(Debug, sqlx::FromRow)]
pub struct Listed {
    #[sqlx(flatten)]
    pub invitation: Invitation,
    pub display_name: String,
    pub user_type: String,
}

const LISTED: &str = "SELECT i.id, i.user_id, i.inviter_id, i.email, i.redirect_url, i.message, i.token_hash, \
    i.status, i.sent_count, i.created_at, i.expires_at, i.last_sent_at, i.redeemed_at, i.revoked_at, i.package_id, i.cc, i.language, \
    u.display_name, u.user_type FROM invitations i JOIN users u ON u.id = i.user_id";

/// A page of invitations, newest first, after the cursor `(created_at, id)` if given;
/// only those with `status` if given.
pub async fn page(
    c: Conn<'_>,
    status: Option<InvitationStatus>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<Listed>> {
    let sql = format!(
        "{LISTED} WHERE ($1 IS NULL OR i.status = $1) AND ($2 IS NULL OR (i.created_at, i.id) < ($2, $3)) \
         ORDER BY i.created_at DESC, i.id DESC LIMIT $4"
    );
    let (at, id) = (after.map(|a| a.0), after.map(|a| a.1));
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(status).bind(at).bind(id).bind(limit).fetch_all(e).await)
}

/// One invitation with its guest.
pub async fn find_listed(c: Conn<'_>, id: Uuid) -> sqlx::Result<Option<Listed>> {
    let sql = format!("{LISTED} WHERE i.id = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(e).await)
}
