//! F1 invite: creates the guest (pending acceptance) and the invitation, queues the mail and
//! audits it, all in one transaction. Also resend and revoke.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::users::User;
use crate::db::{Tx, apps, groups, identities, invitations, sponsors, users};
use crate::domain::audit::Actor;
use crate::domain::invitation::{MAX_SENDS, RESEND_INTERVAL_SECS};
use crate::domain::user::{GUEST, MEMBER, UserState};
use crate::domain::{DisplayName, EmailAddress};
use crate::error::{AppError, AppResult};
use crate::mail;
use crate::secrets::Token;
use crate::state::AppState;

pub use super::invite_input::{InviteInput, RawInvite, read, read_with};

pub struct Invited {
    pub user_id: Uuid,
    pub invitation_id: Uuid,
    /// The redemption link, for the admin to pass on when no mail was sent.
    pub link: String,
    pub sent: bool,
    /// The address already had a pending invitation: it was sent again.
    pub resent: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum InviteRefused {
    #[error("{0} is a member of this organization already.")]
    IsMember(String),
    #[error("{0} has redeemed an invitation already. Assign apps on their user page instead.")]
    AlreadyGuest(String),
    #[error("One of the chosen apps no longer exists. Reload the page and choose again.")]
    UnknownApp,
    #[error("An invitation to this address was sent less than a minute ago. Wait a moment before sending it again.")]
    TooSoon,
    #[error("This invitation has been sent {0} times. Revoke it and check the address with the guest.")]
    TooManySends(i64),
    #[error("Addresses at {0} may not be invited: the partner domain policy in Settings does not allow it.")]
    DomainNotAllowed(String),
    #[error("You may not invite guests: Settings say who may, and ask an admin if you need to.")]
    NotAllowed,
    #[error(
        "Only an admin can give apps or groups with an invitation; invite without them, and ask an admin for access."
    )]
    AppsNeedAdmin,
    #[error("One of the chosen groups no longer exists.")]
    UnknownGroup,
    #[error("Sponsor {0} is not a member of the organization who can sign in; only members sponsor guests.")]
    NotASponsor(Uuid),
    #[error(
        "{0} is a guest here. A guest does not become a member; remove the guest first if they joined the organization."
    )]
    IsGuest(String),
    #[error("{0} has a pending invitation already.")]
    Pending(String),
}

/// What inviting someone whose invitation is still pending does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfPending {
    /// Sends it again (the invite form, the API).
    Resend,
    /// Refuses with `InviteRefused::Pending` (bulk: a file run twice invites nobody twice).
    Refuse,
}

pub async fn invite(
    state: &AppState,
    inviter: &User,
    input: &InviteInput,
    actor: &Actor,
) -> AppResult<Result<Invited, InviteRefused>> {
    let mut tx = state.db.begin().await?;
    let invited = invite_in(state, &mut tx, inviter, input, actor, IfPending::Resend).await?;
    if invited.is_ok() {
        tx.commit().await?;
    }
    Ok(invited)
}

/// Inviting, inside the caller's transaction (bulk records each row's outcome in it).
pub(crate) async fn invite_in(
    state: &AppState,
    tx: &mut Tx,
    inviter: &User,
    input: &InviteInput,
    actor: &Actor,
    if_pending: IfPending,
) -> AppResult<Result<Invited, InviteRefused>> {
    let now = state.clock.now();
    let portal = crate::flows::settings::current(state).await?;
    // Who may invite (Settings): the same rule for every page and the API.
    if !portal.may_invite(&inviter.user_type, inviter.is_admin, inviter.is_inviter) {
        return Ok(Err(InviteRefused::NotAllowed));
    }
    let gives_access = !input.app_ids.is_empty() || !input.group_ids.is_empty();
    if gives_access && !inviter.is_admin {
        return Ok(Err(InviteRefused::AppsNeedAdmin));
    }
    if !portal.admits_domain(input.email.domain()) {
        return Ok(Err(InviteRefused::DomainNotAllowed(input.email.domain().to_string())));
    }
    for app_id in &input.app_ids {
        if apps::find(tx.conn(), *app_id).await?.is_none() {
            return Ok(Err(InviteRefused::UnknownApp));
        }
    }
    for group_id in &input.group_ids {
        if groups::find(tx.conn(), *group_id).await?.is_none() {
            return Ok(Err(InviteRefused::UnknownGroup));
        }
    }
    for sponsor_id in &input.sponsor_ids {
        let sponsor = users::find(tx.conn(), *sponsor_id).await?;
        if !sponsor.is_some_and(|s| s.user_type == MEMBER && s.state == UserState::Accepted) {
            return Ok(Err(InviteRefused::NotASponsor(*sponsor_id)));
        }
    }
    let email = input.email.as_str();
    let existing = users::find_by_email(tx.conn(), email).await?;
    let invited = match existing {
        Some(u) if u.user_type != GUEST => return Ok(Err(InviteRefused::IsMember(u.email))),
        Some(u) if u.state != UserState::PendingAcceptance => return Ok(Err(InviteRefused::AlreadyGuest(u.email))),
        Some(u) if if_pending == IfPending::Refuse => return Ok(Err(InviteRefused::Pending(u.email))),
        Some(u) => {
            // Inviting a pending guest again re-sends their invitation (with any new apps);
            // one whose invitation was revoked gets a new one.
            let (invitation_id, link) = if invitations::pending_for_user(tx.conn(), u.id).await?.is_some() {
                match resend_in(state, tx, &u, input.send_email, actor).await? {
                    Ok(sent) => sent,
                    Err(refused) => return Ok(Err(refused)),
                }
            } else {
                let redirect = input.redirect.as_ref().map(|r| r.as_str());
                let mail_with = if input.send_email { InvitationMail::Invitation } else { InvitationMail::None };
                let (invitation, link) =
                    issue_invitation(state, tx, &u, Some(inviter), redirect, input.message.as_str(), mail_with).await?;
                let ev = Event::new("user.invited", "user", u.id, &u.email).details("again after a revocation");
                audit::record(tx.conn(), actor, &ev, now).await?;
                (invitation.id, link)
            };
            // A sixth inviter is not added: the guest keeps the sponsors they have.
            sponsors::add(tx.conn(), u.id, inviter.id).await?;
            give(tx, input, invitation_id, u.id, now).await?;
            Invited { user_id: u.id, invitation_id, link, sent: input.send_email, resent: true }
        }
        None => {
            let name = input.display_name.clone().unwrap_or_else(|| DisplayName::from_email(&input.email));
            let new = users::NewUser {
                email,
                display_name: name.as_str(),
                user_type: GUEST,
                state: UserState::PendingAcceptance,
                created_via: "invitation",
                is_admin: false,
            };
            let user = users::insert(tx.conn(), &new, now).await?;
            sponsors::add(tx.conn(), user.id, inviter.id).await?;
            let redirect = input.redirect.as_ref().map(|r| r.as_str());
            let (invitation, link) = issue_invitation(
                state,
                tx,
                &user,
                Some(inviter),
                redirect,
                input.message.as_str(),
                if input.send_email { InvitationMail::Invitation } else { InvitationMail::None },
            )
            .await?;
            give(tx, input, invitation.id, user.id, now).await?;
            let details = format!(
                "apps={} groups={} sponsors={} mail={}",
                input.app_ids.len(),
                input.group_ids.len(),
                input.sponsor_ids.len() + 1,
                input.send_email
            );
            let ev = Event::new("user.invited", "user", user.id, &user.email).details(details);
            audit::record(tx.conn(), actor, &ev, now).await?;
            Invited { user_id: user.id, invitation_id: invitation.id, link, sent: input.send_email, resent: false }
        }
    };
    Ok(Ok(invited))
}

/// What an invitation gives besides the account: its apps (on redeeming), its groups and
/// its other sponsors (now; past `MAX_SPONSORS` none is added).
async fn give(
    tx: &mut Tx,
    input: &InviteInput,
    invitation_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    for app_id in &input.app_ids {
        invitations::add_app(tx.conn(), invitation_id, *app_id).await?;
    }
    for group_id in &input.group_ids {
        groups::add_member(tx.conn(), *group_id, user_id, None, now).await?;
    }
    for sponsor_id in &input.sponsor_ids {
        sponsors::add(tx.conn(), user_id, *sponsor_id).await?;
    }
    Ok(())
}

/// An admin adds a colleague by address: a member account waiting for its first sign-in,
/// and an invitation that makes it theirs (F1 for members). Neither who-may-invite nor the
/// partner domain policy apply: they govern guests.
pub async fn add_member(
    state: &AppState,
    admin: &User,
    email: &EmailAddress,
    name: Option<&DisplayName>,
    actor: &Actor,
) -> AppResult<Result<Invited, InviteRefused>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    match users::find_by_email(tx.conn(), email.as_str()).await? {
        Some(u) if u.user_type == GUEST => return Ok(Err(InviteRefused::IsGuest(u.email))),
        Some(u) => return Ok(Err(InviteRefused::IsMember(u.email))),
        None => {}
    }
    let name = name.cloned().unwrap_or_else(|| DisplayName::from_email(email));
    let new = users::NewUser {
        email: email.as_str(),
        display_name: name.as_str(),
        user_type: MEMBER,
        state: UserState::PendingAcceptance,
        created_via: "admin",
        is_admin: false,
    };
    let user = users::insert(tx.conn(), &new, now).await?;
    let (invitation, link) =
        issue_invitation(state, &mut tx, &user, Some(admin), None, "", InvitationMail::Member).await?;
    audit::record(tx.conn(), actor, &Event::new("user.member_added", "user", user.id, &user.email), now).await?;
    tx.commit().await?;
    Ok(Ok(Invited { user_id: user.id, invitation_id: invitation.id, link, sent: true, resent: false }))
}

/// Issues a new link for the user's pending invitation (the old one stops working) and
/// mails it.
pub async fn resend(state: &AppState, user_id: Uuid, actor: &Actor) -> AppResult<Result<String, InviteRefused>> {
    let mut tx = state.db.begin().await?;
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    let outcome = resend_in(state, &mut tx, &user, true, actor).await?;
    tx.commit().await?;
    Ok(outcome.map(|(_, link)| link))
}

async fn resend_in(
    state: &AppState,
    tx: &mut Tx,
    user: &User,
    send: bool,
    actor: &Actor,
) -> AppResult<Result<(Uuid, String), InviteRefused>> {
    let now = state.clock.now();
    let invitation = invitations::pending_for_user(tx.conn(), user.id)
        .await?
        .ok_or_else(|| AppError::BadRequest(format!("{} has no pending invitation to send again.", user.email)))?;
    if invitation.sent_count >= MAX_SENDS {
        return Ok(Err(InviteRefused::TooManySends(invitation.sent_count)));
    }
    if invitation.last_sent_at.is_some_and(|t| now - t < Duration::seconds(RESEND_INTERVAL_SECS)) {
        return Ok(Err(InviteRefused::TooSoon));
    }
    let token = Token::generate();
    let expires = now + Duration::days(crate::flows::settings::current(state).await?.invitation_ttl_days);
    invitations::reissue(tx.conn(), invitation.id, &token.hash().0, expires, now).await?;
    let link = redeem_link(state, &token);
    if send {
        let inviter = match invitation.inviter_id {
            Some(id) => users::find(tx.conn(), id).await?.map(|u| u.display_name),
            None => None,
        };
        let inviter = match inviter {
            Some(name) => name,
            None => crate::flows::settings::current(state).await?.org_name.clone(),
        };
        let invitation = invitations::Invitation { expires_at: expires, ..invitation };
        if user.user_type == MEMBER {
            let org = crate::flows::settings::current(state).await?.org_name.clone();
            let notice = mail::notices::member_invitation(&org, &inviter, link.clone(), &super::human_date(expires));
            super::queue_notice(state, tx.conn(), &invitation.email, &notice).await?;
        } else {
            queue_invitation_mail(state, tx, &inviter, &invitation, &link).await?;
        }
    }
    let ev =
        Event::new("invitation.resent", "user", user.id, &user.email).details(format!("invitation={}", invitation.id));
    audit::record(tx.conn(), actor, &ev, now).await?;
    Ok(Ok((invitation.id, link)))
}

/// Reset redemption: unlinks the guest's identities, ends their sessions, puts them back to
/// pending acceptance and mails a new invitation. Their next redemption may use another
/// identity; the apps they have stay assigned.
pub async fn reset_redemption(
    state: &AppState,
    user_id: Uuid,
    inviter: &User,
    actor: &Actor,
) -> AppResult<Result<String, InviteRefused>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    if user.user_type != GUEST {
        return Ok(Err(InviteRefused::IsMember(user.email)));
    }
    if let Some(pending) = invitations::pending_for_user(tx.conn(), user.id).await? {
        invitations::revoke(tx.conn(), pending.id, now).await?;
    }
    let unlinked = identities::delete_for_user(tx.conn(), user.id).await?;
    users::set_state(tx.conn(), user.id, UserState::PendingAcceptance).await?;
    crate::db::sessions::end_all(tx.conn(), user.id, now).await?;
    let (_, link) =
        issue_invitation(state, &mut tx, &user, Some(inviter), None, "", InvitationMail::Invitation).await?;
    let ev = Event::new("user.redemption_reset", "user", user.id, &user.email)
        .details(format!("identities_unlinked={unlinked}"));
    audit::record(tx.conn(), actor, &ev, now).await?;
    tx.commit().await?;
    Ok(Ok(link))
}

pub async fn revoke(state: &AppState, user_id: Uuid, actor: &Actor) -> AppResult<bool> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    let Some(invitation) = invitations::pending_for_user(tx.conn(), user.id).await? else {
        return Ok(false);
    };
    let revoked = invitations::revoke(tx.conn(), invitation.id, now).await?;
    if revoked {
        let ev = Event::new("invitation.revoked", "user", user.id, &user.email)
            .details(format!("invitation={}", invitation.id));
        audit::record(tx.conn(), actor, &ev, now).await?;
    }
    tx.commit().await?;
    Ok(revoked)
}

/// A new invitation for `user` with a fresh link, mailed when `send`; returns it and the link.
/// A new invitation for `user`, mailed when `send`; without an inviter the mail names the
/// organization (sign-up approvals without one approver).
/// Which mail an invitation goes out with, if any.
pub(crate) enum InvitationMail<'a> {
    None,
    /// "{inviter} invited you to …", with the invitation's message.
    Invitation,
    /// "Your request for {package} was approved": the partner asked for it.
    Approval {
        package: &'a str,
    },
    /// "{admin} added you to {org}'s portal": a colleague becomes a member.
    Member,
}

pub(crate) async fn issue_invitation(
    state: &AppState,
    tx: &mut Tx,
    user: &User,
    inviter: Option<&User>,
    redirect_url: Option<&str>,
    message: &str,
    mail_with: InvitationMail<'_>,
) -> AppResult<(invitations::Invitation, String)> {
    let send = !matches!(mail_with, InvitationMail::None);
    let now = state.clock.now();
    let token = Token::generate();
    let row = invitations::NewInvitation {
        user_id: user.id,
        inviter_id: inviter.map(|i| i.id),
        email: &user.email,
        redirect_url,
        message,
        token_hash: &token.hash().0,
        sent: send,
        expires_at: now + Duration::days(crate::flows::settings::current(state).await?.invitation_ttl_days),
    };
    let invitation = invitations::insert(tx.conn(), &row, now).await?;
    let link = redeem_link(state, &token);
    match mail_with {
        InvitationMail::None => {}
        InvitationMail::Invitation => {
            let inviter_name = match inviter {
                Some(i) => i.display_name.clone(),
                None => crate::flows::settings::current(state).await?.org_name.clone(),
            };
            queue_invitation_mail(state, tx, &inviter_name, &invitation, &link).await?;
        }
        InvitationMail::Member => {
            let by = inviter.map(|i| i.display_name.as_str()).unwrap_or("An administrator");
            let org = crate::flows::settings::current(state).await?.org_name.clone();
            let expires = super::human_date(invitation.expires_at);
            let notice = mail::notices::member_invitation(&org, by, link.clone(), &expires);
            super::queue_notice(state, tx.conn(), &invitation.email, &notice).await?;
        }
        InvitationMail::Approval { package } => {
            let by = inviter.map(|i| i.display_name.as_str()).unwrap_or("");
            let expires = super::human_date(invitation.expires_at);
            let brand = crate::flows::settings::branding(state).await?;
            let letter = mail::letters::approved_invitation(&brand, package, by, &link, &expires)?;
            mail::queue(tx.conn(), &invitation.email, &letter, state.clock.now()).await?;
        }
    }
    Ok((invitation, link))
}

fn redeem_link(state: &AppState, token: &Token) -> String {
    state.links().redeem(token.expose())
}

async fn queue_invitation_mail(
    state: &AppState,
    tx: &mut Tx,
    inviter: &str,
    invitation: &invitations::Invitation,
    link: &str,
) -> AppResult<()> {
    let expires = super::human_date(invitation.expires_at);
    let letter = mail::letters::invitation(
        &crate::flows::settings::branding(state).await?,
        inviter,
        &invitation.message,
        link,
        &expires,
    )?;
    mail::queue(tx.conn(), &invitation.email, &letter, state.clock.now()).await?;
    Ok(())
}
