//! Passkeys (WebAuthn) as a second factor: registering one from the set-up page, and using
//! it at the second step. Each ceremony's server half (the challenge) is kept encrypted in
//! the database for a few minutes and taken once; the browser's half comes back as JSON.

use chrono::Duration;
use uuid::Uuid;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url,
    Webauthn, WebauthnBuilder,
};

use super::mfa::{MfaRefused, Used};
use crate::db::mfa;
use crate::db::users::User;
use crate::domain::audit::Actor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The instance-key purposes of a stored passkey and of a ceremony's state.
const CREDENTIAL_PURPOSE: &str = "mfa-passkey";
const CEREMONY_PURPOSE: &str = "webauthn-ceremony";
/// How long a ceremony may take, from the page to the browser's answer.
const CEREMONY_TTL: Duration = Duration::minutes(5);

/// A ceremony started: its id, and the options for `navigator.credentials` as JSON.
pub struct Ceremony {
    pub id: Uuid,
    pub options: String,
}

fn internal(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{what}: {e}"))
}

/// Whether this portal can offer passkeys: WebAuthn needs a domain name (browsers refuse an
/// IP address such as 127.0.0.1; `localhost` is fine) and https, or http on localhost.
pub fn available(state: &AppState) -> bool {
    Url::parse(&state.settings.public_url).is_ok_and(|u| {
        matches!(u.host(), Some(url::Host::Domain(_))) && (u.scheme() == "https" || u.host_str() == Some("localhost"))
    })
}

/// The relying party: this portal's public URL (its host is the RP id).
async fn webauthn(state: &AppState) -> AppResult<Webauthn> {
    let origin = Url::parse(&state.settings.public_url).map_err(|e| internal("public url", e))?;
    let rp_id = origin.host_str().unwrap_or("localhost").to_string();
    let org = super::settings::current(state).await?.org_name.clone();
    WebauthnBuilder::new(&rp_id, &origin).and_then(|b| b.rp_name(&org).build()).map_err(|e| internal("webauthn", e))
}

async fn passkeys_of(state: &AppState, user: &User) -> AppResult<Vec<(Uuid, Passkey)>> {
    let mut c = state.db.acquire().await?;
    let mut out = Vec::new();
    for m in mfa::confirmed(c.conn(), user.id).await?.into_iter().filter(|m| m.kind == "passkey") {
        let json = state.key.decrypt(CREDENTIAL_PURPOSE, &m.secret)?;
        out.push((m.id, serde_json::from_str(&json).map_err(|e| internal("stored passkey", e))?));
    }
    Ok(out)
}

async fn keep_ceremony(state: &AppState, user: &User, purpose: &str, json: String) -> AppResult<Uuid> {
    let sealed = state.key.encrypt(CEREMONY_PURPOSE, &json);
    let mut c = state.db.acquire().await?;
    Ok(mfa::insert_ceremony(c.conn(), user.id, purpose, &sealed, state.clock.now()).await?)
}

/// Registering a passkey: the options for `navigator.credentials.create`; `None` where
/// passkeys are not `available`.
pub async fn start_registration(state: &AppState, user: &User) -> AppResult<Option<Ceremony>> {
    if !available(state) {
        return Ok(None);
    }
    let existing = passkeys_of(state, user).await?.into_iter().map(|(_, p)| p.cred_id().clone()).collect();
    let (options, registration) = webauthn(state)
        .await?
        .start_passkey_registration(user.id, &user.email, &user.display_name, Some(existing))
        .map_err(|e| internal("passkey registration", e))?;
    let state_json = serde_json::to_string(&registration).map_err(|e| internal("registration state", e))?;
    let id = keep_ceremony(state, user, "register", state_json).await?;
    Ok(Some(Ceremony { id, options: serde_json::to_string(&options).map_err(|e| internal("options", e))? }))
}

/// The browser's new credential: checked against the ceremony and kept. The session counts
/// as signed in with a second factor; new recovery codes when the person had none.
pub async fn finish_registration(
    state: &AppState,
    user: &User,
    session: (Uuid, &str),
    ceremony: Uuid,
    credential: &str,
    name: &str,
    actor: &Actor,
) -> AppResult<Result<Option<Vec<String>>, MfaRefused>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(sealed) = mfa::take_ceremony(tx.conn(), ceremony, user.id, "register", now - CEREMONY_TTL).await? else {
        return Ok(Err(MfaRefused::PasskeyFailed));
    };
    let registration: PasskeyRegistration =
        serde_json::from_str(&state.key.decrypt(CEREMONY_PURPOSE, &sealed)?).map_err(|e| internal("state", e))?;
    let Ok(answer) = serde_json::from_str::<RegisterPublicKeyCredential>(credential) else {
        return Ok(Err(MfaRefused::PasskeyFailed));
    };
    let Ok(passkey) = webauthn(state).await?.finish_passkey_registration(&answer, &registration) else {
        return Ok(Err(MfaRefused::PasskeyFailed));
    };
    let json = serde_json::to_string(&passkey).map_err(|e| internal("passkey", e))?;
    let sealed = state.key.encrypt(CREDENTIAL_PURPOSE, &json);
    mfa::insert_passkey(tx.conn(), user.id, name, &sealed, now).await?;
    let amr = if passkey_synced(&passkey) { "swk" } else { "hwk" };
    let what = format!("passkey “{name}”");
    let codes = super::mfa::after_enrollment(state, &mut tx, user, session, amr, &what, actor).await?;
    tx.commit().await?;
    Ok(Ok(codes))
}

/// Whether a passkey may be synced to other devices (backup eligible): `swk`, else `hwk`.
fn passkey_synced(p: &Passkey) -> bool {
    // The flag is on the inner credential, which this crate shows only in its JSON.
    serde_json::to_value(p).ok().and_then(|v| v["cred"]["backup_eligible"].as_bool()).unwrap_or(false)
}

/// Using a passkey at the second step: the options for `navigator.credentials.get`, or
/// `None` when the person has none.
pub async fn start_authentication(state: &AppState, user: &User) -> AppResult<Option<Ceremony>> {
    if !available(state) {
        return Ok(None);
    }
    let keys: Vec<Passkey> = passkeys_of(state, user).await?.into_iter().map(|(_, p)| p).collect();
    if keys.is_empty() {
        return Ok(None);
    }
    let (options, authentication) =
        webauthn(state).await?.start_passkey_authentication(&keys).map_err(|e| internal("passkey challenge", e))?;
    let state_json = serde_json::to_string(&authentication).map_err(|e| internal("authentication state", e))?;
    let id = keep_ceremony(state, user, "authenticate", state_json).await?;
    Ok(Some(Ceremony { id, options: serde_json::to_string(&options).map_err(|e| internal("options", e))? }))
}

/// The browser's signed answer: checked against the ceremony and one of the person's
/// passkeys (its signature counter kept). Failures count toward the pause like wrong codes.
pub async fn finish_authentication(
    state: &AppState,
    user: &User,
    session: (Uuid, &str),
    ceremony: Uuid,
    credential: &str,
    actor: &Actor,
) -> AppResult<Result<Used, MfaRefused>> {
    let now = state.clock.now();
    let keys = passkeys_of(state, user).await?;
    let (mut tx, failures) = match super::mfa::begin_attempt(state, user).await? {
        Ok(started) => started,
        Err(refused) => return Ok(Err(refused)),
    };
    let taken = mfa::take_ceremony(tx.conn(), ceremony, user.id, "authenticate", now - CEREMONY_TTL).await?;
    let checked = match (taken, serde_json::from_str::<PublicKeyCredential>(credential)) {
        (Some(sealed), Ok(answer)) => {
            let authentication: PasskeyAuthentication =
                serde_json::from_str(&state.key.decrypt(CEREMONY_PURPOSE, &sealed)?)
                    .map_err(|e| internal("state", e))?;
            webauthn(state).await?.finish_passkey_authentication(&answer, &authentication).ok()
        }
        _ => None,
    };
    let outcome = match checked {
        Some(result) => {
            let mut synced = false;
            for (id, mut key) in keys {
                if key.cred_id() == result.cred_id() {
                    synced = passkey_synced(&key);
                    key.update_credential(&result);
                    let json = serde_json::to_string(&key).map_err(|e| internal("passkey", e))?;
                    mfa::passkey_used(tx.conn(), id, &state.key.encrypt(CREDENTIAL_PURPOSE, &json), now).await?;
                }
            }
            Ok(Used::Passkey { synced })
        }
        None => Err(MfaRefused::PasskeyFailed),
    };
    super::mfa::settle_attempt(state, tx, user, session, failures, outcome, actor).await
}
