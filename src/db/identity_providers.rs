//! Identity providers. `client_secret_enc` is only ever read back through the instance key.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdentityProvider {
    pub id: Uuid,
    pub slug: String,
    pub kind: String,
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_enc: String,
    pub scopes: String,
    /// Space-separated email domains for home-realm discovery.
    pub domains: String,
    pub enabled: bool,
    pub is_workforce: bool,
    /// Accept the partner IdP's own MFA (see `domain::mfa::partner_mfa`).
    pub trust_mfa: bool,
    /// Space-separated `acr` values that count as MFA when `trust_mfa`.
    pub trusted_acr: String,
    pub managed_by_config: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, slug, kind, display_name, issuer, client_id, client_secret_enc, scopes, domains, \
    enabled, is_workforce, trust_mfa, trusted_acr, managed_by_config, created_at, updated_at";

pub struct IdpFields<'a> {
    pub slug: &'a str,
    pub kind: &'a str,
    pub display_name: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// `None` on update keeps the stored secret.
    pub client_secret_enc: Option<&'a str>,
    pub scopes: &'a str,
    pub domains: &'a str,
    pub enabled: bool,
    pub is_workforce: bool,
    pub trust_mfa: bool,
    pub trusted_acr: &'a str,
    pub managed_by_config: bool,
}

pub async fn insert(c: Conn<'_>, f: &IdpFields<'_>, now: DateTime<Utc>) -> sqlx::Result<IdentityProvider> {
    let sql = format!(
        "INSERT INTO identity_providers (id, slug, kind, display_name, issuer, client_id, client_secret_enc, scopes, \
         domains, enabled, is_workforce, managed_by_config, created_at, updated_at, trust_mfa, trusted_acr) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15) RETURNING {COLUMNS}"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(Uuid::new_v4())
        .bind(f.slug)
        .bind(f.kind)
        .bind(f.display_name)
        .bind(f.issuer)
        .bind(f.client_id)
        .bind(f.client_secret_enc.unwrap_or(""))
        .bind(f.scopes)
        .bind(f.domains)
        .bind(f.enabled)
        .bind(f.is_workforce)
        .bind(f.managed_by_config)
        .bind(now)
        .bind(f.trust_mfa)
        .bind(f.trusted_acr)
        .fetch_one(e)
        .await)
}

pub async fn update(c: Conn<'_>, id: Uuid, f: &IdpFields<'_>, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE identity_providers SET slug = $2, kind = $3, display_name = $4, issuer = $5, client_id = $6, \
         client_secret_enc = COALESCE($7, client_secret_enc), scopes = $8, domains = $9, enabled = $10, \
         is_workforce = $11, managed_by_config = $12, updated_at = $13, trust_mfa = $14, trusted_acr = $15 \
         WHERE id = $1"
    )
    .bind(id)
    .bind(f.slug)
    .bind(f.kind)
    .bind(f.display_name)
    .bind(f.issuer)
    .bind(f.client_id)
    .bind(f.client_secret_enc)
    .bind(f.scopes)
    .bind(f.domains)
    .bind(f.enabled)
    .bind(f.is_workforce)
    .bind(f.managed_by_config)
    .bind(now)
    .bind(f.trust_mfa)
    .bind(f.trusted_acr)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

pub async fn delete(c: Conn<'_>, id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("DELETE FROM identity_providers WHERE id = $1")
        .bind(id)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

pub async fn find(c: Conn<'_>, id: Uuid) -> sqlx::Result<Option<IdentityProvider>> {
    let sql = format!("SELECT {COLUMNS} FROM identity_providers WHERE id = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(e).await)
}

pub async fn find_by_slug(c: Conn<'_>, slug: &str) -> sqlx::Result<Option<IdentityProvider>> {
    let sql = format!("SELECT {COLUMNS} FROM identity_providers WHERE slug = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(slug).fetch_optional(e).await)
}

/// The host's enabled workforce IdP (the first by name, should there be several).
pub async fn enabled_workforce(c: Conn<'_>) -> sqlx::Result<Option<IdentityProvider>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM identity_providers WHERE enabled AND is_workforce \
         ORDER BY lower(display_name), slug LIMIT 1"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_optional(e).await)
}

pub async fn all(c: Conn<'_>) -> sqlx::Result<Vec<IdentityProvider>> {
    let sql = format!("SELECT {COLUMNS} FROM identity_providers ORDER BY lower(display_name), slug");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(e).await)
}

/// Enabled IdPs, those serving `email_domain` first (home-realm discovery), then by name.
pub async fn choices_for(c: Conn<'_>, email_domain: Option<&str>) -> sqlx::Result<Vec<IdentityProvider>> {
    let mut list: Vec<IdentityProvider> = all(c).await?.into_iter().filter(|i| i.enabled).collect();
    if let Some(d) = email_domain {
        list.sort_by_key(|i| !crate::domain::idp::serves_domain(&i.domains, d));
    }
    Ok(list)
}
