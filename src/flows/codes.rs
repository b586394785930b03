//! Email one-time codes (F3): 8 digits, 10 minutes, 5 tries, keyed hash at rest. Sends are
//! limited so that nobody can lock a person out: a stranger asking for someone's codes
//! uses up the allowance of *their* address+IP pair, not the person's own; a much higher
//! per-address ceiling and a per-IP limit bound the mail either way. Strangers from many
//! addresses can still use up that ceiling, so a browser that signed in for the address
//! before (its device cookie, `domain::device`) is counted apart, by its own limit alone.

use chrono::Duration;
use uuid::Uuid;

use crate::db::codes::{self, EmailCode, NewCode};
use crate::db::{Conn, Tx};
use crate::error::AppResult;
use crate::mail;
use crate::mail::letters::CodeUse;
use crate::state::AppState;

pub const TTL: Duration = Duration::minutes(10);
pub const MAX_TRIES: i64 = 5;
/// At most this many codes per address, purpose and client IP in a rolling hour…
pub const SENDS_PER_HOUR: i64 = 5;
/// …per address and purpose from all clients together…
pub const SENDS_PER_ADDRESS_HOUR: i64 = 50;
/// …and per client IP, whatever the address.
pub const SENDS_PER_IP_HOUR: i64 = 30;
/// A browser with a device cookie for the address: this many an hour, and no other limit.
pub const SENDS_PER_DEVICE_HOUR: i64 = 5;

pub enum Issued {
    Sent(Uuid),
    RateLimited,
}

pub struct CodeFor<'a> {
    pub purpose: &'a str,
    pub email: &'a str,
    pub user_id: Option<Uuid>,
    pub invitation_id: Option<Uuid>,
    /// Mail the code? False for addresses we must not reveal we do not know.
    pub deliver: bool,
    /// What the mail says the code is for.
    pub code_use: CodeUse,
    pub client_ip: &'a str,
    /// The id of the asking browser's device cookie for this address, if it has one.
    pub device_id: Option<&'a str>,
}

/// Creates a code inside `tx` and queues its mail there too.
pub async fn issue(state: &AppState, tx: &mut Tx, spec: &CodeFor<'_>) -> AppResult<Issued> {
    let now = state.clock.now();
    let hour_ago = now - Duration::hours(1);
    let limited = match spec.device_id {
        // Neither counted toward nor refused by the limits that strangers can use up.
        Some(device) => codes::count_from_device(tx.conn(), device, hour_ago).await? >= SENDS_PER_DEVICE_HOUR,
        None => {
            codes::count_sent_from(tx.conn(), spec.purpose, spec.email, spec.client_ip, hour_ago).await?
                >= SENDS_PER_HOUR
                || codes::count_sent_since(tx.conn(), spec.purpose, spec.email, hour_ago).await?
                    >= SENDS_PER_ADDRESS_HOUR
                || codes::count_from_ip(tx.conn(), spec.client_ip, hour_ago).await? >= SENDS_PER_IP_HOUR
        }
    };
    if limited {
        return Ok(Issued::RateLimited);
    }
    let id = Uuid::new_v4();
    let code = crate::secrets::one_time_code();
    let hash = state.key.code_hash(&id.to_string(), &code);
    let row = NewCode {
        id,
        purpose: spec.purpose,
        email: spec.email,
        user_id: spec.user_id,
        invitation_id: spec.invitation_id,
        code_hash: &hash,
        expires_at: now + TTL,
        client_ip: spec.client_ip,
        device_id: spec.device_id,
    };
    codes::insert(tx.conn(), &row, now).await?;
    if spec.deliver {
        let letter =
            mail::letters::one_time_code(&crate::flows::settings::branding(state).await?, spec.code_use, &code)?;
        mail::queue(tx.conn(), spec.email, &letter, now).await?;
    }
    Ok(Issued::Sent(id))
}

pub enum Checked {
    /// Right code, now used up.
    Valid(EmailCode),
    Wrong {
        tries_left: i64,
    },
    /// Expired, used, or out of tries: ask for a new code.
    Dead,
}

/// Checks a typed code against code `id` of `purpose`: the try is counted and, if right,
/// the code used up, in one statement.
pub async fn check(state: &AppState, c: Conn<'_>, id: Uuid, purpose: &str, typed: &str) -> AppResult<Checked> {
    let now = state.clock.now();
    let hash = state.key.code_hash(&id.to_string(), typed);
    let Some(row) = codes::try_code(c, id, &hash, MAX_TRIES, now).await? else {
        return Ok(Checked::Dead);
    };
    if row.purpose != purpose {
        return Ok(Checked::Dead);
    }
    if row.consumed_at.is_some() {
        return Ok(Checked::Valid(row));
    }
    let tries_left = MAX_TRIES - row.attempts;
    Ok(if tries_left > 0 { Checked::Wrong { tries_left } } else { Checked::Dead })
}
