//! The do-not-invite list (F12): every invitation mail carries "Block future invitations";
//! its link names the invitation, signed with the instance key (so it keeps working when
//! the invitation is sent again, and nobody can make one for another address). Opening it
//! changes nothing (mail scanners open links); confirming lists the address, and inviting
//! it is then refused everywhere (`flows::invite`). An admin can lift an entry.

use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::do_not_invite::{self, Entry};
use crate::db::{Conn, invitations, users};
use crate::domain::EmailAddress;
use crate::domain::audit::{Action, Actor};
use crate::domain::user::{GUEST, UserState};
use crate::error::AppResult;
use crate::state::AppState;

/// The instance-key purpose of the links' signatures.
const PURPOSE: &str = "do-not-invite";

/// The "Block future invitations" address in the mail of this invitation.
pub fn link(state: &AppState, invitation_id: Uuid) -> String {
    state.links().do_not_invite(&state.key.signed_id(PURPOSE, &invitation_id))
}

/// What a link leads to: the address it would list, and whether it is listed already.
pub struct Named {
    pub email: String,
    pub listed: bool,
}

/// The address a link names; `None` for a link this portal did not make (or whose
/// invitation is gone). Changes nothing.
pub async fn peek(state: &AppState, token: &str) -> AppResult<Option<Named>> {
    let Some(id) = state.key.open_signed_id(PURPOSE, token) else {
        return Ok(None);
    };
    let mut c = state.db.acquire().await?;
    let Some(invitation) = invitations::find(c.conn(), id).await? else {
        return Ok(None);
    };
    let listed = do_not_invite::is_listed(c.conn(), &invitation.email).await?;
    Ok(Some(Named { email: invitation.email, listed }))
}

/// Lists the address the link names, and revokes its pending guest invitation (the person
/// said they want none), audited; `None` for a link this portal did not make.
pub async fn block(state: &AppState, token: &str, ip: &str) -> AppResult<Option<Named>> {
    let Some(id) = state.key.open_signed_id(PURPOSE, token) else {
        return Ok(None);
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(invitation) = invitations::find(tx.conn(), id).await? else {
        return Ok(None);
    };
    let email = invitation.email;
    if do_not_invite::add(tx.conn(), &email, now).await? {
        let mut revoked = 0;
        if let Some(user) = users::find_by_email(tx.conn(), &email).await?
            && user.user_type == GUEST
            && user.state == UserState::PendingAcceptance
            && let Some(pending) = invitations::pending_for_user(tx.conn(), user.id).await?
            && invitations::revoke(tx.conn(), pending.id, now).await?
        {
            revoked = 1;
        }
        let ev = Event::new(Action::DoNotInviteAdded, "address", &email, &email)
            .details(format!("invitation={id} revoked={revoked}"));
        audit::record(tx.conn(), &Actor::anonymous(ip), &ev, now).await?;
    }
    tx.commit().await?;
    Ok(Some(Named { email, listed: true }))
}

/// Whether the address is on the list: inviting it is refused.
pub async fn is_listed(c: Conn<'_>, email: &str) -> AppResult<bool> {
    Ok(do_not_invite::is_listed(c, email).await?)
}

/// The whole list, for the admin page.
pub async fn all(state: &AppState) -> AppResult<Vec<Entry>> {
    let mut c = state.db.acquire().await?;
    Ok(do_not_invite::all(c.conn()).await?)
}

/// An admin takes an address off the list (the person asked to be invited after all);
/// false if it was not on it.
pub async fn lift(state: &AppState, email: &EmailAddress, actor: &Actor) -> AppResult<bool> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let email = email.as_str();
    let lifted = do_not_invite::remove(tx.conn(), email).await?;
    if lifted {
        let ev = Event::new(Action::DoNotInviteLifted, "address", email, email);
        audit::record(tx.conn(), actor, &ev, now).await?;
    }
    tx.commit().await?;
    Ok(lifted)
}
