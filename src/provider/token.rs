//! The token endpoint (RFC 6749 §3.2, OIDC Core §3.1.3) and revocation (RFC 7009):
//! client authentication, the authorization-code grant with PKCE, the refresh grant with
//! rotation and reuse detection (RFC 9700 §4.14.2), each re-checking who may get in. A
//! refresh costs one read and one write: the grant (with its session, user and assignment
//! in one query), then moving its generation on.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::access::may_receive;
use super::claims::{self, Sign};
use super::{ACCESS_TOKEN_ALG, ProviderError, ProviderResult, TOKEN_LIFETIME, key_ring};
use crate::auth::session::{ABSOLUTE, IDLE};
use crate::db::apps::App;
use crate::db::oauth::{self, LiveGrant, NewGrant};
use crate::db::{groups, sessions};
use crate::domain::client::{ClientType, is_pkce_value};
use crate::secrets::{Token, TokenHash};
use crate::state::AppState;

/// The form of a token or revocation request, as sent.
#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub scope: Option<String>,
    /// Revocation (RFC 7009 §2.1).
    pub token: Option<String>,
    pub token_type_hint: Option<String>,
}

/// Credentials from an `Authorization: Basic` header (already form-decoded, RFC 6749 §2.3.1).
pub struct BasicAuth {
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub refresh_token: String,
    pub scope: String,
}

/// A client secret: 256 random bits; the app form shows it once, the table keeps its hash.
pub fn new_client_secret() -> (String, String) {
    let t = Token::generate();
    (t.expose().to_string(), t.hash().0)
}

/// Finds and authenticates the client: a confidential one by its secret (Basic or POST,
/// exactly one), a public one by client id alone (its proof is the PKCE verifier).
pub async fn authenticate(state: &AppState, f: &TokenForm, basic: Option<BasicAuth>) -> ProviderResult<App> {
    let invalid = || ProviderError::oauth("invalid_client", "client authentication failed");
    let (client_id, secret) = match (&basic, &f.client_secret) {
        (Some(_), Some(_)) => {
            return Err(ProviderError::oauth("invalid_request", "use one client authentication method, not two"));
        }
        (Some(b), None) => {
            if f.client_id.as_ref().is_some_and(|id| *id != b.client_id) {
                return Err(invalid());
            }
            (b.client_id.clone(), Some(b.client_secret.clone()))
        }
        (None, secret) => (f.client_id.clone().ok_or_else(invalid)?, secret.clone()),
    };
    let app = super::client(state, &client_id).await?.ok_or_else(invalid)?;
    match (app.client_type, secret) {
        (ClientType::Public, None) => Ok(app),
        (ClientType::Confidential, Some(s)) if secret_works(&app, &s, state.clock.now()) => Ok(app),
        _ => Err(invalid()),
    }
}

/// Whether `secret` is the app's client secret, or its previous one during rotation, and
/// has not reached its end.
fn secret_works(app: &App, secret: &str, now: DateTime<Utc>) -> bool {
    let hash = TokenHash::of(secret);
    let live = |end: Option<DateTime<Utc>>| end.is_none_or(|e| now < e);
    let current =
        app.client_secret_hash.as_deref().is_some_and(|h| hash.matches(h)) && live(app.client_secret_expires_at);
    // The previous secret always has an end: it exists only while a rotation lasts.
    let previous = app.previous_secret_hash.as_deref().is_some_and(|h| hash.matches(h))
        && app.previous_secret_expires_at.is_some_and(|e| now < e);
    current || previous
}

pub async fn grant(state: &AppState, app: &App, f: &TokenForm) -> ProviderResult<TokenResponse> {
    match f.grant_type.as_deref() {
        Some("authorization_code") => exchange_code(state, app, f).await,
        Some("refresh_token") => refresh(state, app, f).await,
        Some(_) => Err(ProviderError::oauth("unsupported_grant_type", "only authorization_code and refresh_token")),
        None => Err(ProviderError::oauth("invalid_request", "grant_type is missing")),
    }
}

fn bad_grant(d: &str) -> ProviderError {
    ProviderError::oauth("invalid_grant", d)
}

async fn exchange_code(state: &AppState, app: &App, f: &TokenForm) -> ProviderResult<TokenResponse> {
    let now = state.clock.now();
    let code =
        f.code.as_deref().filter(|c| !c.is_empty() && c.len() <= 100).ok_or_else(|| bad_grant("code is missing"))?;
    let code_hash = TokenHash::of(code).0;
    let mut tx = state.db.begin().await?;
    let Some(row) = oauth::take_code(tx.conn(), &code_hash, now).await? else {
        // A second use: whatever the first use issued is revoked (RFC 6749 §4.1.2).
        let known = oauth::revoke_grant_of_code(tx.conn(), &code_hash).await?;
        tx.commit().await?;
        if known {
            tracing::warn!(client_id = app.client_id.as_deref().unwrap_or(""), "authorization code replayed");
        }
        return Err(bad_grant("the code is unknown, or was used before"));
    };
    // From here a failure still spends the code: the commit below happens on every path.
    let checked = (|| {
        if row.app_id != app.id {
            return Err(bad_grant("the code was issued to another client"));
        }
        if row.expires_at <= now {
            return Err(bad_grant("the code has expired"));
        }
        if f.redirect_uri.as_deref() != Some(row.redirect_uri.as_str()) {
            return Err(bad_grant("redirect_uri does not match the authorization request"));
        }
        let verifier = f.code_verifier.as_deref().filter(|v| is_pkce_value(v));
        let verifier = verifier.ok_or_else(|| bad_grant("code_verifier is missing or malformed"))?;
        if B64.encode(Sha256::digest(verifier.as_bytes())) != row.code_challenge {
            return Err(bad_grant("code_verifier does not match the code_challenge"));
        }
        Ok(())
    })();
    if let Err(e) = checked {
        tx.commit().await?;
        return Err(e);
    }
    let grant_id = Uuid::new_v4();
    let new =
        NewGrant { id: grant_id, app_id: app.id, session_id: row.session_id, code_hash: &code_hash, scope: &row.scope };
    // The session may have ended since the code was issued: then there is no grant.
    if sessions::exists(tx.conn(), row.session_id).await? {
        oauth::insert_grant(tx.conn(), &new, now).await?;
    }
    tx.commit().await?;
    let live = live_grant(state, grant_id).await?.ok_or_else(|| bad_grant("the sign-in behind this code has ended"))?;
    if !may_receive(state, app, &live, now).await? {
        revoke_grant(state, grant_id).await?;
        return Err(bad_grant("the person may not use this app now"));
    }
    let refresh_token = refresh_token(state, grant_id, live.refresh_generation);
    issue(state, app, &live, row.nonce.as_deref(), Some(code), refresh_token, now).await
}

/// A grant's refresh token of one generation: the grant id, the generation and a MAC of
/// both under the instance key, so the portal stores nothing per token and still tells a
/// genuine older token (a reuse) from a forgery.
fn refresh_token(state: &AppState, grant_id: Uuid, generation: i64) -> String {
    let mut raw = grant_id.as_bytes().to_vec();
    raw.extend_from_slice(&generation.to_be_bytes());
    let mac = state.key.mac("oidc-refresh-token", &raw);
    raw.extend_from_slice(&mac);
    B64.encode(raw)
}

/// The grant and generation a refresh token names, if the portal made it.
fn read_refresh_token(state: &AppState, token: &str) -> Option<(Uuid, i64)> {
    let raw = B64.decode(token).ok().filter(|r| r.len() == 16 + 8 + 32)?;
    let (body, mac) = raw.split_at(24);
    let expected = state.key.mac("oidc-refresh-token", body);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(mac, expected.as_slice())) {
        return None;
    }
    let grant_id = Uuid::from_slice(&body[..16]).ok()?;
    let generation = i64::from_be_bytes(body[16..24].try_into().ok()?);
    Some((grant_id, generation))
}

async fn refresh(state: &AppState, app: &App, f: &TokenForm) -> ProviderResult<TokenResponse> {
    let now = state.clock.now();
    let presented = f.refresh_token.as_deref().ok_or_else(|| bad_grant("refresh_token is missing"))?;
    let unknown = || bad_grant("the refresh token is unknown or revoked");
    let (grant_id, generation) = read_refresh_token(state, presented).ok_or_else(unknown)?;
    // Move the generation on first (one round trip), then check: every refusal below
    // revokes the grant or puts the generation back.
    let advanced = {
        let mut c = state.db.acquire().await?;
        oauth::advance_refresh(c.conn(), grant_id, generation, now).await?
    };
    let Some(live) = advanced else {
        if live_grant(state, grant_id).await?.is_some() {
            // An older token again (or the same one twice at once): someone holds a copy.
            // End the whole family.
            revoke_grant(state, grant_id).await?;
            tracing::warn!(client_id = app.client_id.as_deref().unwrap_or(""), "refresh token reused: grant revoked");
            return Err(bad_grant("the refresh token was used before; its grant is revoked"));
        }
        return Err(unknown());
    };
    if live.app_id != app.id {
        // Another client holds this app's token: it has leaked.
        revoke_grant(state, grant_id).await?;
        return Err(bad_grant("the refresh token was issued to another client"));
    }
    if now - live.session_created_at >= ABSOLUTE || now - live.session_last_seen_at >= IDLE {
        return Err(bad_grant("the refresh token has expired"));
    }
    // The same rules as a new sign-in: assigned, not blocked, not expired, second step.
    if !may_receive(state, app, &live, now).await? {
        revoke_grant(state, grant_id).await?;
        return Err(bad_grant("the person may no longer use this app"));
    }
    if f.scope.as_deref().is_some_and(|s| s.split(' ').any(|w| !live.scope.split(' ').any(|g| g == w))) {
        let mut c = state.db.acquire().await?;
        oauth::rewind_refresh(c.conn(), grant_id, generation).await?;
        return Err(ProviderError::oauth("invalid_scope", "a refresh cannot widen the scope"));
    }
    // Using an app keeps the portal session alive, as using the portal would.
    if now - live.session_last_seen_at >= chrono::Duration::minutes(1) {
        let mut c = state.db.acquire().await?;
        sessions::touch(c.conn(), live.session_id, now).await?;
    }
    let refresh_token = refresh_token(state, grant_id, live.refresh_generation);
    issue(state, app, &live, None, None, refresh_token, now).await
}

async fn revoke_grant(state: &AppState, grant_id: Uuid) -> ProviderResult<()> {
    let mut c = state.db.acquire().await?;
    oauth::revoke_grant(c.conn(), grant_id).await?;
    Ok(())
}

async fn live_grant(state: &AppState, grant_id: Uuid) -> ProviderResult<Option<LiveGrant>> {
    let mut c = state.db.acquire().await?;
    Ok(oauth::find_grant(c.conn(), grant_id, state.clock.now()).await?)
}

/// Signs the access token, and an ID token after a code exchange (a refresh returns none:
/// OIDC Core §12.2 makes it optional, and each signature costs).
async fn issue(
    state: &AppState,
    app: &App,
    live: &LiveGrant,
    nonce: Option<&str>,
    code: Option<&str>,
    refresh_token: String,
    now: DateTime<Utc>,
) -> ProviderResult<TokenResponse> {
    let ring = key_ring(state).await?;
    let current = |alg| ring.current(alg).ok_or_else(|| anyhow::anyhow!("no current {alg} key"));
    let group_names: Vec<String> = if live.scope.split(' ').any(|s| s == "groups") {
        let mut c = state.db.acquire().await?;
        groups::of_user(c.conn(), live.user.id, now).await?.into_iter().map(|g| g.name).collect()
    } else {
        Vec::new()
    };
    let sign = Sign {
        app,
        user: &live.user,
        groups: &group_names,
        scope: &live.scope,
        session_id: live.session_id,
        auth_time: live.session_created_at,
        amr: &live.amr,
        nonce,
    };
    let access_token = claims::access_token(state, current(ACCESS_TOKEN_ALG)?, &sign, live.grant_id, now)?;
    let id_token = match code {
        Some(code) => Some(claims::id_token(state, current(app.id_token_alg)?, &sign, &access_token, Some(code), now)?),
        None => None,
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: TOKEN_LIFETIME.num_seconds(),
        id_token,
        refresh_token,
        scope: live.scope.clone(),
    })
}

/// RFC 7009: revokes a refresh token's grant, or an access token's. An unknown token, or
/// another client's, is answered the same way (200), so nothing can be probed.
pub async fn revoke(state: &AppState, app: &App, f: &TokenForm) -> ProviderResult<()> {
    let token = f
        .token
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ProviderError::oauth("invalid_request", "token is missing"))?;
    if token.len() > 4000 {
        return Ok(());
    }
    if let Some((grant_id, _)) = read_refresh_token(state, token) {
        let mut c = state.db.acquire().await?;
        if oauth::app_of_grant(c.conn(), grant_id).await? == Some(app.id) {
            oauth::revoke_grant(c.conn(), grant_id).await?;
        }
        return Ok(());
    }
    if let Some(at) = super::userinfo::verify_access_token(state, token, false).await?
        && at.client_id == app.client_id.clone().unwrap_or_default()
    {
        let mut c = state.db.acquire().await?;
        oauth::revoke_grant(c.conn(), at.grant_id).await?;
    }
    Ok(())
}
