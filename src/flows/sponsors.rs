//! Sponsors look after their guests (issue 13). A guest's sponsors — and admins — may send a
//! pending invitation again or revoke it, extend access within the organization's guest
//! lifetime, remove the guest, and name other members as sponsors (one to five); a sponsor
//! steps back only themself, an admin removes anyone. Anyone else is told the guest does
//! not exist. Sponsors are mailed when their guest's access is
//! about to end and when their guest asks for more.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::invitations::{self, Invitation};
use crate::db::links::{self, PACKAGE_APPROVERS};
use crate::db::packages::Package;
use crate::db::sponsors::{self, SponsoredGuest};
use crate::db::users::{self, User};
use crate::db::{Conn, Tx};
use crate::domain::EmailAddress;
use crate::domain::audit::{Action, Actor};
use crate::domain::user::{EXPIRY_NOTICE_DAYS, GUEST, MAX_SPONSORS, MEMBER, UserState};
use crate::error::{AppError, AppResult};
use crate::mail::notices;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum SponsorRefused {
    #[error("{0} is not a member of the organization who can sign in; only members sponsor guests.")]
    NotMember(String),
    #[error("{0} sponsors this guest already.")]
    AlreadySponsor(String),
    #[error("A guest has at most {MAX_SPONSORS} sponsors: remove one before adding another.")]
    Full,
    #[error("A guest keeps at least one sponsor: add another before removing this one.")]
    LastSponsor,
    #[error("You can remove only yourself as a sponsor; ask {0} or an administrator to step back.")]
    NotYours(String),
    #[error("Guest access does not end in this organization (Settings), so there is nothing to extend.")]
    NoLifetime,
    #[error("{0} has not redeemed the invitation yet; their access starts counting when they do.")]
    NotRedeemed(String),
    /// Extending would not move the end (clicked twice, or it ends later already).
    #[error("Nothing changed: {name}'s access already lasts until {until}, as long as an extension would give.")]
    LastsAlready { name: String, until: String },
}

/// The guest, when `by` may look after them: one of their sponsors, or an admin. To anyone
/// else a guest they do not sponsor does not exist.
async fn guest_for(mut c: Conn<'_>, guest_id: Uuid, by: &User) -> AppResult<User> {
    let guest =
        users::find(c.reborrow(), guest_id).await?.filter(|u| u.user_type == GUEST).ok_or(AppError::NotFound)?;
    if by.is_admin || sponsors::is_sponsor(c, guest.id, by.id).await? { Ok(guest) } else { Err(AppError::NotFound) }
}

/// The guests `sponsor` looks after, for their My guests page.
pub async fn my_guests(state: &AppState, sponsor: &User) -> AppResult<Vec<SponsoredGuest>> {
    let mut c = state.db.acquire().await?;
    Ok(sponsors::guests_of(c.conn(), sponsor.id).await?)
}

/// One guest as their sponsor sees them.
pub struct GuestView {
    pub guest: User,
    pub sponsors: Vec<User>,
    pub pending: Option<Invitation>,
    /// The organization's guest lifetime in days; 0 when access does not end.
    pub lifetime_days: i64,
}

pub async fn view(state: &AppState, guest_id: Uuid, by: &User) -> AppResult<GuestView> {
    let mut c = state.db.acquire().await?;
    let guest = guest_for(c.conn(), guest_id, by).await?;
    Ok(GuestView {
        sponsors: sponsors::of(c.conn(), guest.id).await?,
        pending: invitations::pending_for_user(c.conn(), guest.id).await?,
        lifetime_days: super::settings::current(state).await?.guest_lifetime_days,
        guest,
    })
}

/// Sends the guest's pending invitation again, with a new link.
pub async fn resend(
    state: &AppState,
    guest_id: Uuid,
    by: &User,
    actor: &Actor,
) -> AppResult<Result<(), super::invite::InviteRefused>> {
    ensure(state, guest_id, by).await?;
    Ok(super::invitations::resend(state, guest_id, actor).await?.map(|_| ()))
}

/// Revokes the guest's pending invitation; false when there was none.
pub async fn revoke(state: &AppState, guest_id: Uuid, by: &User, actor: &Actor) -> AppResult<bool> {
    ensure(state, guest_id, by).await?;
    super::invitations::revoke(state, guest_id, actor).await
}

async fn ensure(state: &AppState, guest_id: Uuid, by: &User) -> AppResult<User> {
    let mut c = state.db.acquire().await?;
    guest_for(c.conn(), guest_id, by).await
}

/// Access now lasts the organization's guest lifetime from today (never beyond it).
pub async fn extend(
    state: &AppState,
    guest_id: Uuid,
    by: &User,
    actor: &Actor,
) -> AppResult<Result<DateTime<Utc>, SponsorRefused>> {
    let now = state.clock.now();
    let lifetime = super::settings::current(state).await?.guest_lifetime_days;
    let mut tx = state.db.begin().await?;
    let guest = guest_for(tx.conn(), guest_id, by).await?;
    if lifetime <= 0 {
        return Ok(Err(SponsorRefused::NoLifetime));
    }
    if guest.accepted_at.is_none() {
        return Ok(Err(SponsorRefused::NotRedeemed(guest.display_name)));
    }
    let ends = now + Duration::days(lifetime);
    // Never shortens, and a second click says so instead of "extending" to the same day.
    if let Some(current) = guest.expires_at
        && current.date_naive() >= ends.date_naive()
    {
        return Ok(Err(SponsorRefused::LastsAlready { name: guest.display_name, until: super::human_date(current) }));
    }
    sponsors::set_expiry(tx.conn(), guest.id, Some(ends)).await?;
    let ev = Event::new(Action::UserAccessExtended, "user", guest.id, &guest.email)
        .details(format!("until={}", ends.format("%Y-%m-%d")));
    audit::record(tx.conn(), actor, &ev, now).await?;
    tx.commit().await?;
    Ok(Ok(ends))
}

/// Removes the guest from the organization: their sessions end (apps hear of it through
/// back-channel logout) and the account is deleted with its identities and access.
pub async fn remove(state: &AppState, guest_id: Uuid, by: &User, actor: &Actor) -> AppResult<String> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let guest = guest_for(tx.conn(), guest_id, by).await?;
    crate::auth::ending::all(tx.conn(), guest.id, now).await?;
    users::delete(tx.conn(), guest.id).await?;
    audit::record(tx.conn(), actor, &Event::new(Action::UserRemoved, "user", guest.id, &guest.email), now).await?;
    tx.commit().await?;
    Ok(guest.display_name)
}

/// Names another member as a sponsor of the guest.
pub async fn add_sponsor(
    state: &AppState,
    guest_id: Uuid,
    email: &EmailAddress,
    by: &User,
    actor: &Actor,
) -> AppResult<Result<User, SponsorRefused>> {
    let mut tx = state.db.begin().await?;
    let (guest, current) = locked_sponsors(&mut tx, guest_id, by).await?;
    let sponsor = users::find_by_email(tx.conn(), email.as_str())
        .await?
        .filter(|u| u.user_type == MEMBER && u.state == UserState::Accepted);
    let Some(sponsor) = sponsor else { return Ok(Err(SponsorRefused::NotMember(email.to_string()))) };
    if current.iter().any(|s| s.id == sponsor.id) {
        return Ok(Err(SponsorRefused::AlreadySponsor(sponsor.display_name)));
    }
    if !sponsors::add(tx.conn(), guest.id, sponsor.id).await? {
        return Ok(Err(SponsorRefused::Full));
    }
    settle(state, tx, actor, Action::UserSponsorAdded, &guest, sponsor).await
}

/// Takes a sponsor off the guest; the last one stays. A sponsor removes only themself, an
/// admin anyone: otherwise one sponsor could push out the others and keep the guest.
pub async fn remove_sponsor(
    state: &AppState,
    guest_id: Uuid,
    sponsor_id: Uuid,
    by: &User,
    actor: &Actor,
) -> AppResult<Result<User, SponsorRefused>> {
    let mut tx = state.db.begin().await?;
    let (guest, current) = locked_sponsors(&mut tx, guest_id, by).await?;
    let Some(sponsor) = current.iter().find(|s| s.id == sponsor_id).cloned() else { return Err(AppError::NotFound) };
    if !by.is_admin && sponsor.id != by.id {
        return Ok(Err(SponsorRefused::NotYours(sponsor.display_name)));
    }
    if current.len() <= 1 {
        return Ok(Err(SponsorRefused::LastSponsor));
    }
    sponsors::remove(tx.conn(), guest.id, sponsor.id).await?;
    settle(state, tx, actor, Action::UserSponsorRemoved, &guest, sponsor).await
}

/// The guest and their sponsors, the guest's row locked so that two changes at once queue
/// (PostgreSQL; SQLite is serial).
async fn locked_sponsors(tx: &mut Tx, guest_id: Uuid, by: &User) -> AppResult<(User, Vec<User>)> {
    let guest = guest_for(tx.conn(), guest_id, by).await?;
    users::lock(tx.conn(), guest.id).await?;
    let current = sponsors::of(tx.conn(), guest.id).await?;
    Ok((guest, current))
}

/// Audits a change of sponsors and commits it.
async fn settle(
    state: &AppState,
    mut tx: Tx,
    actor: &Actor,
    action: Action,
    guest: &User,
    sponsor: User,
) -> AppResult<Result<User, SponsorRefused>> {
    let ev = Event::new(action, "user", guest.id, &guest.email).details(sponsor.email.clone());
    audit::record(tx.conn(), actor, &ev, state.clock.now()).await?;
    tx.commit().await?;
    Ok(Ok(sponsor))
}

/// The worker's part: tells each sponsor, once per expiry date, that a guest's access ends
/// within `EXPIRY_NOTICE_DAYS`. Returns how many guests were announced.
pub async fn announce_expiring(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now();
    let due = {
        let mut c = state.db.acquire().await?;
        sponsors::expiring_unannounced(c.conn(), now, now + Duration::days(EXPIRY_NOTICE_DAYS), 200).await?
    };
    let mut announced = 0;
    for guest in due {
        let mut tx = state.db.begin().await?;
        if !sponsors::mark_announced(tx.conn(), guest.id, now).await? {
            continue;
        }
        let ends = guest.expires_at.map(super::human_date).unwrap_or_default();
        for sponsor in sponsors::of(tx.conn(), guest.id).await? {
            let n = notices::guest_access_ending(
                &sponsor.display_name,
                &guest.display_name,
                &guest.email,
                &ends,
                state.links().my_guest(guest.id),
            );
            super::queue_notice(state, tx.conn(), &sponsor.email, &n).await?;
        }
        tx.commit().await?;
        announced += 1;
    }
    Ok(announced)
}

/// Tells the guest's sponsors that they asked for `package` (in the caller's transaction);
/// a sponsor who approves the package has its approval mail already.
pub(crate) async fn tell_of_request(
    state: &AppState,
    mut c: Conn<'_>,
    guest: &User,
    package: &Package,
) -> AppResult<()> {
    if guest.user_type != GUEST {
        return Ok(());
    }
    let approvers = links::items(c.reborrow(), &PACKAGE_APPROVERS, package.id).await?;
    for sponsor in sponsors::of(c.reborrow(), guest.id).await?.into_iter().filter(|s| !approvers.contains(&s.id)) {
        let n = notices::guest_asked(
            &sponsor.display_name,
            &guest.display_name,
            &guest.email,
            &package.name,
            state.links().my_guest(guest.id),
        );
        super::queue_notice(state, c.reborrow(), &sponsor.email, &n).await?;
    }
    Ok(())
}
