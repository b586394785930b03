//! Identities: a user's external logins, unique on (issuer, subject).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Identity {
    pub id: Uuid,
    pub user_id: Uuid,
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    pub email: String,
    pub created_at: DateTime<Utc>,
}

pub struct NewIdentity<'a> {
    pub user_id: Uuid,
    pub provider: &'a str,
    pub issuer: &'a str,
    pub subject: &'a str,
    pub email: &'a str,
}

/// Links an identity; an existing (issuer, subject) link is left as it is.
pub async fn link(c: Conn<'_>, i: &NewIdentity<'_>, now: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| {
        sqlx::query(
            "INSERT INTO identities (id, user_id, provider, issuer, subject, email, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (issuer, subject) DO NOTHING",
        )
        .bind(Uuid::new_v4())
        .bind(i.user_id)
        .bind(i.provider)
        .bind(i.issuer)
        .bind(i.subject)
        .bind(i.email)
        .bind(now)
        .execute(e)
        .await
        .map(|_| ())
    })
}

pub async fn for_user(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<Vec<Identity>> {
    run!(c, |e| sqlx::query_as(
        "SELECT id, user_id, provider, issuer, subject, email, created_at \
         FROM identities WHERE user_id = $1 ORDER BY created_at"
    )
    .bind(user_id)
    .fetch_all(e)
    .await)
}

/// A linked identity with the name people know its provider by: the IdP's display name,
/// "Email code", or the slug of an IdP that has since been deleted.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NamedIdentity {
    #[sqlx(flatten)]
    pub identity: Identity,
    pub provider_name: String,
}

pub async fn named_for_user(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<Vec<NamedIdentity>> {
    run!(c, |e| sqlx::query_as(
        "SELECT i.id, i.user_id, i.provider, i.issuer, i.subject, i.email, i.created_at, \
           CASE WHEN i.provider = 'email' THEN 'Email code' ELSE COALESCE(p.display_name, i.provider) END \
             AS provider_name \
         FROM identities i LEFT JOIN identity_providers p ON p.slug = i.provider \
         WHERE i.user_id = $1 ORDER BY i.created_at"
    )
    .bind(user_id)
    .fetch_all(e)
    .await)
}

/// The user an external identity belongs to: the only way a returning user is found.
pub async fn user_of(c: Conn<'_>, issuer: &str, subject: &str) -> sqlx::Result<Option<Uuid>> {
    run!(c, |e| sqlx::query_scalar("SELECT user_id FROM identities WHERE issuer = $1 AND subject = $2")
        .bind(issuer)
        .bind(subject)
        .fetch_optional(e)
        .await)
}

/// Unlinks every identity of a user (reset redemption); returns how many.
pub async fn delete_for_user(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<u64> {
    run!(c, |e| sqlx::query("DELETE FROM identities WHERE user_id = $1")
        .bind(user_id)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))
}
