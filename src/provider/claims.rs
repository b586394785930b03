//! What the tokens say about a person: the subject (stable per user, or pairwise per app),
//! the ID token (OIDC Core §2, signed through openidconnect's `IdToken::new`, which
//! fills `at_hash`/`c_hash`), the JWT access token (RFC 9068) and the userinfo claims.

use chrono::{DateTime, Utc};
use openidconnect::core::{CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm};
use openidconnect::{
    AccessToken, AdditionalClaims, Audience, AuthenticationContextClass, AuthenticationMethodReference,
    AuthorizationCode, EndUserEmail, EndUserName, IdToken, IdTokenClaims, IssuerUrl, LocalizedClaim, Nonce,
    StandardClaims, SubjectIdentifier,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::keys::LoadedKey;
use super::{TOKEN_LIFETIME, issuer};
use crate::db::apps::App;
use crate::db::users::User;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The authentication context of a single-factor sign-in (a one-time code, or a home IdP).
pub const ACR_SINGLE_FACTOR: &str = "1";
/// A second factor was used in this session (`amr` has `mfa`).
pub const ACR_MULTI_FACTOR: &str = "2";

/// The `acr` a session's `amr` earns.
pub fn acr_of(amr: &str) -> &'static str {
    if crate::domain::mfa::has_mfa(amr) { ACR_MULTI_FACTOR } else { ACR_SINGLE_FACTOR }
}

/// Claims beyond OIDC's standard ones.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PortalClaims {
    /// The browser session, for logout (OIDC Back-Channel Logout §2.1, Front-Channel §3).
    pub sid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
}
impl AdditionalClaims for PortalClaims {}

pub type PortalIdToken =
    IdToken<PortalClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

/// The `sub` an app sees: the user's id, or a pairwise value per app (OIDC Core §8.1) so
/// that two apps cannot correlate a person by it.
pub fn subject(state: &AppState, app: &App, user_id: Uuid) -> String {
    if app.pairwise_subject {
        let mut message = app.id.as_bytes().to_vec();
        message.extend_from_slice(user_id.as_bytes());
        hex::encode(&state.key.mac("pairwise-subject", &message)[..16])
    } else {
        user_id.to_string()
    }
}

/// Everything a token about one sign-in needs.
pub struct Sign<'a> {
    pub app: &'a App,
    pub user: &'a User,
    pub groups: &'a [String],
    pub scope: &'a str,
    pub session_id: Uuid,
    pub auth_time: DateTime<Utc>,
    pub amr: &'a str,
    pub nonce: Option<&'a str>,
}

impl Sign<'_> {
    fn has(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }
}

pub fn id_token(
    state: &AppState,
    key: &LoadedKey,
    s: &Sign<'_>,
    access_token: &str,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let client_id = s.app.client_id.clone().unwrap_or_default();
    let issuer = IssuerUrl::new(issuer(state)).map_err(|e| AppError::Internal(anyhow::anyhow!("issuer: {e}")))?;
    let mut standard = StandardClaims::new(SubjectIdentifier::new(subject(state, s.app, s.user.id)));
    if s.has("email") {
        standard = standard.set_email(Some(EndUserEmail::new(s.user.email.clone()))).set_email_verified(Some(true));
    }
    if s.has("profile") {
        standard = standard.set_name(Some(LocalizedClaim::from(EndUserName::new(s.user.display_name.clone()))));
    }
    let extra = PortalClaims {
        sid: s.session_id.to_string(),
        user_type: s.has("profile").then(|| s.user.user_type.clone()),
        groups: s.has("groups").then(|| s.groups.to_vec()),
    };
    let claims = IdTokenClaims::new(issuer, vec![Audience::new(client_id)], now + TOKEN_LIFETIME, now, standard, extra)
        .set_auth_time(Some(s.auth_time))
        .set_nonce(s.nonce.map(|n| Nonce::new(n.to_string())))
        .set_auth_context_ref(Some(AuthenticationContextClass::new(acr_of(s.amr).into())))
        .set_auth_method_refs(Some(
            s.amr.split(' ').filter(|m| !m.is_empty()).map(|m| AuthenticationMethodReference::new(m.into())).collect(),
        ));
    let at = AccessToken::new(access_token.to_string());
    let code = code.map(|c| AuthorizationCode::new(c.to_string()));
    let token = PortalIdToken::new(claims, key, key.core_alg(), Some(&at), code.as_ref())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("signing an ID token: {e}")))?;
    Ok(token.to_string())
}

/// A JWT access token (RFC 9068 §2.2); `gid` names the grant so userinfo can tell a
/// revoked one.
pub fn access_token(
    state: &AppState,
    key: &LoadedKey,
    s: &Sign<'_>,
    grant_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let client_id = s.app.client_id.clone().unwrap_or_default();
    let claims = json!({
        "iss": issuer(state),
        "sub": subject(state, s.app, s.user.id),
        "aud": client_id,
        "client_id": client_id,
        "exp": (now + TOKEN_LIFETIME).timestamp(),
        "iat": now.timestamp(),
        "auth_time": s.auth_time.timestamp(),
        "jti": Uuid::new_v4().to_string(),
        "scope": s.scope,
        "sid": s.session_id.to_string(),
        "gid": grant_id.to_string(),
    });
    Ok(key.sign_jwt("at+jwt", &claims)?)
}

/// The userinfo response (OIDC Core §5.3): the claims the granted scopes release.
pub fn userinfo(state: &AppState, app: &App, user: &User, groups: &[String], scope: &str) -> Value {
    let has = |s: &str| scope.split(' ').any(|w| w == s);
    let mut v = json!({ "sub": subject(state, app, user.id) });
    if has("email") {
        v["email"] = json!(user.email);
        v["email_verified"] = json!(true);
    }
    if has("profile") {
        v["name"] = json!(user.display_name);
        v["user_type"] = json!(user.user_type);
    }
    if has("groups") {
        v["groups"] = json!(groups);
    }
    v
}
