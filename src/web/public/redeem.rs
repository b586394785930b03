//! `/redeem/{token}`: landing (changes nothing) → email code → consent → redeemed.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::session;
use crate::db::apps::{self, App};
use crate::domain::invitation::LinkState;
use crate::domain::url::RedirectTarget;
use crate::domain::user::{SignInVerdict, may_sign_in};
use crate::error::{AppError, AppResult};
use crate::flows::codes::{Checked, Issued};
use crate::flows::email_issuer;
use crate::flows::redeem::{self, Landing, Proof, Redeemed};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::{Notice, PageCtx, render, render_invalid, render_with_status};
use crate::web::public::code_step::{self, CodeForm, Step};
use crate::web::public::outcomes::closed;
use crate::web::{client_ip, see_other};

const CODE_KEY: &str = "redeem_code";
const PROOF_KEY: &str = "redeem_proof";
/// A proof of identity must be turned into a redemption within this time.
const PROOF_TTL: Duration = Duration::minutes(15);

#[derive(Serialize, Deserialize)]
struct CodeSent {
    invitation_id: Uuid,
    code_id: Uuid,
}

#[derive(Serialize, Deserialize)]
struct HeldProof {
    proof: Proof,
    /// Unix seconds when the identity was proven.
    at: i64,
}

#[derive(Template)]
#[template(path = "public/redeem.html")]
struct LandingPage {
    ctx: PageCtx,
    providers: Vec<super::idp_choices::IdpChoice>,
    token: String,
    inviter: String,
    email: String,
    message: String,
    apps: Vec<App>,
    expires: DateTime<Utc>,
    /// A colleague joining as a member, not a guest.
    as_member: bool,
    /// The access package offered with the invitation, and whether it needs approval.
    package: Option<crate::db::packages::Package>,
}

impl LandingPage {
    /// "This invitation is for <strong>ana@…</strong>. It works until <time>…</time>."
    fn invited_for(&self) -> askama::filters::Safe<String> {
        let email = format!("<strong>{}</strong>", crate::i18n::escape(&self.email));
        let until = crate::web::dates::moment(&self.expires);
        askama::filters::Safe(crate::i18n::with_markup(
            self.ctx.lang,
            "redeem-for",
            &[("email", &email), ("until", &until)],
        ))
    }
}

#[derive(Template)]
#[template(path = "public/redeem_consent.html")]
struct ConsentPage {
    ctx: PageCtx,
    token: String,
    name: String,
    email: String,
    privacy_url: String,
    terms_text: String,
    terms_version: String,
    apps: Vec<App>,
    /// A colleague joining as a member, not a guest.
    as_member: bool,
    error: Option<String>,
}

/// Loads the invitation behind the link; `None` for a link that never existed (mistyped,
/// cut short by a mail program), which `not_valid` answers.
async fn load(state: &AppState, token: &str) -> AppResult<Option<Landing>> {
    redeem::open(state, token).await
}

pub async fn landing(
    req: HttpRequest,
    mut ctx: PageCtx,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let Some(l) = load(&state, &token).await? else { return Ok(super::outcomes::not_valid(ctx)) };
    ctx.lang = crate::web::language::of_invitation(&req, &l.invitation.language);
    if l.state != LinkState::Open {
        return Ok(closed(ctx, &l));
    }
    let domain = l.invitation.email.rsplit_once('@').map(|(_, d)| d.to_string());
    Ok(render(&LandingPage {
        ctx,
        providers: super::idp_choices::choices(&state, domain.as_deref()).await?,
        token: token.into_inner(),
        inviter: l.inviter_name,
        email: l.invitation.email,
        message: l.invitation.message,
        apps: l.apps,
        expires: l.invitation.expires_at,
        as_member: l.invitee.user_type == crate::domain::user::MEMBER,
        package: l.package,
    }))
}

pub async fn send_code(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let Some(l) = load(&state, &token).await? else { return Ok(super::outcomes::not_valid(ctx)) };
    if l.state != LinkState::Open {
        return Ok(closed(ctx, &l));
    }
    match redeem::send_code(&state, &l.invitation, &client_ip(&req)).await? {
        Issued::RateLimited => {
            let notice = Notice {
                ctx,
                title: "Please wait a moment".into(),
                message: "Several codes were sent to this address recently. Use the latest one, or wait a few minutes and ask again.".into(),
                link: Some((format!("/redeem/{}/code", token.as_str()), "Enter a code".into())),
            };
            Ok(render_with_status(StatusCode::TOO_MANY_REQUESTS, &notice))
        }
        Issued::Sent(code_id) => {
            session
                .insert(CODE_KEY, CodeSent { invitation_id: l.invitation.id, code_id })
                .map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))?;
            Ok(see_other(&format!("/redeem/{}/code", token.as_str())))
        }
    }
}

fn code_sent_for(session: &Session, invitation_id: Uuid) -> Option<CodeSent> {
    session.get::<CodeSent>(CODE_KEY).ok().flatten().filter(|c| c.invitation_id == invitation_id)
}

pub async fn code_form(
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let Some(l) = load(&state, &token).await? else { return Ok(super::outcomes::not_valid(ctx)) };
    if l.state != LinkState::Open {
        return Ok(closed(ctx, &l));
    }
    if code_sent_for(&session, l.invitation.id).is_none() {
        return Ok(see_other(&format!("/redeem/{}", token.as_str())));
    }
    Ok(code_step::ask(ctx, Step::Redeem(token.into_inner()), l.invitation.email))
}

pub async fn verify_code(
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
    f: CsrfForm<CodeForm>,
) -> AppResult<HttpResponse> {
    let Some(l) = load(&state, &token).await? else { return Ok(super::outcomes::not_valid(ctx)) };
    if l.state != LinkState::Open {
        return Ok(closed(ctx, &l));
    }
    let token = token.into_inner();
    let Some(sent) = code_sent_for(&session, l.invitation.id) else {
        return Ok(see_other(&format!("/redeem/{token}")));
    };
    let email = l.invitation.email.clone();
    let Some(code) = code_step::digits(&f.form.code) else {
        return Ok(code_step::malformed(ctx, Step::Redeem(token), email));
    };
    match redeem::verify_code(&state, l.invitation.id, sent.code_id, &code).await? {
        Checked::Valid(_) => {
            session.remove(CODE_KEY);
            let proof = Proof {
                invitation_id: l.invitation.id,
                provider: "email".into(),
                issuer: email_issuer(&state.settings.public_url),
                subject: email.clone(),
                email,
                partner_mfa: false,
            };
            hold_proof(&session, &state, proof)?;
            Ok(see_other(&format!("/redeem/{token}/consent")))
        }
        Checked::Wrong { tries_left } => Ok(code_step::wrong(ctx, Step::Redeem(token), email, tries_left)),
        Checked::Dead => {
            session.remove(CODE_KEY);
            Ok(code_step::spent(ctx, &Step::Redeem(token)))
        }
    }
}

/// Keeps a proven identity in the session until the guest accepts on the consent page.
pub fn hold_proof(session: &Session, state: &AppState, proof: Proof) -> AppResult<()> {
    let held = HeldProof { proof, at: state.clock.now().timestamp() };
    session.insert(PROOF_KEY, held).map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))
}

fn proof_for(state: &AppState, session: &Session, invitation_id: Uuid) -> Option<Proof> {
    let held = session.get::<HeldProof>(PROOF_KEY).ok().flatten()?;
    let fresh = state.clock.now().timestamp() - held.at < PROOF_TTL.num_seconds();
    (fresh && held.proof.invitation_id == invitation_id).then_some(held.proof)
}

use crate::domain::settings::PortalSettings;

fn consent_page(
    ctx: PageCtx,
    portal: &PortalSettings,
    token: String,
    l: Landing,
    error: Option<String>,
) -> ConsentPage {
    ConsentPage {
        ctx,
        token,
        as_member: l.invitee.user_type == crate::domain::user::MEMBER,
        name: l.invitee.display_name,
        email: l.invitation.email,
        privacy_url: portal.privacy_url.clone(),
        terms_text: portal.terms_text.clone(),
        terms_version: portal.terms_version.clone(),
        apps: l.apps,
        error,
    }
}

pub async fn consent(
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let Some(l) = load(&state, &token).await? else { return Ok(super::outcomes::not_valid(ctx)) };
    if l.state != LinkState::Open {
        return Ok(closed(ctx, &l));
    }
    if proof_for(&state, &session, l.invitation.id).is_none() {
        return Ok(see_other(&format!("/redeem/{}", token.as_str())));
    }
    Ok(render(&consent_page(ctx, &*crate::flows::settings::current(&state).await?, token.into_inner(), l, None)))
}

/// "Decline" on the consent page: the proven identity is forgotten and nothing is redeemed.
pub async fn decline(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let Some(l) = load(&state, &token).await? else { return Ok(super::outcomes::not_valid(ctx)) };
    let Some(proof) = proof_for(&state, &session, l.invitation.id) else {
        return Ok(see_other(&format!("/redeem/{}", token.as_str())));
    };
    redeem::decline(&state, &proof, &client_ip(&req)).await?;
    session.remove(PROOF_KEY);
    session.remove(CODE_KEY);
    Ok(render(&Declined { ctx, expires: l.invitation.expires_at }))
}

/// After declining: nothing happened, and the link still works until it ends.
#[derive(Template)]
#[template(path = "public/declined.html")]
struct Declined {
    ctx: PageCtx,
    expires: DateTime<Utc>,
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    accept_terms: Option<String>,
}

pub async fn accept(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
    f: CsrfForm<AcceptForm>,
) -> AppResult<HttpResponse> {
    let Some(l) = load(&state, &token).await? else { return Ok(super::outcomes::not_valid(ctx)) };
    let Some(proof) = proof_for(&state, &session, l.invitation.id) else {
        // A second click after the first one signed the guest in lands where the first did.
        if let Some(user) = session::current(&req).await?
            && user.id == l.invitation.user_id
            && l.state == LinkState::Redeemed
        {
            return Ok(see_other(&redirect_target(&state, l.invitation.redirect_url.as_deref()).await?));
        }
        if l.state != LinkState::Open {
            return Ok(closed(ctx, &l));
        }
        return Ok(see_other(&format!("/redeem/{}", token.as_str())));
    };
    let as_member = l.invitee.user_type == crate::domain::user::MEMBER;
    if !as_member && f.form.accept_terms.is_none() {
        let error = Some("Accept the terms of use to continue.".to_string());
        return Ok(render_invalid(&consent_page(
            ctx,
            &*crate::flows::settings::current(&state).await?,
            token.into_inner(),
            l,
            error,
        )));
    }
    match redeem::accept(&state, &proof, &client_ip(&req)).await? {
        Redeemed::Done { user, redirect } => {
            session::sign_in(&req, &session, &state, &user, proof.method()).await?;
            Ok(see_other(&redirect_target(&state, redirect.as_deref()).await?))
        }
        Redeemed::AlreadyRedeemed { user_id } => {
            // The same person clicked twice: the proof is theirs, so finish as the first
            // click did rather than show an error.
            let user = {
                let mut c = state.db.acquire().await?;
                crate::db::users::find(c.conn(), user_id).await?
            };
            match user {
                Some(u) if may_sign_in(u.state, u.expires_at, state.clock.now()) == SignInVerdict::Allowed => {
                    session::sign_in(&req, &session, &state, &u, proof.method()).await?;
                    Ok(see_other(&redirect_target(&state, l.invitation.redirect_url.as_deref()).await?))
                }
                _ => Ok(closed(ctx, &Landing { state: LinkState::Redeemed, ..l })),
            }
        }
        Redeemed::Closed(link_state) => Ok(closed(ctx, &Landing { state: link_state, ..l })),
        Redeemed::EmailMismatch => {
            let notice = Notice {
                ctx,
                title: "This invitation is for another address".into(),
                message: format!(
                    "The invitation was sent to {}, but you signed in as {}. Sign in with the invited address, or ask for an invitation to yours.",
                    l.invitation.email, proof.email
                ),
                link: None,
            };
            Ok(render_with_status(StatusCode::FORBIDDEN, &notice))
        }
    }
}

/// The invitation's redirect URL, checked again now (apps may have changed since), or the
/// Access Panel.
async fn redirect_target(state: &AppState, stored: Option<&str>) -> AppResult<String> {
    let Some(stored) = stored else {
        return Ok("/apps".into());
    };
    let origins = {
        let mut c = state.db.acquire().await?;
        apps::origins(&apps::all(c.conn()).await?)
    };
    Ok(match RedirectTarget::parse(stored, &state.settings.public_origin(), &origins) {
        Ok(t) => t.as_str().to_string(),
        Err(_) => "/apps".into(),
    })
}
