//! F1 invite: creates the guest (pending acceptance) and the invitation, queues the mail and
//! audits it, all in one transaction. Resending, revoking and resetting a redemption are
//! `flows::invitations`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use super::invitations::InviteRefused;
use super::invitations::{InvitationMail, Note, issue_invitation, resend_in};
use crate::db::audit::{self, Event};
use crate::db::users::User;
use crate::db::{Tx, apps, groups, invitations, packages, sponsors, users};
use crate::domain::audit::{Action, Actor};
use crate::domain::audit_details;
use crate::domain::package::package_admits;
use crate::domain::user::{GUEST, MEMBER, UserState};
use crate::domain::{DisplayName, EmailAddress};
use crate::error::AppResult;
use crate::state::AppState;

pub use super::invite_input::{InviteFields, InviteInput, read};

pub struct Invited {
    pub user_id: Uuid,
    pub invitation_id: Uuid,
    /// The redemption link, for the admin to pass on when no mail was sent.
    pub link: String,
    pub sent: bool,
    /// The address already had a pending invitation: it was sent again.
    pub resent: bool,
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
/// The members named by address as further sponsors of a guest (the invite form's field),
/// or which address is not a member who can sponsor.
pub async fn sponsors_named(state: &AppState, emails: &[EmailAddress]) -> AppResult<Result<Vec<Uuid>, String>> {
    let mut c = state.db.acquire().await?;
    let mut ids = Vec::new();
    for email in emails {
        match users::find_by_email(c.conn(), email.as_str()).await? {
            Some(u) if u.user_type == MEMBER && u.state == UserState::Accepted => ids.push(u.id),
            _ => return Ok(Err(format!("{email} is not a member who can sign in; only members sponsor guests."))),
        }
    }
    Ok(Ok(ids))
}

pub async fn invite_in(
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
    // Its owner asked for no more invitations: nobody invites them, pending or not.
    if super::do_not_invite::is_listed(tx.conn(), input.email.as_str()).await? {
        return Ok(Err(InviteRefused::DoNotInvite(input.email.to_string())));
    }
    // Their names go into the audit event: the log says which apps, even once renamed.
    let mut app_names = Vec::with_capacity(input.app_ids.len());
    for app_id in &input.app_ids {
        match apps::find(tx.conn(), *app_id).await? {
            Some(app) => app_names.push(app.name),
            None => return Ok(Err(InviteRefused::UnknownApp)),
        }
    }
    for group_id in &input.group_ids {
        if groups::find(tx.conn(), *group_id).await?.is_none() {
            return Ok(Err(InviteRefused::UnknownGroup));
        }
    }
    // A package is offered, not given: anyone who may invite may offer a published one;
    // its approvers decide after the guest accepted (unless it needs no approval).
    if let Some(package_id) = input.package_id {
        let Some(package) = packages::find(tx.conn(), package_id).await?.filter(|p| p.published) else {
            return Ok(Err(InviteRefused::UnknownPackage));
        };
        if !package_admits(&package.domains, input.email.domain()) {
            return Ok(Err(InviteRefused::PackageRefusesDomain(package.name, input.email.domain().to_string())));
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
            // Only an admin or one of the guest's sponsors may send it again: anyone else
            // would become a sponsor and void the link the guest holds (issue 23), so they
            // are told whom to ask and nothing changes.
            if !inviter.is_admin && !sponsors::is_sponsor(tx.conn(), u.id, inviter.id).await? {
                let by = sponsors::of(tx.conn(), u.id).await?.into_iter().next().map(|s| s.display_name);
                return Ok(Err(InviteRefused::InvitedByOther { email: u.email, sponsor: by }));
            }
            // Inviting a pending guest again re-sends their invitation (with any new apps);
            // one whose invitation was revoked gets a new one.
            let (invitation_id, link) = if invitations::pending_for_user(tx.conn(), u.id).await?.is_some() {
                // The mail says what this request says, and copies whom it names.
                match resend_in(state, tx, &u, input.send_email, Some(Note::of(input)), actor).await? {
                    Ok(sent) => sent,
                    Err(refused) => return Ok(Err(refused)),
                }
            } else {
                let redirect = input.redirect.as_ref().map(|r| r.as_str());
                let mail_with = if input.send_email { InvitationMail::Invitation } else { InvitationMail::None };
                let (invitation, link) =
                    issue_invitation(state, tx, &u, Some(inviter), redirect, Note::of(input), mail_with).await?;
                let ev = Event::new(Action::UserInvited, "user", u.id, &u.email).details("again after a revocation");
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
                Note::of(input),
                if input.send_email { InvitationMail::Invitation } else { InvitationMail::None },
            )
            .await?;
            give(tx, input, invitation.id, user.id, now).await?;
            let mut details = format!(
                "apps={} groups={} sponsors={} mail={}",
                input.app_ids.len(),
                input.group_ids.len(),
                input.sponsor_ids.len() + 1,
                input.send_email
            );
            for name in &app_names {
                details.push(' ');
                details.push_str(&audit_details::pair("app", name));
            }
            let ev = Event::new(Action::UserInvited, "user", user.id, &user.email).details(details);
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
    if let Some(package_id) = input.package_id {
        invitations::set_package(tx.conn(), invitation_id, package_id).await?;
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
        issue_invitation(state, &mut tx, &user, Some(admin), None, Note::default(), InvitationMail::Member).await?;
    audit::record(tx.conn(), actor, &Event::new(Action::UserMemberAdded, "user", user.id, &user.email), now).await?;
    tx.commit().await?;
    Ok(Ok(Invited { user_id: user.id, invitation_id: invitation.id, link, sent: true, resent: false }))
}
