//! The client side of federation with home identity providers (SPEC §4 "Federation"):
//! `state`, `nonce` and PKCE S256 bound to the browser that started the flow (kept in its
//! encrypted session), one redirect URI per IdP (mix-up defence), the ID token checked for
//! issuer, audience, signature and expiry, and the email trusted only when the ID token
//! itself says it is verified. Users are found by (issuer, subject), never by email.

pub mod github;
pub mod oidc;
pub mod outbound;
pub mod saml;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::db::identity_providers::IdentityProvider;
use crate::secrets::InstanceKey;
use outbound::OutboundHttp;

/// The purpose under which IdP client secrets are encrypted at rest.
pub const SECRET_PURPOSE: &str = "idp-client-secret";

/// How long a started sign-in may take at the IdP before its callback is refused.
pub const FLOW_TTL_SECS: i64 = 600;

/// An IdP ready to talk to: the stored row with its secret decrypted.
pub struct Provider {
    pub slug: String,
    pub kind: String,
    pub issuer: String,
    pub client_id: String,
    /// Decrypted only here, for the token request; never printed.
    pub client_secret: SecretString,
    pub scopes: String,
    pub redirect_uri: String,
    /// Where the admin accepts this IdP's MFA: ask for a recent authentication (`max_age`,
    /// so its `auth_time` comes back) and for these `acr` values.
    pub trust_mfa: bool,
    pub trusted_acr: String,
}

impl Provider {
    pub fn from_row(row: &IdentityProvider, key: &InstanceKey, public_url: &str) -> anyhow::Result<Provider> {
        // Presets may be given another issuer (a GitHub Enterprise server, a single Entra
        // tenant or a national cloud); without one they use their public default.
        let issuer = match crate::domain::idp::preset_issuer(&row.kind) {
            Some(preset) if row.issuer.is_empty() => preset.to_string(),
            _ => row.issuer.clone(),
        };
        Ok(Provider {
            slug: row.slug.clone(),
            kind: row.kind.clone(),
            issuer,
            client_id: row.client_id.clone(),
            client_secret: key.decrypt(SECRET_PURPOSE, &row.client_secret_enc)?.into(),
            scopes: row.scopes.clone(),
            redirect_uri: redirect_uri(public_url, &row.slug),
            trust_mfa: row.trust_mfa,
            trusted_acr: row.trusted_acr.clone(),
        })
    }
}

/// The one redirect URI of an IdP: `{public_url}/auth/{slug}/callback`.
pub fn redirect_uri(public_url: &str, slug: &str) -> String {
    format!("{public_url}/auth/{slug}/callback")
}

/// How the browser is sent to the IdP: a redirect, or (SAML's HTTP-POST binding) a form it
/// posts there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Departure {
    Redirect(String),
    Post { action: String, fields: Vec<(String, String)> },
}

/// Why the browser went to the IdP, and where it goes back to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum Purpose {
    Redeem { token: String },
    SignIn { next: String },
}

/// A flow in progress, kept in the browser's encrypted session until the callback.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub slug: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub purpose: Purpose,
    /// Unix seconds.
    pub started: i64,
}

/// What the IdP vouched for: from a verified ID token (OIDC), a user's record at GitHub, or
/// an accepted SAML assertion (`saml::accept`; kept as JSON while it waits for the browser).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authenticated {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    /// The person's name as their IdP gives it (a new member's display name).
    pub name: Option<String>,
    /// How the IdP says it authenticated them (ID token `amr`, `acr`, `auth_time`): the
    /// partner's MFA, where the admin trusts it.
    pub amr: Vec<String>,
    pub acr: Option<String>,
    pub auth_time: Option<chrono::DateTime<chrono::Utc>>,
}

impl Authenticated {
    /// The email, only when the IdP itself says it is verified.
    pub fn verified_email(&self) -> Option<String> {
        self.email.as_ref().filter(|_| self.email_verified).map(|e| e.trim().to_lowercase())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("the identity provider could not be reached, or its discovery document is wrong: {0}")]
    Discovery(String),
    #[error("the identity provider did not accept the authorization code: {0}")]
    Exchange(String),
    #[error("the identity provider's ID token is not valid: {0}")]
    InvalidToken(String),
    #[error("this kind of identity provider is not supported yet")]
    Unsupported,
}

/// Starts a sign-in at the IdP: the URL to send the browser to and what to remember.
pub async fn start(
    http: &OutboundHttp,
    cache: &oidc::MetadataCache,
    p: &Provider,
    purpose: Purpose,
    login_hint: Option<&str>,
    now: i64,
) -> Result<(String, Pending), FederationError> {
    match p.kind.as_str() {
        "github" => github::start(p, purpose, now),
        "oidc" | "google" | "microsoft" => oidc::start(http, cache, p, purpose, login_hint, now).await,
        _ => Err(FederationError::Unsupported),
    }
}

/// Finishes a sign-in from the callback's `code`.
pub async fn finish(
    http: &OutboundHttp,
    cache: &oidc::MetadataCache,
    p: &Provider,
    pending: &Pending,
    code: &str,
) -> Result<Authenticated, FederationError> {
    match p.kind.as_str() {
        "github" => github::finish(http, p, pending, code).await,
        "oidc" | "google" | "microsoft" => oidc::finish(http, cache, p, pending, code).await,
        _ => Err(FederationError::Unsupported),
    }
}

pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}
