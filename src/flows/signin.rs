//! F3 sign-in: an email one-time code, or a one-time sign-in link (the first admin's).
//! Unknown addresses get the same answer as known ones.

use uuid::Uuid;

use super::codes::{self, Checked, CodeFor, Issued};
use crate::db::audit::{self, Event};
use crate::db::users::User;
use crate::db::{Conn, identities, identity_providers, signin_links, users};
use crate::domain::EmailAddress;
use crate::domain::audit::{Action, Actor};
use crate::domain::device::Devices;
use crate::domain::settings::PortalSettings;
use crate::domain::user::{SignInVerdict, may_sign_in};
use crate::error::AppResult;
use crate::mail::letters::CodeUse;
use crate::secrets::TokenHash;
use crate::state::AppState;

pub const PURPOSE: &str = "signin";

/// Sends a code if the address belongs to an account that may get one; answers the same
/// either way, and keeps a (never mailed) code row for unknown addresses so that the rate
/// limit and the next page behave identically. A browser with a device cookie for the
/// address is limited on its own (`codes::issue`).
pub async fn request_code(state: &AppState, email: &EmailAddress, ip: &str, devices: &Devices) -> AppResult<Issued> {
    let portal = super::settings::current(state).await?;
    let mut tx = state.db.begin().await?;
    let user = users::find_by_email(tx.conn(), email.as_str()).await?;
    let workforce_only = match &user {
        Some(u) => workforce_only(&portal, tx.conn(), u).await?,
        None => false,
    };
    // Invited guests who have not redeemed yet sign in through their invitation link.
    let deliver =
        !workforce_only && user.as_ref().is_some_and(|u| u.state != crate::domain::user::UserState::PendingAcceptance);
    let spec = CodeFor {
        purpose: PURPOSE,
        email: email.as_str(),
        user_id: user.as_ref().map(|u| u.id),
        invitation_id: None,
        deliver,
        code_use: CodeUse::SignIn,
        client_ip: ip,
        device_id: devices.for_address(email.as_str()).map(|d| d.id.as_str()),
    };
    let issued = codes::issue(state, &mut tx, &spec).await?;
    if workforce_only && matches!(issued, Issued::Sent(_)) {
        // The page answers as for anyone; the mail tells the member where to sign in.
        let notice = crate::mail::notices::workforce_signin(&portal.org_name, state.links().signin());
        super::queue_notice(state, tx.conn(), email.as_str(), &notice).await?;
    }
    tx.commit().await?;
    Ok(issued)
}

/// Whether this user may not use email codes: a member, while the settings require the
/// workforce IdP and an enabled one exists (so a disabled IdP cannot lock everyone out).
async fn workforce_only(portal: &PortalSettings, c: Conn<'_>, user: &User) -> AppResult<bool> {
    if user.user_type != crate::domain::user::MEMBER || !portal.members_require_workforce {
        return Ok(false);
    }
    Ok(identity_providers::enabled_workforce(c).await?.is_some())
}

/// A member who must use the workforce IdP proved who they are some other way (a code,
/// a passkey): refused, and audited.
async fn refuse_workforce_only(state: &AppState, tx: &mut crate::db::Tx, user: &User, ip: &str) -> AppResult<SignIn> {
    let ev = Event::new(Action::UserSignInRefused, "user", user.id, &user.email)
        .details(format!("{:?}", SignInVerdict::WorkforceOnly));
    audit::record(tx.conn(), &Actor::user(user.id, &user.email, ip), &ev, state.clock.now()).await?;
    Ok(SignIn::Refused(SignInVerdict::WorkforceOnly))
}

/// The verdict on an account proven without an email code (a passkey): as `complete`, and
/// members who must use the workforce IdP are refused as with a code.
pub async fn complete_proven(state: &AppState, tx: &mut crate::db::Tx, user: User, ip: &str) -> AppResult<SignIn> {
    let portal = super::settings::current(state).await?;
    if workforce_only(&portal, tx.conn(), &user).await? {
        return refuse_workforce_only(state, tx, &user, ip).await;
    }
    complete(state, tx, user, None, ip).await
}

pub enum SignIn {
    Done(User),
    Refused(SignInVerdict),
    Wrong { tries_left: i64 },
    Dead,
}

impl SignIn {
    /// The outcome as `/metrics` counts it.
    pub fn label(&self) -> &'static str {
        match self {
            SignIn::Done(_) => "ok",
            SignIn::Refused(_) => "refused",
            SignIn::Wrong { .. } => "wrong",
            SignIn::Dead => "dead",
        }
    }
}

pub async fn verify_code(state: &AppState, code_id: Uuid, typed: &str, ip: &str) -> AppResult<SignIn> {
    let mut tx = state.db.begin().await?;
    let outcome = match codes::check(state, tx.conn(), code_id, PURPOSE, typed).await? {
        Checked::Wrong { tries_left } => SignIn::Wrong { tries_left },
        Checked::Dead => SignIn::Dead,
        Checked::Valid(code) => {
            let user = match code.user_id {
                Some(id) => users::find(tx.conn(), id).await?,
                None => None,
            };
            match user {
                // Only reachable by guessing a code never sent: treat as wrong.
                None => SignIn::Dead,
                Some(user) if workforce_only(&*super::settings::current(state).await?, tx.conn(), &user).await? => {
                    refuse_workforce_only(state, &mut tx, &user, ip).await?
                }
                Some(user) => {
                    let issuer = super::email_issuer(&state.settings.public_url);
                    let email = user.email.clone();
                    let link = identities::NewIdentity {
                        user_id: user.id,
                        provider: "email",
                        issuer: &issuer,
                        subject: &email,
                        email: &email,
                    };
                    complete(state, &mut tx, user, Some(link), ip).await?
                }
            }
        }
    };
    tx.commit().await?;
    crate::telemetry::sign_in("code", outcome.label());
    Ok(outcome)
}

/// The verdict on a proven account: signs in (and audits) or refuses (and audits).
pub async fn complete(
    state: &AppState,
    tx: &mut crate::db::Tx,
    user: User,
    identity: Option<identities::NewIdentity<'_>>,
    ip: &str,
) -> AppResult<SignIn> {
    let now = state.clock.now();
    let actor = Actor::user(user.id, &user.email, ip);
    let portal = super::settings::current(state).await?;
    let verdict = match may_sign_in(user.state, user.expires_at, now) {
        // The partner domain policy holds at every door, sign-in included.
        SignInVerdict::Allowed if !portal.admits_account(&user.user_type, &user.email) => SignInVerdict::DomainRefused,
        verdict => verdict,
    };
    if verdict != SignInVerdict::Allowed {
        let ev = Event::new(Action::UserSignInRefused, "user", user.id, &user.email).details(format!("{verdict:?}"));
        audit::record(tx.conn(), &actor, &ev, now).await?;
        return Ok(SignIn::Refused(verdict));
    }
    // Writes kept to what the rules and the audit need (issue 14): the identity once, the
    // last sign-in, and the event — which names the identity used (no per-identity
    // "last used" column is touched on every sign-in).
    let mut ev = Event::new(Action::UserSignedIn, "user", user.id, &user.email);
    if let Some(identity) = identity {
        identities::link(tx.conn(), &identity, now).await?;
        ev = ev.details(format!("{}: {}", identity.provider, identity.subject));
    }
    users::touch_sign_in(tx.conn(), user.id, now).await?;
    audit::record(tx.conn(), &actor, &ev, now).await?;
    Ok(SignIn::Done(user))
}

pub enum LinkState {
    Usable(User),
    UsedOrExpired,
}

/// What a sign-in link leads to; `None` when no such link exists. Changes nothing.
pub async fn peek_link(state: &AppState, token: &str) -> AppResult<Option<LinkState>> {
    let mut c = state.db.acquire().await?;
    let Some(link) = signin_links::find_by_token_hash(c.conn(), &TokenHash::of(token).0).await? else {
        return Ok(None);
    };
    if link.used_at.is_some() || link.expires_at <= state.clock.now() {
        return Ok(Some(LinkState::UsedOrExpired));
    }
    Ok(users::find(c.conn(), link.user_id).await?.map(LinkState::Usable))
}

/// Uses a sign-in link up and signs its user in; `None` if it was not usable.
pub async fn use_link(state: &AppState, token: &str, ip: &str) -> AppResult<Option<SignIn>> {
    let hash = TokenHash::of(token);
    let mut tx = state.db.begin().await?;
    let Some(link) = signin_links::find_by_token_hash(tx.conn(), &hash.0).await? else {
        return Ok(None);
    };
    if !hash.matches(&link.token_hash) || !signin_links::use_up(tx.conn(), link.id, state.clock.now()).await? {
        return Ok(None);
    }
    let Some(user) = users::find(tx.conn(), link.user_id).await? else {
        return Ok(None);
    };
    let outcome = complete(state, &mut tx, user, None, ip).await?;
    tx.commit().await?;
    crate::telemetry::sign_in("link", outcome.label());
    Ok(Some(outcome))
}
