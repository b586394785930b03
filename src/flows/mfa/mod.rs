//! F8 second factors: setting up an authenticator app, using it (or a recovery code) after
//! the first factor, removing methods, new recovery codes, and an admin's reset. Every
//! change is audited and mailed to the person; five wrong codes in a row pause attempts.

use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::mfa::{self, Method};
use crate::db::users::User;
use crate::db::{Conn, Tx, sessions, users};
use crate::domain::audit::{Action, Actor};
use crate::domain::device::Devices;
use crate::domain::mfa::{
    RECOVERY_CODES, Required, format_recovery, looks_like_recovery, matched_step, normalize_recovery, required_for,
    totp, with_mfa,
};
use crate::error::{AppError, AppResult};
use crate::mail::notices::SecurityChange;
use crate::secrets::random_bytes;
use crate::state::AppState;

mod attempts;

pub(crate) use attempts::{begin_attempt, count_failure, settle_attempt};

/// The instance-key purpose the authenticator secrets are encrypted under.
const SECRET_PURPOSE: &str = "mfa-totp";

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum MfaRefused {
    #[error("That code is not right. Check the time on your phone and type the code the app shows now.")]
    WrongCode,
    #[error("That code was used already. Wait for the app to show the next one.")]
    Reused,
    #[error("Too many wrong codes: try again after {0}.")]
    Paused(String),
    #[error("Start setting up the authenticator app again: this set-up is no longer open.")]
    NoSetup,
    #[error("This is your last sign-in method and your account must use one. Add another before removing it.")]
    LastMethod,
    #[error("Your passkey could not be checked. Try again, or use a code from your authenticator app.")]
    PasskeyFailed,
}

/// An authenticator app being set up: what the person scans or types into it.
pub struct Setup {
    pub method_id: Uuid,
    /// The shared secret in base 32, for typing in by hand.
    pub secret: String,
    /// The QR code of the `otpauth://` address, as inline SVG.
    pub qr_svg: String,
}

/// A person's second factors as their profile and the admin's user page show them.
pub struct Overview {
    pub methods: Vec<Method>,
    pub unused_recovery_codes: i64,
    pub required: Option<Required>,
}

pub async fn overview(state: &AppState, user: &User) -> AppResult<Overview> {
    let portal = super::settings::current(state).await?;
    let mut c = state.db.acquire().await?;
    Ok(Overview {
        methods: mfa::confirmed(c.conn(), user.id).await?,
        unused_recovery_codes: mfa::unused_recovery_codes(c.conn(), user.id).await?,
        required: required_for(&portal, &user.user_type, user.is_admin, user.mfa_required),
    })
}

/// Whether the person has a second factor to use (else they set one up).
pub async fn enrolled(state: &AppState, user_id: Uuid) -> AppResult<bool> {
    let mut c = state.db.acquire().await?;
    Ok(mfa::count_confirmed(c.conn(), user_id).await? > 0)
}

/// The authenticator app set-up this browser started (`remembered`), or a new one: the
/// same secret however often the page is reloaded, so a person who scanned it already is
/// not thrown off — but never a set-up another browser started, whose secret someone
/// else may have read.
pub async fn setup(state: &AppState, user: &User, remembered: Option<Uuid>) -> AppResult<Setup> {
    let org = super::settings::current(state).await?.org_name.clone();
    let mut tx = state.db.begin().await?;
    let pending = match remembered {
        Some(id) => mfa::find(tx.conn(), id, user.id).await?.filter(|m| m.kind == "totp" && m.confirmed_at.is_none()),
        None => None,
    };
    let (method_id, secret) = match pending {
        Some(m) => (m.id, decrypt(state, &m)?),
        None => {
            let secret = random_bytes::<20>().to_vec();
            let stored = state.key.encrypt(SECRET_PURPOSE, &hex::encode(&secret));
            let id = mfa::insert_unconfirmed(
                tx.conn(),
                user.id,
                crate::mail::notices::DEFAULT_APP_NAME,
                &stored,
                state.clock.now(),
            )
            .await?;
            (id, secret)
        }
    };
    tx.commit().await?;
    let t = totp(&secret, &org, &user.email).map_err(|e| AppError::Internal(anyhow::anyhow!("totp: {e}")))?;
    let url = t.to_url().map_err(|e| AppError::Internal(anyhow::anyhow!("otpauth url: {e}")))?;
    let qr = qrcode::QrCode::new(url.as_bytes()).map_err(|e| AppError::Internal(anyhow::anyhow!("qr: {e}")))?;
    let svg = qr.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).build();
    // Inline in HTML: no XML declaration.
    let qr_svg = svg.find("<svg").map(|i| svg[i..].to_string()).unwrap_or(svg);
    Ok(Setup { method_id, secret: t.secret().to_base32(), qr_svg })
}

fn decrypt(state: &AppState, m: &Method) -> AppResult<Vec<u8>> {
    let hex_secret = state.key.decrypt(SECRET_PURPOSE, &m.secret)?;
    hex::decode(hex_secret).map_err(|e| AppError::Internal(anyhow::anyhow!("stored secret: {e}")))
}

/// Confirms the set-up with the first code the app shows. The session counts as signed in
/// with a second factor from now on. Returns new recovery codes when the person had none.
pub async fn confirm_setup(
    state: &AppState,
    user: &User,
    session: (Uuid, &str),
    method_id: Uuid,
    typed: &str,
    name: &str,
    actor: &Actor,
) -> AppResult<Result<Option<Vec<String>>, MfaRefused>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(method) = mfa::find(tx.conn(), method_id, user.id).await?.filter(|m| m.confirmed_at.is_none()) else {
        return Ok(Err(MfaRefused::NoSetup));
    };
    let org = super::settings::current(state).await?.org_name.clone();
    let t = totp(&decrypt(state, &method)?, &org, &user.email)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("totp: {e}")))?;
    let Some(step) = matched_step(&t, typed, now) else { return Ok(Err(MfaRefused::WrongCode)) };
    if !mfa::confirm(tx.conn(), method.id, name, step, now).await? {
        return Ok(Err(MfaRefused::NoSetup));
    }
    let codes = after_enrollment(state, &mut tx, user, session, "otp", Enrolled::App(name), actor).await?;
    tx.commit().await?;
    Ok(Ok(codes))
}

/// A factor just set up, by its name.
pub(crate) enum Enrolled<'a> {
    App(&'a str),
    Passkey(&'a str),
}

impl<'a> Enrolled<'a> {
    /// What the person's mail says changed.
    fn change(&self) -> SecurityChange<'a> {
        match *self {
            Enrolled::App(name) => SecurityChange::AppAdded { name },
            Enrolled::Passkey(name) => SecurityChange::PasskeyAdded { name },
        }
    }

    /// What the audit event's details say.
    fn audited(&self) -> String {
        match self {
            Enrolled::App(name) => format!("authenticator app “{name}”"),
            Enrolled::Passkey(name) => format!("passkey “{name}”"),
        }
    }
}

/// After a new method is set up (in its transaction): recovery codes when the person has
/// none; when it is their first factor, the session counts as having passed its second
/// step with it (`amr_method` and `mfa`) — adding another factor does not restart the
/// ten minutes of a recent second step (it needed one). The change is audited and mailed;
/// `added` names the method.
pub(crate) async fn after_enrollment(
    state: &AppState,
    tx: &mut Tx,
    user: &User,
    session: (Uuid, &str),
    amr_method: &str,
    added: Enrolled<'_>,
    actor: &Actor,
) -> AppResult<Option<Vec<String>>> {
    let codes = if mfa::unused_recovery_codes(tx.conn(), user.id).await? == 0 {
        Some(new_recovery_codes(state, tx.conn(), user).await?)
    } else {
        None
    };
    if mfa::count_confirmed(tx.conn(), user.id).await? == 1 {
        sessions::pass_second_step(tx.conn(), session.0, &with_mfa(session.1, amr_method), state.clock.now()).await?;
    }
    mfa::set_failures(tx.conn(), user.id, 0, None).await?;
    let ev = Event::new(Action::MfaEnrolled, "user", user.id, &user.email).details(added.audited());
    audit::record(tx.conn(), actor, &ev, state.clock.now()).await?;
    tell(state, tx, user, added.change()).await?;
    Ok(codes)
}

/// How the second factor was met.
#[derive(Debug, PartialEq, Eq)]
pub enum Used {
    App,
    /// A passkey; `synced` when it may live on several devices (backup eligible).
    Passkey {
        synced: bool,
    },
    /// A recovery code; this many are left.
    RecoveryCode(i64),
}

/// The second step of a sign-in: a code from one of the person's apps, or a recovery code.
pub async fn verify(
    state: &AppState,
    user: &User,
    session: (Uuid, &str),
    typed: &str,
    actor: &Actor,
    devices: &Devices,
) -> AppResult<Result<Used, MfaRefused>> {
    let now = state.clock.now();
    let (mut tx, attempt) = match begin_attempt(state, user, devices).await? {
        Ok(started) => started,
        Err(refused) => return Ok(Err(refused)),
    };
    let outcome = if looks_like_recovery(typed) {
        let hash = state.key.code_hash(&user.id.to_string(), &normalize_recovery(typed));
        if mfa::use_recovery_code(tx.conn(), user.id, &hash, now).await? {
            Ok(Used::RecoveryCode(mfa::unused_recovery_codes(tx.conn(), user.id).await?))
        } else {
            Err(MfaRefused::WrongCode)
        }
    } else {
        let org = super::settings::current(state).await?.org_name.clone();
        let mut outcome = Err(MfaRefused::WrongCode);
        for method in mfa::confirmed(tx.conn(), user.id).await?.into_iter().filter(|m| m.kind == "totp") {
            let t = totp(&decrypt(state, &method)?, &org, &user.email)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("totp: {e}")))?;
            if let Some(step) = matched_step(&t, typed, now) {
                outcome = if mfa::use_step(tx.conn(), method.id, step, now).await? {
                    Ok(Used::App)
                } else {
                    Err(MfaRefused::Reused)
                };
                break;
            }
        }
        outcome
    };
    settle_attempt(state, tx, user, session, attempt, outcome, actor).await
}

/// Ten new recovery codes (the old ones stop working), shown once.
pub async fn regenerate_recovery_codes(state: &AppState, user: &User, actor: &Actor) -> AppResult<Vec<String>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let codes = new_recovery_codes(state, tx.conn(), user).await?;
    audit::record(tx.conn(), actor, &Event::new(Action::MfaRecoveryCodesRenewed, "user", user.id, &user.email), now)
        .await?;
    tell(state, &mut tx, user, SecurityChange::RecoveryCodesRenewed).await?;
    tx.commit().await?;
    Ok(codes)
}

async fn new_recovery_codes(state: &AppState, mut c: Conn<'_>, user: &User) -> AppResult<Vec<String>> {
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| format_recovery(&random_bytes::<10>())).collect();
    let hashes: Vec<String> =
        codes.iter().map(|code| state.key.code_hash(&user.id.to_string(), &normalize_recovery(code))).collect();
    mfa::replace_recovery_codes(c.reborrow(), user.id, &hashes, state.clock.now()).await?;
    Ok(codes)
}

/// Removes one of the person's methods; not the last one while their account must use MFA.
pub async fn remove(
    state: &AppState,
    user: &User,
    method_id: Uuid,
    actor: &Actor,
) -> AppResult<Result<String, MfaRefused>> {
    let now = state.clock.now();
    let portal = super::settings::current(state).await?;
    let mut tx = state.db.begin().await?;
    users::lock(tx.conn(), user.id).await?;
    let method = mfa::find(tx.conn(), method_id, user.id).await?.ok_or(AppError::NotFound)?;
    let required = required_for(&portal, &user.user_type, user.is_admin, user.mfa_required).is_some();
    if required && mfa::count_confirmed(tx.conn(), user.id).await? <= 1 {
        return Ok(Err(MfaRefused::LastMethod));
    }
    mfa::delete(tx.conn(), method.id, user.id).await?;
    let ev = Event::new(Action::MfaRemoved, "user", user.id, &user.email).details(method.name.clone());
    audit::record(tx.conn(), actor, &ev, now).await?;
    let removed = if method.kind == "passkey" {
        SecurityChange::PasskeyRemoved { name: &method.name }
    } else {
        SecurityChange::AppRemoved { name: &method.name }
    };
    tell(state, &mut tx, user, removed).await?;
    tx.commit().await?;
    Ok(Ok(method.name))
}

/// An admin's reset for a person who lost their factors: every method and recovery code
/// goes, their sessions end, and they set up a new one at their next sign-in.
pub async fn reset(state: &AppState, user_id: Uuid, actor: &Actor) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    let removed = mfa::delete_all(tx.conn(), user.id).await?;
    mfa::set_failures(tx.conn(), user.id, 0, None).await?;
    crate::auth::ending::all(tx.conn(), user.id, now).await?;
    let ev = Event::new(Action::MfaReset, "user", user.id, &user.email).details(format!("methods_removed={removed}"));
    audit::record(tx.conn(), actor, &ev, now).await?;
    tell(state, &mut tx, &user, SecurityChange::ResetByAdmin).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets or clears the person's own "MFA required" flag (an admin's choice).
pub async fn set_required(state: &AppState, user_id: Uuid, required: bool, actor: &Actor) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    mfa::set_required(tx.conn(), user.id, required).await?;
    let action = if required { Action::UserMfaRequired } else { Action::UserMfaNotRequired };
    audit::record(tx.conn(), actor, &Event::new(action, "user", user.id, &user.email), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Mails the person about a change to their second factors.
async fn tell(state: &AppState, tx: &mut Tx, user: &User, what: SecurityChange<'_>) -> AppResult<()> {
    let org = super::settings::current(state).await?.org_name.clone();
    let notice = crate::mail::notices::security_change(&org, what, state.links().profile());
    super::queue_notice(state, tx.conn(), &user.email, &notice).await
}
