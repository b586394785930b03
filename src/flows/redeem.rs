//! F2 redeem: the landing page changes nothing; a code proves the invited address; the
//! consent POST redeems — atomically and exactly once, however many clicks arrive.

use uuid::Uuid;

use super::codes::{self, Checked, CodeFor, Issued};
use crate::db::apps::App;
use crate::db::audit::{self, Event};
use crate::db::invitations::Invitation;
use crate::db::users::User;
use crate::db::{Conn, apps, assignments, identities, invitations, users};
use crate::domain::audit::{Action, Actor};
use crate::domain::invitation::{LinkState, link_state};
use crate::domain::settings::PortalSettings;
use crate::domain::user::{GUEST, UserState};
use crate::error::{AppError, AppResult};
use crate::mail::letters::CodeUse;
use crate::secrets::TokenHash;
use crate::state::AppState;

pub const PURPOSE: &str = "redeem";

/// Everything the landing and consent pages show.
pub struct Landing {
    pub invitation: Invitation,
    pub invitee: User,
    pub inviter_name: String,
    pub apps: Vec<App>,
    pub state: LinkState,
    /// The access package offered with the invitation (still offered), asked for on accepting.
    pub package: Option<crate::db::packages::Package>,
}

/// Finds the invitation behind a link; `None` for a link that never existed.
pub async fn find(c: &mut Conn<'_>, token: &str) -> AppResult<Option<Invitation>> {
    let hash = TokenHash::of(token);
    let found = invitations::find_by_token_hash(c.reborrow(), &hash.0).await?;
    Ok(found.filter(|i| hash.matches(&i.token_hash)))
}

pub async fn open(state: &AppState, token: &str) -> AppResult<Option<Landing>> {
    let portal = crate::flows::settings::current(state).await?;
    let mut pooled = state.db.acquire().await?;
    let mut c = pooled.conn();
    let Some(invitation) = find(&mut c, token).await? else {
        return Ok(None);
    };
    let invitee = users::find(c.reborrow(), invitation.user_id).await?.ok_or(AppError::NotFound)?;
    let inviter_name = match invitation.inviter_id {
        Some(id) => users::find(c.reborrow(), id).await?.map(|u| u.display_name),
        None => None,
    }
    .unwrap_or_else(|| portal.org_name.clone());
    // What the guest will get: the invitation's apps, and those already given to them (an
    // approved access package assigns its apps and groups before redemption).
    let mut apps = apps::for_invitation(c.reborrow(), invitation.id).await?;
    for app in apps::for_user(c.reborrow(), invitee.id, state.clock.now()).await? {
        if !apps.iter().any(|a| a.id == app.id) {
            apps.push(app);
        }
    }
    let state_now = match link_state(invitation.status, invitation.expires_at, state.clock.now()) {
        LinkState::Open if refused(&portal, &invitee) => LinkState::Refused,
        other => other,
    };
    let package = match invitation.package_id {
        Some(id) => crate::db::packages::find(c.reborrow(), id).await?.filter(|p| p.published),
        None => None,
    };
    Ok(Some(Landing { invitation, invitee, inviter_name, apps, state: state_now, package }))
}

/// Whether the invitee may not redeem now: blocked, or a guest of a domain the partner
/// domain policy no longer admits (SPEC F2: checked again at redemption).
fn refused(portal: &PortalSettings, invitee: &User) -> bool {
    invitee.state == UserState::Blocked || !portal.admits_account(&invitee.user_type, &invitee.email)
}

/// Mails a code to the invited address.
pub async fn send_code(state: &AppState, invitation: &Invitation, ip: &str) -> AppResult<Issued> {
    let mut tx = state.db.begin().await?;
    let spec = CodeFor {
        purpose: PURPOSE,
        email: &invitation.email,
        user_id: Some(invitation.user_id),
        invitation_id: Some(invitation.id),
        deliver: true,
        code_use: CodeUse::AcceptInvitation,
        client_ip: ip,
        // Device cookies count at sign-in only.
        device_id: None,
    };
    let issued = codes::issue(state, &mut tx, &spec).await?;
    tx.commit().await?;
    Ok(issued)
}

/// Checks a code sent for `invitation_id`.
pub async fn verify_code(state: &AppState, invitation_id: Uuid, code_id: Uuid, typed: &str) -> AppResult<Checked> {
    let mut tx = state.db.begin().await?;
    let checked = codes::check(state, tx.conn(), code_id, PURPOSE, typed).await?;
    tx.commit().await?;
    Ok(match checked {
        Checked::Valid(code) if code.invitation_id != Some(invitation_id) => Checked::Dead,
        other => other,
    })
}

/// How the guest proved who they are, kept in their session until they accept.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Proof {
    pub invitation_id: Uuid,
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    /// The verified email the proof carries.
    pub email: String,
    /// The partner's IdP did MFA the admin accepts (`federated::method_for`).
    #[serde(default)]
    pub partner_mfa: bool,
}

impl Proof {
    pub fn method(&self) -> crate::domain::user::SignInMethod {
        use crate::domain::user::SignInMethod;
        match (self.provider.as_str(), self.partner_mfa) {
            ("email", _) => SignInMethod::OneTimeCode,
            (_, true) => SignInMethod::FederatedWithPartnerMfa,
            (_, false) => SignInMethod::Federated,
        }
    }
}

/// Why a home IdP's answer cannot redeem an invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofRefused {
    /// The IdP did not say the address is verified: it cannot be matched to the invitation.
    EmailNotVerified,
    /// The verified address is not the invited one.
    OtherAddress { signed_in_as: String },
}

impl ProofRefused {
    /// What the audit's failure event says.
    pub fn reason(&self) -> &'static str {
        match self {
            ProofRefused::EmailNotVerified => "the identity provider did not say the email is verified",
            ProofRefused::OtherAddress { .. } => "the verified email does not match the invitation",
        }
    }
}

/// The proof a home identity provider's answer gives for redeeming `invitation`, whatever
/// the protocol (OIDC today, SAML next): the address the IdP says is verified must be the
/// invited one. `partner_mfa`: the IdP's own MFA counts here (`federated::method_for`).
pub fn federated_proof(
    invitation: &Invitation,
    provider: &str,
    who: &crate::federation::Authenticated,
    partner_mfa: bool,
) -> Result<Proof, ProofRefused> {
    let email = who.verified_email().ok_or(ProofRefused::EmailNotVerified)?;
    if email != invitation.email {
        return Err(ProofRefused::OtherAddress { signed_in_as: email });
    }
    Ok(Proof {
        invitation_id: invitation.id,
        provider: provider.to_string(),
        partner_mfa,
        issuer: who.issuer.clone(),
        subject: who.subject.clone(),
        email,
    })
}

pub enum Redeemed {
    /// Redeemed now; go to `redirect`.
    Done {
        user: User,
        redirect: Option<String>,
    },
    /// Already redeemed — by this guest a moment ago (a double click), or earlier.
    AlreadyRedeemed {
        user_id: Uuid,
    },
    Closed(LinkState),
    /// The proven email is not the invited one (strict matching).
    EmailMismatch,
}

/// The invitee said no on the consent page: nothing is redeemed and the link keeps working
/// until it expires (they may change their mind). Audited; nobody is mailed.
pub async fn decline(state: &AppState, proof: &Proof, ip: &str) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let invitation = invitations::find(tx.conn(), proof.invitation_id).await?.ok_or(AppError::NotFound)?;
    let ev = Event::new(Action::InvitationDeclined, "user", invitation.user_id, &invitation.email);
    audit::record(tx.conn(), &Actor::user(invitation.user_id, &invitation.email, ip), &ev, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Redeems the invitation for the proven identity. The conditional UPDATE in
/// `mark_redeemed` is the single point of truth: only one transaction can win it.
pub async fn accept(state: &AppState, proof: &Proof, ip: &str) -> AppResult<Redeemed> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let invitation = invitations::find(tx.conn(), proof.invitation_id).await?.ok_or(AppError::NotFound)?;
    if !proof.email.eq_ignore_ascii_case(&invitation.email) {
        return Ok(Redeemed::EmailMismatch);
    }
    let invitee = users::find(tx.conn(), invitation.user_id).await?.ok_or(AppError::NotFound)?;
    let portal = crate::flows::settings::current(state).await?;
    if invitation.status == crate::domain::invitation::InvitationStatus::Pending && refused(&portal, &invitee) {
        let ev = Event::new(Action::InvitationRedemptionRefused, "user", invitee.id, &invitee.email)
            .details(if invitee.state == UserState::Blocked { "blocked" } else { "domain not admitted" });
        audit::record(tx.conn(), &Actor::user(invitee.id, &invitee.email, ip), &ev, now).await?;
        tx.commit().await?;
        return Ok(Redeemed::Closed(LinkState::Refused));
    }
    if !invitations::mark_redeemed(tx.conn(), invitation.id, now).await? {
        return Ok(match link_state(invitation.status, invitation.expires_at, now) {
            LinkState::Redeemed | LinkState::Open => Redeemed::AlreadyRedeemed { user_id: invitation.user_id },
            closed => Redeemed::Closed(closed),
        });
    }
    // Members join their own organization: the guests' terms are not theirs to accept.
    let terms = if invitee.user_type == GUEST { portal.terms_version.as_str() } else { "" };
    users::accept(tx.conn(), invitation.user_id, terms, now).await?;
    // The language the inviter chose becomes the guest's, unless they chose one already.
    if !invitation.language.is_empty() && invitee.language.is_empty() {
        users::set_language(tx.conn(), invitation.user_id, &invitation.language).await?;
    }
    let identity = identities::NewIdentity {
        user_id: invitation.user_id,
        provider: &proof.provider,
        issuer: &proof.issuer,
        subject: &proof.subject,
        email: &proof.email,
    };
    identities::link(tx.conn(), &identity, now).await?;
    for app_id in invitations::app_ids(tx.conn(), invitation.id).await? {
        assignments::assign(tx.conn(), app_id, invitation.user_id, now).await?;
    }
    let user = users::find(tx.conn(), invitation.user_id).await?.ok_or(AppError::NotFound)?;
    // The organization's guest lifetime starts now, unless someone set an end already.
    if user.user_type == GUEST && portal.guest_lifetime_days > 0 && user.expires_at.is_none() {
        let ends = now + chrono::Duration::days(portal.guest_lifetime_days);
        crate::db::sponsors::set_expiry(tx.conn(), user.id, Some(ends)).await?;
    }
    // The package the inviter offered: asked for in the guest's name, now that they are in.
    if let Some(package_id) = invitation.package_id
        && crate::db::packages::find(tx.conn(), package_id).await?.is_some_and(|p| p.published)
    {
        let inviter = match invitation.inviter_id {
            Some(id) => users::find(tx.conn(), id).await?.map(|u| u.display_name),
            None => None,
        };
        let reason = match inviter {
            Some(name) => format!("Offered with the invitation by {name}."),
            None => "Offered with the invitation.".to_string(),
        };
        super::signup::ask_in(state, &mut tx, &user, package_id, &reason, ip).await?;
    }
    let user = users::find(tx.conn(), invitation.user_id).await?.ok_or(AppError::NotFound)?;
    let actor = Actor::user(user.id, &user.email, ip);
    let details = format!("invitation={} via={} terms={terms}", invitation.id, proof.provider);
    let ev = Event::new(Action::InvitationRedeemed, "user", user.id, &user.email).details(details);
    audit::record(tx.conn(), &actor, &ev, now).await?;
    if proof.partner_mfa {
        // As at a federated sign-in: the partner's MFA stood for the second step.
        let ev = Event::new(Action::MfaMetByPartner, "user", user.id, &user.email).details(proof.provider.clone());
        audit::record(tx.conn(), &actor, &ev, now).await?;
    }
    tx.commit().await?;
    Ok(Redeemed::Done { user, redirect: invitation.redirect_url })
}
