//! The server side of OpenID Connect: the portal as the OpenID Provider of the host's apps
//! (SPEC F9). Protocol logic only — discovery, authorize, token, userinfo, logout, keys,
//! claims, a file each; the HTTP lives in `web::oauth2`, the tables in `db::oauth` and
//! `db::signing_keys`. Symmetric with `federation/`, the client side towards home IdPs.
//!
//! Who gets in: a signed-in user assigned to the app (directly, by group or by access
//! package), not blocked, not expired, second step passed where wanted — decided by
//! `access::app_access` at every code, exchange, refresh and UserInfo call.

pub mod access;
pub mod authorize;
pub mod claims;
pub mod discovery;
pub mod keys;
pub mod logout;
pub mod token;
pub mod userinfo;

use std::sync::Arc;

use chrono::Duration;

use crate::db::apps::App;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use keys::KeyRing;

/// Authorization codes live one minute (RFC 9700 §4.5 asks for short).
pub const CODE_LIFETIME: Duration = Duration::seconds(60);
/// Access tokens (JWTs, RFC 9068) and ID tokens live five minutes.
pub const TOKEN_LIFETIME: Duration = Duration::minutes(5);
/// Access tokens are signed ES256 whatever the app's ID-token algorithm: a fraction of an
/// RSA signature's cost on every refresh, and every JWT library verifies it.
pub const ACCESS_TOKEN_ALG: crate::domain::client::SigningAlg = crate::domain::client::SigningAlg::Es256;

/// The issuer: the portal's public URL without a trailing slash (OIDC Discovery §4.3 wants
/// it character for character in every token and in the discovery document).
pub fn issuer(state: &AppState) -> String {
    state.settings.public_url.trim_end_matches('/').to_string()
}

/// The signing keys, from this instance's short-lived copy; keys are made on first need.
pub async fn key_ring(state: &AppState) -> AppResult<Arc<KeyRing>> {
    state
        .cached(
            |s| &s.signing_keys,
            |state: AppState| async move {
                let ring = keys::load(&state.db, &state.key).await?;
                if ring.has_all_algorithms() {
                    return Ok(ring);
                }
                keys::ensure(&state.db, &state.key, state.clock.now()).await?;
                Ok(keys::load(&state.db, &state.key).await?)
            },
        )
        .await
}

/// The app registered under `client_id`, from this instance's short-lived copy of the
/// clients (the token endpoint authenticates every call; another instance's change shows
/// within seconds, this instance's at once: `flows::apps` forgets the copy).
pub async fn client(state: &AppState, client_id: &str) -> AppResult<Option<App>> {
    let clients = state
        .cached(
            |s| &s.clients,
            |state: AppState| async move {
                let mut c = state.db.acquire().await?;
                Ok(crate::db::apps::clients(c.conn()).await?)
            },
        )
        .await?;
    Ok(clients.iter().find(|a| a.client_id.as_deref() == Some(client_id)).cloned())
}

/// Rotates the keys now (the admin's button) and forgets this instance's copy.
pub async fn rotate_keys(state: &AppState) -> AppResult<usize> {
    let n = keys::rotate(&state.db, &state.key, state.clock.now()).await?;
    state.signing_keys.forget();
    Ok(n)
}

/// An OAuth 2.0 error response (RFC 6749 §4.1.2.1, §5.2): a registered code and words
/// for the developer reading it.
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub code: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(code: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError { code, description: description.into() }
    }
}

/// What token, userinfo and revocation calls fail with: a protocol error for the client,
/// or the portal's own failure.
#[derive(Debug)]
pub enum ProviderError {
    OAuth(OAuthError),
    Internal(AppError),
}

impl ProviderError {
    pub fn oauth(code: &'static str, description: impl Into<String>) -> ProviderError {
        ProviderError::OAuth(OAuthError::new(code, description))
    }

    /// For pages: a protocol error reads as a bad request.
    pub fn into_app_error(self) -> AppError {
        match self {
            ProviderError::OAuth(e) => AppError::BadRequest(e.description),
            ProviderError::Internal(e) => e,
        }
    }
}

impl<E: Into<AppError>> From<E> for ProviderError {
    fn from(e: E) -> Self {
        ProviderError::Internal(e.into())
    }
}

pub type ProviderResult<T> = Result<T, ProviderError>;
