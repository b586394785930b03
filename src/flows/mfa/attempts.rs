//! Second-step attempts: the count of wrong answers in a row each runs on — the person's,
//! or a device-cookie browser's own — the pause after the fifth, and a success marking the
//! session. Codes (`super::verify`), passkeys at the second step and passkey sign-in all
//! count here.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{MfaRefused, Used, tell};
use crate::db::audit::{self, Event};
use crate::db::users::User;
use crate::db::{Conn, Tx, mfa, sessions, users};
use crate::domain::audit::{Action, Actor};
use crate::domain::device::Devices;
use crate::domain::mfa::{MAX_FAILURES, PAUSE, with_mfa};
use crate::error::AppResult;
use crate::mail::notices::SecurityChange;
use crate::state::AppState;

/// A second-factor attempt under way, and the count of wrong ones in a row it runs on: the
/// person's, or — from a browser with a device cookie for them (`domain::device`) — that
/// browser's own, so that a pause which others caused does not hold it back.
pub(crate) struct Attempt {
    failures: i64,
    device: Option<String>,
}

impl Attempt {
    async fn set(&self, c: Conn<'_>, user_id: Uuid, failures: i64, until: Option<DateTime<Utc>>) -> AppResult<()> {
        match &self.device {
            Some(device) => crate::db::devices::set_failures(c, device, user_id, failures, until).await?,
            None => mfa::set_failures(c, user_id, failures, until).await?,
        }
        Ok(())
    }

    /// A right answer: the count this attempt ran on starts again.
    pub(crate) async fn passed(&self, c: Conn<'_>, user_id: Uuid) -> AppResult<()> {
        match &self.device {
            Some(device) if self.failures > 0 => crate::db::devices::clear(c, device).await?,
            None if self.failures > 0 => mfa::set_failures(c, user_id, 0, None).await?,
            _ => {}
        }
        Ok(())
    }
}

/// Starts a second-factor attempt: the person's row locked (two guesses at once queue on
/// PostgreSQL; SQLite is serial) and the count of wrong ones it runs on, unless attempts
/// are paused.
pub(crate) async fn begin_attempt(
    state: &AppState,
    user: &User,
    devices: &Devices,
) -> AppResult<Result<(Tx, Attempt), MfaRefused>> {
    let mut tx = state.db.begin().await?;
    users::lock(tx.conn(), user.id).await?;
    let device = devices.for_address(&user.email).map(|d| d.id.clone());
    let (failures, paused_until) = match &device {
        Some(device) => crate::db::devices::failures(tx.conn(), device, user.id).await?,
        None => mfa::failures(tx.conn(), user.id).await?,
    };
    if let Some(until) = paused_until.filter(|u| *u > state.clock.now()) {
        return Ok(Err(MfaRefused::Paused(crate::flows::human_date(until))));
    }
    Ok(Ok((tx, Attempt { failures, device })))
}

/// Ends a second-factor attempt: a success marks the session (`amr`), clears the count
/// and is audited (a recovery code is mailed too); a failure counts, and the fifth in a row
/// pauses attempts for `PAUSE`.
pub(crate) async fn settle_attempt(
    state: &AppState,
    mut tx: Tx,
    user: &User,
    session: (Uuid, &str),
    attempt: Attempt,
    outcome: Result<Used, MfaRefused>,
    actor: &Actor,
) -> AppResult<Result<Used, MfaRefused>> {
    let now = state.clock.now();
    match &outcome {
        Ok(used) => {
            let (amr_method, how) = match used {
                Used::App => ("otp", "authenticator app".to_string()),
                Used::RecoveryCode(left) => ("kba", format!("recovery code ({left} left)")),
                Used::Passkey { synced: true } => ("swk", "passkey".to_string()),
                Used::Passkey { synced: false } => ("hwk", "passkey".to_string()),
            };
            sessions::pass_second_step(tx.conn(), session.0, &with_mfa(session.1, amr_method), state.clock.now())
                .await?;
            attempt.passed(tx.conn(), user.id).await?;
            let ev = Event::new(Action::MfaVerified, "user", user.id, &user.email).details(how);
            audit::record(tx.conn(), actor, &ev, now).await?;
            if let Used::RecoveryCode(left) = used {
                tell(state, &mut tx, user, SecurityChange::RecoveryCodeUsed { left: *left }).await?;
            }
        }
        Err(refused) => {
            let refused = count_failure(state, &mut tx, user, &attempt, refused.clone(), actor).await?;
            tx.commit().await?;
            return Ok(Err(refused));
        }
    }
    tx.commit().await?;
    Ok(outcome)
}

/// A wrong second factor counts; the fifth in a row pauses attempts for `PAUSE` (audited),
/// and that pause is then what the person is told.
pub(crate) async fn count_failure(
    state: &AppState,
    tx: &mut Tx,
    user: &User,
    attempt: &Attempt,
    refused: MfaRefused,
    actor: &Actor,
) -> AppResult<MfaRefused> {
    let now = state.clock.now();
    if attempt.failures + 1 < MAX_FAILURES {
        attempt.set(tx.conn(), user.id, attempt.failures + 1, None).await?;
        return Ok(refused);
    }
    attempt.set(tx.conn(), user.id, 0, Some(now + PAUSE)).await?;
    let whose = if attempt.device.is_some() { " from a browser with a device cookie" } else { "" };
    let ev = Event::new(Action::MfaPaused, "user", user.id, &user.email)
        .details(format!("{MAX_FAILURES} wrong codes in a row{whose}"));
    audit::record(tx.conn(), actor, &ev, now).await?;
    Ok(MfaRefused::Paused(crate::flows::human_date(now + PAUSE)))
}
