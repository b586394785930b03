//! The userinfo endpoint (OIDC Core §5.3), and reading our own JWTs back: the access
//! tokens it accepts (RFC 9068) and the ID tokens an app hands back as `id_token_hint`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::Value;
use uuid::Uuid;

use super::{ProviderError, ProviderResult, claims, issuer, key_ring};
use crate::db::{groups, oauth};
use crate::state::AppState;

/// A verified JWT of ours: its claims.
pub async fn verify_jwt(
    state: &AppState,
    jwt: &str,
    typ: Option<&str>,
    check_expiry: bool,
) -> ProviderResult<Option<Value>> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, payload, sig] = parts[..] else { return Ok(None) };
    let decode = |s: &str| B64.decode(s).ok().and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    let (Some(header), Some(claims), Ok(sig)) = (decode(header), decode(payload), B64.decode(sig)) else {
        return Ok(None);
    };
    if typ.is_some_and(|t| header["typ"].as_str() != Some(t)) {
        return Ok(None);
    }
    let ring = key_ring(state).await?;
    let Some(key) = header["kid"].as_str().and_then(|kid| ring.by_kid(kid)) else { return Ok(None) };
    // The key decides the algorithm, never the header (no `none`, no confusion).
    if header["alg"].as_str() != Some(key.alg.as_str()) {
        return Ok(None);
    }
    let signed = &jwt[..jwt.rfind('.').unwrap_or(0)];
    if !key.verify(signed.as_bytes(), &sig) {
        return Ok(None);
    }
    if claims["iss"].as_str() != Some(issuer(state).as_str()) {
        return Ok(None);
    }
    if check_expiry && claims["exp"].as_i64().is_none_or(|exp| exp <= state.clock.now().timestamp()) {
        return Ok(None);
    }
    Ok(Some(claims))
}

pub struct AccessTokenInfo {
    pub client_id: String,
    pub grant_id: Uuid,
}

pub async fn verify_access_token(
    state: &AppState,
    token: &str,
    check_expiry: bool,
) -> ProviderResult<Option<AccessTokenInfo>> {
    let Some(claims) = verify_jwt(state, token, Some("at+jwt"), check_expiry).await? else { return Ok(None) };
    let client_id = claims["client_id"].as_str().unwrap_or_default().to_string();
    Ok(claims["gid"].as_str().and_then(|g| g.parse().ok()).map(|grant_id| AccessTokenInfo { client_id, grant_id }))
}

/// The claims for a bearer access token whose grant is still live and whose person may
/// still use the app.
pub async fn userinfo(state: &AppState, bearer: Option<&str>) -> ProviderResult<Value> {
    let invalid = || ProviderError::oauth("invalid_token", "the access token is missing, expired or revoked");
    let token = bearer.ok_or_else(invalid)?;
    let at = verify_access_token(state, token, true).await?.ok_or_else(invalid)?;
    let now = state.clock.now();
    let app = super::client(state, &at.client_id).await?.ok_or_else(invalid)?;
    let mut c = state.db.acquire().await?;
    let live = oauth::find_grant(c.conn(), at.grant_id, now).await?.ok_or_else(invalid)?;
    if live.app_id != app.id || !super::access::may_receive(state, &app, &live, now).await? {
        return Err(invalid());
    }
    let names: Vec<String> = if live.scope.split(' ').any(|s| s == "groups") {
        groups::of_user(c.conn(), live.user.id, now).await?.into_iter().map(|g| g.name).collect()
    } else {
        Vec::new()
    };
    Ok(claims::userinfo(state, &app, &live.user, &names, &live.scope))
}
