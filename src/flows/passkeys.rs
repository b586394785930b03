//! Passkeys (WebAuthn): registering one from the set-up page, using it at the second step,
//! and signing in with it alone (no email code: a passkey proves both that the person has
//! the device and, by its PIN or biometrics, that it is them). Each ceremony's server half
//! (the challenge) is kept encrypted in the database for a few minutes and taken once; the
//! browser's half comes back as JSON.

use chrono::Duration;
use uuid::Uuid;
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Webauthn, WebauthnBuilder,
};

use super::mfa::{MfaRefused, Used};
use super::signin::{self, SignIn};
use crate::db::audit::{self, Event};
use crate::db::mfa::{self, CeremonyOf};
use crate::db::users::{self, User};
use crate::domain::audit::{Action, Actor};
use crate::domain::device::Devices;
use crate::domain::user::SignInVerdict;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The instance-key purposes of a stored passkey and of a ceremony's state.
const CREDENTIAL_PURPOSE: &str = "mfa-passkey";
const CEREMONY_PURPOSE: &str = "webauthn-ceremony";
/// How long a ceremony may take, from the page to the browser's answer.
pub const CEREMONY_TTL: Duration = Duration::minutes(5);
/// Passkey sign-ins one client address may start within `CEREMONY_TTL`.
const SIGN_INS_PER_IP: i64 = 30;

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

async fn keep_ceremony(state: &AppState, of: CeremonyOf<'_>, purpose: &str, state_json: String) -> AppResult<Uuid> {
    let sealed = state.key.encrypt(CEREMONY_PURPOSE, &state_json);
    let mut c = state.db.acquire().await?;
    Ok(mfa::insert_ceremony(c.conn(), of, purpose, &sealed, state.clock.now()).await?)
}

/// Takes a ceremony once and opens its state; `None` when it is spent, too old or not
/// this person's (or not nobody's, for a sign-in).
async fn take_ceremony<T: serde::de::DeserializeOwned>(
    state: &AppState,
    c: crate::db::Conn<'_>,
    id: Uuid,
    of: CeremonyOf<'_>,
    purpose: &str,
) -> AppResult<Option<T>> {
    let since = state.clock.now() - CEREMONY_TTL;
    let Some(sealed) = mfa::take_ceremony(c, id, of, purpose, since).await? else {
        return Ok(None);
    };
    let json = state.key.decrypt(CEREMONY_PURPOSE, &sealed)?;
    Ok(Some(serde_json::from_str(&json).map_err(|e| internal("ceremony state", e))?))
}

fn options_json(options: &impl serde::Serialize) -> AppResult<String> {
    serde_json::to_string(options).map_err(|e| internal("options", e))
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
    // Ask for a discoverable credential where the authenticator can keep one, so that the
    // passkey can sign in on its own later (the library asks for none, and checks nothing
    // about it when the answer comes back).
    let mut options = serde_json::to_value(&options).map_err(|e| internal("options", e))?;
    options["publicKey"]["authenticatorSelection"]["residentKey"] = "preferred".into();
    let state_json = serde_json::to_string(&registration).map_err(|e| internal("registration state", e))?;
    let id = keep_ceremony(state, CeremonyOf::User(user.id), "register", state_json).await?;
    Ok(Some(Ceremony { id, options: options_json(&options)? }))
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
    let of = CeremonyOf::User(user.id);
    let Some(registration) = take_ceremony::<PasskeyRegistration>(state, tx.conn(), ceremony, of, "register").await?
    else {
        return Ok(Err(MfaRefused::PasskeyFailed));
    };
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
    let added = super::mfa::Enrolled::Passkey(name);
    let codes = super::mfa::after_enrollment(state, &mut tx, user, session, amr, added, actor).await?;
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
    let id = keep_ceremony(state, CeremonyOf::User(user.id), "authenticate", state_json).await?;
    Ok(Some(Ceremony { id, options: options_json(&options)? }))
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
    devices: &Devices,
) -> AppResult<Result<Used, MfaRefused>> {
    let keys = passkeys_of(state, user).await?;
    let (mut tx, attempt) = match super::mfa::begin_attempt(state, user, devices).await? {
        Ok(started) => started,
        Err(refused) => return Ok(Err(refused)),
    };
    let of = CeremonyOf::User(user.id);
    let taken = take_ceremony::<PasskeyAuthentication>(state, tx.conn(), ceremony, of, "authenticate").await?;
    let checked = match (taken, serde_json::from_str::<PublicKeyCredential>(credential)) {
        (Some(authentication), Ok(answer)) => {
            webauthn(state).await?.finish_passkey_authentication(&answer, &authentication).ok()
        }
        _ => None,
    };
    let outcome = match checked {
        Some(result) => match keys.into_iter().find(|(_, key)| key.cred_id() == result.cred_id()) {
            Some((id, key)) => Ok(Used::Passkey { synced: keep_use(state, &mut tx, id, key, &result).await? }),
            None => Err(MfaRefused::PasskeyFailed),
        },
        None => Err(MfaRefused::PasskeyFailed),
    };
    super::mfa::settle_attempt(state, tx, user, session, attempt, outcome, actor).await
}

/// A passkey used: its signature counter kept, and when. Returns whether it is synced.
async fn keep_use(
    state: &AppState,
    tx: &mut crate::db::Tx,
    method_id: Uuid,
    mut key: Passkey,
    result: &AuthenticationResult,
) -> AppResult<bool> {
    key.update_credential(result);
    let json = serde_json::to_string(&key).map_err(|e| internal("passkey", e))?;
    let sealed = state.key.encrypt(CREDENTIAL_PURPOSE, &json);
    mfa::passkey_used(tx.conn(), method_id, &sealed, state.clock.now()).await?;
    Ok(passkey_synced(&key))
}

/// Signing in with a passkey alone: the options for `navigator.credentials.get` with no
/// credentials listed (the browser offers the passkeys it has for this portal); `None`
/// where passkeys are not `available`. One address may start only so many at a time.
pub async fn start_sign_in(state: &AppState, client_ip: &str) -> AppResult<Option<Ceremony>> {
    if !available(state) {
        return Ok(None);
    }
    {
        let mut c = state.db.acquire().await?;
        let since = state.clock.now() - CEREMONY_TTL;
        if mfa::count_ceremonies_from(c.conn(), client_ip, since).await? >= SIGN_INS_PER_IP {
            return Err(AppError::TooManyRequests(
                "Too many passkey sign-ins were started from your network. Wait a few minutes and try again.".into(),
            ));
        }
    }
    let (options, authentication) =
        webauthn(state).await?.start_discoverable_authentication().map_err(|e| internal("passkey challenge", e))?;
    let state_json = serde_json::to_string(&authentication).map_err(|e| internal("authentication state", e))?;
    let id = keep_ceremony(state, CeremonyOf::Client(client_ip), "sign-in", state_json).await?;
    Ok(Some(Ceremony { id, options: options_json(&options)? }))
}

/// How a passkey sign-in ended.
pub enum PasskeySignIn {
    /// Signed in; the session counts as multi-factor (`hwk`/`swk` and `mfa`).
    Done { user: User, synced: bool },
    /// The passkey is the person's, but their account may not sign in (blocked, expired…).
    Refused(SignInVerdict),
    /// The answer was not a good one, or the person's attempts are paused.
    Failed(MfaRefused),
}

/// The browser's signed answer to a sign-in: the passkey's user handle names the person,
/// whose stored passkey must have made the signature. A bad signature on a person's
/// passkey counts toward their pause, as a wrong code does (the browser's own, with a
/// device cookie for them).
pub async fn finish_sign_in(
    state: &AppState,
    ceremony: Uuid,
    credential: &str,
    ip: &str,
    devices: &Devices,
) -> AppResult<PasskeySignIn> {
    let outcome = finish_sign_in_uncounted(state, ceremony, credential, ip, devices).await?;
    let label = match &outcome {
        PasskeySignIn::Done { .. } => "ok",
        PasskeySignIn::Refused(_) => "refused",
        PasskeySignIn::Failed(_) => "wrong",
    };
    crate::telemetry::sign_in("passkey", label);
    Ok(outcome)
}

async fn finish_sign_in_uncounted(
    state: &AppState,
    ceremony: Uuid,
    credential: &str,
    ip: &str,
    devices: &Devices,
) -> AppResult<PasskeySignIn> {
    let failed = PasskeySignIn::Failed(MfaRefused::PasskeyFailed);
    let discoverable = {
        let mut c = state.db.acquire().await?;
        take_ceremony::<DiscoverableAuthentication>(state, c.conn(), ceremony, CeremonyOf::Client(ip), "sign-in")
            .await?
    };
    let (Some(discoverable), Ok(answer)) = (discoverable, serde_json::from_str::<PublicKeyCredential>(credential))
    else {
        return Ok(failed);
    };
    let webauthn = webauthn(state).await?;
    let Ok((user_id, cred_id)) = webauthn.identify_discoverable_authentication(&answer) else {
        return Ok(failed);
    };
    let user = {
        let mut c = state.db.acquire().await?;
        users::find(c.conn(), user_id).await?
    };
    let Some(user) = user else { return Ok(failed) };
    let keys = passkeys_of(state, &user).await?;
    let Some((method_id, key)) = keys.into_iter().find(|(_, key)| key.cred_id().as_slice() == cred_id) else {
        return Ok(failed);
    };
    let actor = Actor::user(user.id, &user.email, ip);
    let (mut tx, attempt) = match super::mfa::begin_attempt(state, &user, devices).await? {
        Ok(started) => started,
        Err(refused) => return Ok(PasskeySignIn::Failed(refused)),
    };
    let Ok(result) = webauthn.finish_discoverable_authentication_v2(&answer, discoverable, &key) else {
        let refused =
            super::mfa::count_failure(state, &mut tx, &user, &attempt, MfaRefused::PasskeyFailed, &actor).await?;
        tx.commit().await?;
        return Ok(PasskeySignIn::Failed(refused));
    };
    let synced = keep_use(state, &mut tx, method_id, key, &result).await?;
    attempt.passed(tx.conn(), user.id).await?;
    let outcome = match signin::complete_proven(state, &mut tx, user, ip).await? {
        SignIn::Done(user) => {
            let ev = Event::new(Action::MfaVerified, "user", user.id, &user.email).details("passkey sign-in");
            audit::record(tx.conn(), &actor, &ev, state.clock.now()).await?;
            PasskeySignIn::Done { user, synced }
        }
        SignIn::Refused(verdict) => PasskeySignIn::Refused(verdict),
        SignIn::Wrong { .. } | SignIn::Dead => failed,
    };
    tx.commit().await?;
    Ok(outcome)
}
