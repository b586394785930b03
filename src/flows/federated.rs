//! Signing in and redeeming through a home IdP: what a verified identity leads to.

use crate::db::audit::{self, Event};
use crate::db::identity_providers::{self, IdentityProvider};
use crate::db::{identities, users};
use crate::domain::audit::{Action, Actor};
use crate::domain::user::SignInMethod;
use crate::error::{AppError, AppResult};
use crate::federation::{self, Authenticated, Departure, FederationError, Pending, Provider, Purpose};
use crate::flows::signin::{self, SignIn};
use crate::state::AppState;

/// An enabled IdP by slug, ready to use.
pub async fn provider(state: &AppState, slug: &str) -> AppResult<Option<(IdentityProvider, Provider)>> {
    let row = {
        let mut c = state.db.acquire().await?;
        identity_providers::find_by_slug(c.conn(), slug).await?
    };
    let Some(row) = row.filter(|r| r.enabled && r.kind != "saml") else { return Ok(None) };
    let provider = Provider::from_row(&row, &state.key, &state.settings.public_url)
        .map_err(|e| AppError::Internal(e.context(format!("identity provider {slug}"))))?;
    Ok(Some((row, provider)))
}

/// Where to send the browser to start signing in at OIDC or OAuth IdP `slug`, and what its
/// session keeps (a SAML IdP starts at `flows::saml::begin`).
pub async fn begin(
    state: &AppState,
    slug: &str,
    purpose: Purpose,
    login_hint: Option<&str>,
) -> AppResult<Option<Result<(Departure, Pending), FederationError>>> {
    let Some((_, p)) = provider(state, slug).await? else { return Ok(None) };
    let now = state.clock.now().timestamp();
    let started = federation::start(&state.http, &state.idp_metadata, &p, purpose, login_hint, now).await;
    Ok(Some(started.map(|(url, pending)| (Departure::Redirect(url), pending))))
}

pub enum FederatedSignIn {
    Done(SignIn),
    /// No account is linked to this identity.
    NoAccount,
}

/// Signs in the user linked to this identity. On the host's workforce IdP, a member with
/// the same verified address is linked on first use (the host runs that IdP), and a
/// verified address in one of the organization's own domains with no account yet becomes
/// a member just in time. On any other IdP an unknown identity is refused — never matched
/// by email (the "nOAuth" takeover).
pub async fn sign_in(
    state: &AppState,
    idp: &IdentityProvider,
    who: &Authenticated,
    ip: &str,
) -> AppResult<FederatedSignIn> {
    let outcome = sign_in_uncounted(state, idp, who, ip).await?;
    let label = match &outcome {
        FederatedSignIn::Done(done) => done.label(),
        FederatedSignIn::NoAccount => "no_account",
    };
    crate::telemetry::sign_in("federated", label);
    Ok(outcome)
}

async fn sign_in_uncounted(
    state: &AppState,
    idp: &IdentityProvider,
    who: &Authenticated,
    ip: &str,
) -> AppResult<FederatedSignIn> {
    // Read before the transaction: nothing that may need a pool connection runs inside one.
    let portal = crate::flows::settings::current(state).await?;
    let mut tx = state.db.begin().await?;
    let mut user_id = identities::user_of(tx.conn(), &who.issuer, &who.subject).await?;
    if user_id.is_none()
        && idp.is_workforce
        && let Some(email) = who.verified_email()
        && let Some(member) = users::find_by_email(tx.conn(), &email).await?
        && member.user_type == crate::domain::user::MEMBER
    {
        user_id = Some(member.id);
    }
    if user_id.is_none()
        && idp.is_workforce
        && let Some(email) = who.verified_email().filter(|e| portal.is_organization_email(e))
        && let Ok(address) = crate::domain::EmailAddress::parse(&email)
        && users::find_by_email(tx.conn(), address.as_str()).await?.is_none()
    {
        let name = who
            .name
            .as_deref()
            .and_then(|n| crate::domain::DisplayName::parse(n).ok())
            .unwrap_or_else(|| crate::domain::DisplayName::from_email(&address));
        let new = users::NewUser {
            email: address.as_str(),
            display_name: name.as_str(),
            user_type: crate::domain::user::MEMBER,
            state: crate::domain::user::UserState::Accepted,
            created_via: "workforce",
            is_admin: false,
        };
        let member = users::insert(tx.conn(), &new, state.clock.now()).await?;
        let ev = Event::new(Action::UserCreatedMember, "user", member.id, &member.email)
            .details(format!("just in time, through {}", idp.slug));
        audit::record(tx.conn(), &Actor::anonymous(ip), &ev, state.clock.now()).await?;
        user_id = Some(member.id);
    }
    let Some(user) = (match user_id {
        Some(id) => users::find(tx.conn(), id).await?,
        None => None,
    }) else {
        let ev = Event::new(Action::UserSignInRefused, "identity", &who.subject, &idp.slug)
            .details(format!("no account linked; issuer={}", who.issuer));
        audit::record(tx.conn(), &Actor::anonymous(ip), &ev, state.clock.now()).await?;
        tx.commit().await?;
        return Ok(FederatedSignIn::NoAccount);
    };
    let email = who.verified_email().unwrap_or_else(|| user.email.clone());
    let link = identities::NewIdentity {
        user_id: user.id,
        provider: &idp.slug,
        issuer: &who.issuer,
        subject: &who.subject,
        email: &email,
    };
    let outcome = signin::complete(state, &mut tx, user, Some(link), ip).await?;
    if let SignIn::Done(user) = &outcome
        && method_for(state, idp, who) == SignInMethod::FederatedWithPartnerMfa
    {
        let ev = Event::new(Action::MfaMetByPartner, "user", user.id, &user.email).details(format!(
            "{}: amr={} acr={}",
            idp.slug,
            who.amr.join(" "),
            who.acr.as_deref().unwrap_or("")
        ));
        audit::record(tx.conn(), &Actor::user(user.id, &user.email, ip), &ev, state.clock.now()).await?;
    }
    tx.commit().await?;
    Ok(FederatedSignIn::Done(outcome))
}

/// How a federated sign-in counts: with the partner's MFA where the admin trusts this IdP's
/// and its ID token shows a recent one (`domain::mfa::partner_mfa`).
pub fn method_for(state: &AppState, idp: &IdentityProvider, who: &Authenticated) -> SignInMethod {
    let met = idp.trust_mfa
        && crate::domain::mfa::partner_mfa(
            &who.amr,
            who.acr.as_deref(),
            &idp.trusted_acr,
            who.auth_time,
            state.clock.now(),
        );
    if met { SignInMethod::FederatedWithPartnerMfa } else { SignInMethod::Federated }
}

/// Whether `slug` names a configured identity provider. Callback and start URLs with any
/// other slug are 404s that write nothing: no attacker-chosen rows.
pub async fn known(state: &AppState, slug: &str) -> AppResult<bool> {
    let mut c = state.db.acquire().await?;
    Ok(identity_providers::find_by_slug(c.conn(), slug).await?.is_some())
}

/// Audits a federation failure (cancelled, tampered, IdP down, bad token) — no other change.
/// Only for a configured IdP, named by its id and slug as stored.
pub async fn record_failure(state: &AppState, slug: &str, what: &str, ip: &str) -> AppResult<()> {
    let mut tx = state.db.begin().await?;
    let Some(idp) = identity_providers::find_by_slug(tx.conn(), slug).await? else {
        return Ok(());
    };
    let ev = Event::new(Action::FederationFailed, "identity_provider", idp.id, &idp.slug)
        .details(what.chars().take(500).collect::<String>());
    audit::record(tx.conn(), &Actor::anonymous(ip), &ev, state.clock.now()).await?;
    tx.commit().await?;
    Ok(())
}
