//! The SAML side of an identity provider of kind `saml` (its row in `identity_providers`
//! holds the slug, name, domains, MFA trust and, as `issuer`, the IdP's entityID).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SamlIdp {
    pub idp_id: Uuid,
    /// Empty when the admin pasted the metadata.
    pub metadata_url: String,
    pub metadata_xml: String,
    pub sso_url: String,
    /// `redirect` or `post`: how the AuthnRequest travels.
    pub sso_binding: String,
    /// Base64 DER certificates, one per line.
    pub signing_certs: String,
    pub email_trusted: bool,
    pub allow_sha1: bool,
    pub allow_idp_initiated: bool,
    pub sign_requests: bool,
    /// Space-separated attribute names; empty: the defaults.
    pub email_attributes: String,
    pub name_attributes: String,
    pub persistent_attribute: String,
    pub metadata_read_at: DateTime<Utc>,
    pub metadata_refresh_at: Option<DateTime<Utc>>,
    pub metadata_problem: String,
}

const COLUMNS: &str = "idp_id, metadata_url, metadata_xml, sso_url, sso_binding, signing_certs, email_trusted, \
    allow_sha1, allow_idp_initiated, email_attributes, name_attributes, persistent_attribute, metadata_read_at, \
    metadata_refresh_at, metadata_problem, sign_requests";

/// Writes the whole SAML side (insert or replace).
pub async fn save(c: Conn<'_>, s: &SamlIdp) -> sqlx::Result<()> {
    let sql = format!(
        "INSERT INTO saml_idps ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         ON CONFLICT (idp_id) DO UPDATE SET metadata_url = $2, metadata_xml = $3, sso_url = $4, sso_binding = $5, \
         signing_certs = $6, email_trusted = $7, allow_sha1 = $8, allow_idp_initiated = $9, email_attributes = $10, \
         name_attributes = $11, persistent_attribute = $12, metadata_read_at = $13, metadata_refresh_at = $14, \
         metadata_problem = $15, sign_requests = $16"
    );
    run!(c, |e| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(s.idp_id)
        .bind(&s.metadata_url)
        .bind(&s.metadata_xml)
        .bind(&s.sso_url)
        .bind(&s.sso_binding)
        .bind(&s.signing_certs)
        .bind(s.email_trusted)
        .bind(s.allow_sha1)
        .bind(s.allow_idp_initiated)
        .bind(&s.email_attributes)
        .bind(&s.name_attributes)
        .bind(&s.persistent_attribute)
        .bind(s.metadata_read_at)
        .bind(s.metadata_refresh_at)
        .bind(&s.metadata_problem)
        .bind(s.sign_requests)
        .execute(e)
        .await
        .map(|_| ()))
}

pub async fn find(c: Conn<'_>, idp_id: Uuid) -> sqlx::Result<Option<SamlIdp>> {
    let sql = format!("SELECT {COLUMNS} FROM saml_idps WHERE idp_id = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(idp_id).fetch_optional(e).await)
}

/// IdPs whose metadata URL is due to be read again.
pub async fn due_for_refresh(c: Conn<'_>, now: DateTime<Utc>) -> sqlx::Result<Vec<SamlIdp>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM saml_idps WHERE metadata_url <> '' AND metadata_refresh_at IS NOT NULL \
         AND metadata_refresh_at <= $1 ORDER BY metadata_refresh_at LIMIT 20"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).fetch_all(e).await)
}

/// A refresh that failed: the last good metadata stays in use; try again at `retry_at`.
pub async fn note_problem(c: Conn<'_>, idp_id: Uuid, problem: &str, retry_at: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE saml_idps SET metadata_problem = $2, metadata_refresh_at = $3 WHERE idp_id = $1")
        .bind(idp_id)
        .bind(problem)
        .bind(retry_at)
        .execute(e)
        .await
        .map(|_| ()))
}

/// The SingleSignOnService addresses of the enabled SAML IdPs (the CSP's `form-action`).
pub async fn enabled_sso_urls(c: Conn<'_>) -> sqlx::Result<Vec<String>> {
    let rows: Vec<(String,)> = run!(c, |e| sqlx::query_as(
        "SELECT s.sso_url FROM saml_idps s JOIN identity_providers i ON i.id = s.idp_id WHERE i.enabled"
    )
    .fetch_all(e)
    .await)?;
    Ok(rows.into_iter().map(|(u,)| u).collect())
}

/// This installation's SAML signing key: (encrypted PKCS#8, base64 DER certificate).
pub async fn sp_key(c: Conn<'_>) -> sqlx::Result<Option<(String, String)>> {
    run!(c, |e| sqlx::query_as("SELECT private_key_enc, certificate FROM saml_sp_keys WHERE id = 'sp'")
        .fetch_optional(e)
        .await)
}

/// Stores a new signing key unless another instance stored one first (then that one wins).
pub async fn add_sp_key(c: Conn<'_>, key_enc: &str, certificate: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query(
        "INSERT INTO saml_sp_keys (id, private_key_enc, certificate, created_at) VALUES ('sp', $1, $2, $3) \
         ON CONFLICT (id) DO NOTHING"
    )
    .bind(key_enc)
    .bind(certificate)
    .bind(now)
    .execute(e)
    .await
    .map(|_| ()))
}
