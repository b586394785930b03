//! Logout: RP-Initiated Logout 1.0 (an app sends the person to `end_session`) and
//! Back-Channel Logout 1.0 (when a portal session ends, each app signed in through it is
//! told server to server; the worker delivers from the outbox with retries).

use chrono::Duration;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::{ProviderResult, issuer, key_ring};
use crate::db::apps::{self, App};
use crate::db::outbox::OutboxMessage;
use crate::domain::client::is_registered;
use crate::state::AppState;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EndSessionParams {
    pub id_token_hint: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub logout_hint: Option<String>,
    pub ui_locales: Option<String>,
}

pub enum EndSession {
    /// Ask the person, then sign out; afterwards go to `redirect` (already carrying `state`),
    /// or the portal's signed-out page.
    Confirm { app: Option<App>, redirect: Option<String> },
    /// Something in the request is wrong: say so, redirect nowhere.
    Invalid(String),
}

pub async fn check(state: &AppState, p: &EndSessionParams) -> ProviderResult<EndSession> {
    let hinted_client = match p.id_token_hint.as_deref().filter(|h| !h.is_empty()) {
        Some(hint) => {
            // An expired ID token is still a good hint (RP-Initiated Logout §2).
            let Some(claims) = super::userinfo::verify_jwt(state, hint, None, false).await? else {
                return Ok(EndSession::Invalid("The app sent an ID token the portal did not issue.".into()));
            };
            match &claims["aud"] {
                serde_json::Value::Array(a) => a.first().and_then(|v| v.as_str()).map(String::from),
                v => v.as_str().map(String::from),
            }
        }
        None => None,
    };
    let client_id = match (hinted_client, p.client_id.clone().filter(|c| !c.is_empty())) {
        (Some(a), Some(b)) if a != b => {
            return Ok(EndSession::Invalid("The app's client_id does not match its ID token.".into()));
        }
        (a, b) => a.or(b),
    };
    let app = match client_id {
        Some(id) => {
            let mut c = state.db.acquire().await?;
            apps::find_by_client_id(c.conn(), &id).await?
        }
        None => None,
    };
    let redirect = match (p.post_logout_redirect_uri.as_deref().filter(|u| !u.is_empty()), &app) {
        (None, _) => None,
        (Some(uri), Some(app)) if is_registered(uri, &app.post_logout_uri_list()) => {
            let mut url = url::Url::parse(uri).map_err(|e| anyhow::anyhow!("registered URI: {e}"))?;
            if let Some(s) = p.state.as_deref().filter(|s| s.len() <= 1000) {
                url.query_pairs_mut().append_pair("state", s);
            }
            Some(url.to_string())
        }
        (Some(_), _) => {
            return Ok(EndSession::Invalid(
                "The app asked to return to an address that is not registered for it (post_logout_redirect_uri)."
                    .into(),
            ));
        }
    };
    Ok(EndSession::Confirm { app, redirect })
}

/// What the outbox row of a back-channel logout holds.
#[derive(Deserialize)]
struct Queued {
    app_id: Uuid,
    user_id: Uuid,
    sid: Uuid,
}

/// Delivers one queued back-channel logout: a fresh logout token, POSTed to the app.
/// An app that no longer exists (or is no longer a client) is done with.
pub async fn deliver(state: &AppState, m: &OutboxMessage) -> anyhow::Result<()> {
    let q: Queued = serde_json::from_str(&m.text_body)?;
    let app = {
        let mut c = state.db.acquire().await?;
        apps::find(c.conn(), q.app_id).await?
    };
    let Some(app) = app.filter(|a| a.client_id.is_some() && a.backchannel_logout_uri.is_some()) else {
        return Ok(());
    };
    let ring = key_ring(state).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let key = ring.current(app.id_token_alg).ok_or_else(|| anyhow::anyhow!("no {} key", app.id_token_alg))?;
    let now = state.clock.now();
    let claims = json!({
        "iss": issuer(state),
        "aud": app.client_id,
        "iat": now.timestamp(),
        "exp": (now + Duration::minutes(2)).timestamp(),
        "jti": Uuid::new_v4().to_string(),
        "sub": super::claims::subject(state, &app, q.user_id),
        "sid": q.sid.to_string(),
        "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
    });
    let token = key.sign_jwt("logout+jwt", &claims)?;
    let response = state
        .http
        .post(&m.recipient)?
        .form(&[("logout_token", token.as_str())])
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{}", crate::federation::error_chain(&e)))?;
    if !response.status().is_success() {
        anyhow::bail!("the app answered {}", response.status());
    }
    Ok(())
}
