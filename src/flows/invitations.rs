//! An invitation's life after inviting (F1): issuing its link and mail, sending it again,
//! revoking it, and resetting a guest's redemption. Inviting itself is `flows::invite`.

use chrono::Duration;
use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::users::User;
use crate::db::{Tx, identities, invitations, users};
use crate::domain::audit::{Action, Actor};
use crate::domain::invitation::{MAX_SENDS, RESEND_INTERVAL_SECS};
use crate::domain::user::{GUEST, MEMBER, UserState};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::mail;
use crate::secrets::Token;
use crate::state::AppState;

/// Why inviting someone, or sending their invitation again, is refused: told to the person
/// who asked, on the page or in the API's problem.
#[derive(Debug, thiserror::Error)]
pub enum InviteRefused {
    #[error("{0} is a member of this organization already.")]
    IsMember(String),
    #[error("{0} has redeemed an invitation already. Assign apps on their user page instead.")]
    AlreadyGuest(String),
    #[error("One of the chosen apps no longer exists. Reload the page and choose again.")]
    UnknownApp,
    /// With the seconds until it may be sent again.
    #[error("An invitation to this address was sent less than a minute ago. You can send it again in {0} seconds.")]
    TooSoon(i64),
    #[error("This invitation has been sent {0} times. Revoke it and check the address with the guest.")]
    TooManySends(i64),
    #[error("Addresses at {0} may not be invited: the partner domain policy in Settings does not allow it.")]
    DomainNotAllowed(String),
    #[error(
        "{0} asked not to be invited by this organization (it is on the do-not-invite list). An admin can lift the entry if they ask to be invited after all."
    )]
    DoNotInvite(String),
    #[error("You may not invite guests: Settings say who may, and ask an admin if you need to.")]
    NotAllowed,
    #[error(
        "Only an admin can give apps or groups with an invitation; invite without them, and ask an admin for access."
    )]
    AppsNeedAdmin,
    #[error("One of the chosen groups no longer exists.")]
    UnknownGroup,
    #[error("The chosen access package is not offered any more. Reload the page and choose again.")]
    UnknownPackage,
    #[error("The access package {0} does not admit addresses at {1}.")]
    PackageRefusesDomain(String, String),
    #[error("Sponsor {0} is not a member of the organization who can sign in; only members sponsor guests.")]
    NotASponsor(Uuid),
    #[error(
        "{0} is a guest here. A guest does not become a member; remove the guest first if they joined the organization."
    )]
    IsGuest(String),
    #[error("{0} has a pending invitation already.")]
    Pending(String),
    /// Someone who neither administers nor sponsors the guest invited them again.
    #[error("{email} was already invited{}", ask_whom(.sponsor.as_deref()))]
    InvitedByOther { email: String, sponsor: Option<String> },
}

impl InviteRefused {
    /// The form field a refusal is shown next to.
    pub fn field(&self) -> &'static str {
        match self {
            InviteRefused::UnknownApp | InviteRefused::AppsNeedAdmin => "apps",
            InviteRefused::UnknownGroup => "groups",
            InviteRefused::NotASponsor(_) => "sponsors",
            InviteRefused::UnknownPackage | InviteRefused::PackageRefusesDomain(..) => "package",
            _ => "email",
        }
    }
}

fn ask_whom(sponsor: Option<&str>) -> String {
    match sponsor {
        Some(name) => format!(" by {name}; ask them or an administrator to send the invitation again."),
        None => "; ask an administrator to send the invitation again.".into(),
    }
}

/// Issues a new link for the user's pending invitation (the old one stops working) and
/// mails it.
pub async fn resend(state: &AppState, user_id: Uuid, actor: &Actor) -> AppResult<Result<String, InviteRefused>> {
    let mut tx = state.db.begin().await?;
    let outcome = resend_within(state, &mut tx, user_id, actor).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// `resend`, inside the caller's transaction (the API keeps its answer in it).
pub async fn resend_within(
    state: &AppState,
    tx: &mut Tx,
    user_id: Uuid,
    actor: &Actor,
) -> AppResult<Result<String, InviteRefused>> {
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    Ok(resend_in(state, tx, &user, true, None, actor).await?.map(|(_, link)| link))
}

pub(super) async fn resend_in(
    state: &AppState,
    tx: &mut Tx,
    user: &User,
    send: bool,
    note: Option<Note<'_>>,
    actor: &Actor,
) -> AppResult<Result<(Uuid, String), InviteRefused>> {
    let now = state.clock.now();
    let invitation = invitations::pending_for_user(tx.conn(), user.id)
        .await?
        .ok_or_else(|| AppError::BadRequest(format!("{} has no pending invitation to send again.", user.email)))?;
    if invitation.sent_count >= MAX_SENDS {
        return Ok(Err(InviteRefused::TooManySends(invitation.sent_count)));
    }
    if let Some(sent) = invitation.last_sent_at
        && now - sent < Duration::seconds(RESEND_INTERVAL_SECS)
    {
        let wait = RESEND_INTERVAL_SECS - (now - sent).num_seconds();
        return Ok(Err(InviteRefused::TooSoon(wait.max(1))));
    }
    // A new request's message and Cc replace the earlier ones; a plain resend keeps them.
    let invitation = match note {
        Some(note) => {
            invitations::set_note(tx.conn(), invitation.id, note.message, note.cc, note.language).await?;
            let (message, cc, language) = (note.message.to_string(), note.cc.to_string(), note.language.to_string());
            invitations::Invitation { message, cc, language, ..invitation }
        }
        None => invitation,
    };
    let token = Token::generate();
    let expires = now + Duration::days(crate::flows::settings::current(state).await?.invitation_ttl_days);
    invitations::reissue(tx.conn(), invitation.id, &token.hash().0, expires, now).await?;
    let link = redeem_link(state, &token);
    if send {
        let inviter = match invitation.inviter_id {
            Some(id) => users::find(tx.conn(), id).await?,
            None => None,
        };
        let invitation = invitations::Invitation { expires_at: expires, ..invitation };
        if user.user_type == MEMBER {
            let org = crate::flows::settings::current(state).await?.org_name.clone();
            let by = inviter.as_ref().map_or(org.as_str(), |i| i.display_name.as_str());
            let notice = mail::notices::member_invitation(&org, by, link.clone(), &super::human_date(expires));
            super::queue_notice(state, tx.conn(), &invitation.email, &notice).await?;
        } else {
            queue_invitation_mail(state, tx, inviter.as_ref(), &invitation, &link).await?;
        }
    }
    let ev = Event::new(Action::InvitationResent, "user", user.id, &user.email)
        .details(format!("invitation={}", invitation.id));
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
    let mut tx = state.db.begin().await?;
    let outcome = reset_redemption_within(state, &mut tx, user_id, inviter, None, Note::default(), actor).await?;
    if outcome.is_ok() {
        tx.commit().await?;
    }
    Ok(outcome)
}

/// `reset_redemption`, inside the caller's transaction (the API keeps its answer in it).
/// The new invitation lands where `redirect` says, or where the guest's last one did, and
/// its mail says what `note` says.
pub async fn reset_redemption_within(
    state: &AppState,
    tx: &mut Tx,
    user_id: Uuid,
    inviter: &User,
    redirect: Option<&str>,
    note: Note<'_>,
    actor: &Actor,
) -> AppResult<Result<String, InviteRefused>> {
    let now = state.clock.now();
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    if user.user_type != GUEST {
        return Ok(Err(InviteRefused::IsMember(user.email)));
    }
    if let Some(pending) = invitations::pending_for_user(tx.conn(), user.id).await? {
        invitations::revoke(tx.conn(), pending.id, now).await?;
    }
    let last = invitations::for_user(tx.conn(), user.id).await?.into_iter().next();
    let redirect = redirect.map(str::to_string).or_else(|| last.and_then(|i| i.redirect_url));
    let unlinked = identities::delete_for_user(tx.conn(), user.id).await?;
    users::set_state(tx.conn(), user.id, UserState::PendingAcceptance).await?;
    crate::auth::ending::all(tx.conn(), user.id, now).await?;
    let mail = InvitationMail::Invitation;
    let (_, link) = issue_invitation(state, tx, &user, Some(inviter), redirect.as_deref(), note, mail).await?;
    let ev = Event::new(Action::UserRedemptionReset, "user", user.id, &user.email)
        .details(format!("identities_unlinked={unlinked}"));
    audit::record(tx.conn(), actor, &ev, now).await?;
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
        let ev = Event::new(Action::InvitationRevoked, "user", user.id, &user.email)
            .details(format!("invitation={}", invitation.id));
        audit::record(tx.conn(), actor, &ev, now).await?;
    }
    tx.commit().await?;
    Ok(revoked)
}

/// What an invitation says besides its link: the inviter's message, and the address its
/// mail is copied to (empty: none).
#[derive(Clone, Copy, Default)]
pub struct Note<'a> {
    pub message: &'a str,
    pub cc: &'a str,
    /// The language its mail is in (a tag; empty: the guest's own or English).
    pub language: &'a str,
}

impl<'a> Note<'a> {
    pub fn of(input: &'a crate::domain::invite::InviteInput) -> Note<'a> {
        Note {
            message: input.message.as_str(),
            cc: input.cc.as_ref().map_or("", |c| c.as_str()),
            language: input.language.map_or("", crate::i18n::Lang::tag),
        }
    }
}

/// Which mail an invitation goes out with, if any.
pub(crate) enum InvitationMail<'a> {
    None,
    /// "{inviter} invited you to …", with the invitation's message.
    Invitation,
    /// "Your request for {package} was approved": the partner asked for it.
    Approval(&'a mail::letters::Approved<'a>),
    /// "{admin} added you to {org}'s portal": a colleague becomes a member.
    Member,
}

/// A new invitation for `user` with a fresh link, mailed as `mail_with` says; returns it and
/// the link. Without an inviter the mail names the organization (sign-up approvals).
pub(crate) async fn issue_invitation(
    state: &AppState,
    tx: &mut Tx,
    user: &User,
    inviter: Option<&User>,
    redirect_url: Option<&str>,
    note: Note<'_>,
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
        message: note.message,
        cc: note.cc,
        language: note.language,
        token_hash: &token.hash().0,
        sent: send,
        expires_at: now + Duration::days(crate::flows::settings::current(state).await?.invitation_ttl_days),
    };
    let invitation = invitations::insert(tx.conn(), &row, now).await?;
    let link = redeem_link(state, &token);
    match mail_with {
        InvitationMail::None => {}
        InvitationMail::Invitation => {
            queue_invitation_mail(state, tx, inviter, &invitation, &link).await?;
        }
        InvitationMail::Member => {
            let by = inviter.map(|i| i.display_name.as_str()).unwrap_or("An administrator");
            let org = crate::flows::settings::current(state).await?.org_name.clone();
            let expires = super::human_date(invitation.expires_at);
            let notice = mail::notices::member_invitation(&org, by, link.clone(), &expires);
            super::queue_notice(state, tx.conn(), &invitation.email, &notice).await?;
        }
        InvitationMail::Approval(approved) => {
            let expires = super::human_date(invitation.expires_at);
            let brand = crate::flows::settings::branding(state).await?;
            let letter = mail::letters::approved_invitation(&brand, approved, &link, &expires)?;
            // Replies reach the person who decided.
            let letter = match inviter {
                Some(i) => letter.replying_to(&i.display_name, &i.email),
                None => letter,
            };
            mail::queue(tx.conn(), &invitation.email, &letter, state.clock.now()).await?;
        }
    }
    Ok((invitation, link))
}

fn redeem_link(state: &AppState, token: &Token) -> String {
    state.links().redeem(token.expose())
}

/// The invitation mail, in the inviter's name and with their address (replies reach
/// them); in the organization's name when nobody in particular invited (the API, a package).
async fn queue_invitation_mail(
    state: &AppState,
    tx: &mut Tx,
    inviter: Option<&User>,
    invitation: &invitations::Invitation,
    link: &str,
) -> AppResult<()> {
    let expires = super::human_date(invitation.expires_at);
    let brand = crate::flows::settings::branding(state).await?;
    let (name, address) = match inviter {
        Some(i) => (i.display_name.as_str(), Some(i.email.as_str())),
        None => (brand.org_name.as_str(), None),
    };
    let block = super::do_not_invite::link(state, invitation.id);
    // The invitation's language, else the guest's own, else English.
    let guest_language = users::find(tx.conn(), invitation.user_id).await?.map(|u| u.language).unwrap_or_default();
    let lang = Lang::shipped_of(&invitation.language).or_else(|| Lang::shipped_of(&guest_language)).unwrap_or(Lang::En);
    let particulars = mail::letters::Invitation {
        lang,
        inviter: name,
        inviter_address: address,
        message: &invitation.message,
        link,
        expires: &expires,
        block: &block,
    };
    let letter = mail::letters::invitation(&brand, &particulars)?.copying(&invitation.cc);
    mail::queue(tx.conn(), &invitation.email, &letter, state.clock.now()).await?;
    Ok(())
}
