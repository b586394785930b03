//! `/auth/{slug}/start` sends the browser to its home IdP; `/auth/{slug}/callback` brings
//! it back. Every failure gets its own page, is audited, and links nothing.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::session;
use crate::db::identity_providers::IdentityProvider;
use crate::domain::invitation::LinkState;
use crate::error::{AppError, AppResult};
use crate::federation::{self, Authenticated, Departure, FLOW_TTL_SECS, FederationError, Pending, Purpose};
use crate::flows::federated::{self, FederatedSignIn};
use crate::flows::redeem::{self, ProofRefused};
use crate::flows::signin::SignIn;
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::page::{Notice, PageCtx, render, render_with_status};
use crate::web::{client_ip, see_other};

const FLOW_KEY: &str = "federation_flow";

#[derive(Deserialize)]
pub struct StartForm {
    purpose: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: String,
}

fn problem(
    ctx: PageCtx,
    status: StatusCode,
    title: &str,
    message: String,
    link: Option<(String, String)>,
) -> HttpResponse {
    render_with_status(status, &Notice { ctx, title: title.into(), message, link })
}

pub async fn start(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    slug: web::Path<String>,
    f: CsrfForm<StartForm>,
) -> AppResult<HttpResponse> {
    if !federated::known(&state, &slug).await? {
        return Err(AppError::NotFound);
    }
    let (purpose, hint) = match f.form.purpose.as_str() {
        "redeem" => {
            let landing = redeem::open(&state, &f.form.token).await?.ok_or(AppError::NotFound)?;
            if landing.state != LinkState::Open {
                return Ok(super::outcomes::closed(ctx, &landing));
            }
            (Purpose::Redeem { token: f.form.token.clone() }, Some(landing.invitation.email))
        }
        "signin" => {
            let next =
                if crate::domain::url::is_local_path(&f.form.next) { f.form.next.clone() } else { String::new() };
            (Purpose::SignIn { next }, None)
        }
        _ => {
            return Err(AppError::BadRequest(
                "The sign-in form was not understood. Reload the page and try again.".into(),
            ));
        }
    };
    send_to_idp(&req, ctx, &state, &session, &slug, purpose, hint.as_deref()).await
}

/// Remembers the flow in this browser's session and redirects to the IdP.
pub async fn send_to_idp(
    req: &HttpRequest,
    ctx: PageCtx,
    state: &AppState,
    session: &Session,
    slug: &str,
    purpose: Purpose,
    login_hint: Option<&str>,
) -> AppResult<HttpResponse> {
    let begun = match crate::flows::saml::find(state, slug).await? {
        Some(p) if p.idp.enabled => Some(Ok(crate::flows::saml::begin(state, &p, purpose).await?)),
        Some(_) => None,
        None => federated::begin(state, slug, purpose, login_hint).await?,
    };
    match begun {
        None => Err(AppError::NotFound),
        Some(Ok((departure, pending))) => {
            session.insert(FLOW_KEY, pending).map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))?;
            Ok(match departure {
                Departure::Redirect(url) => see_other(&url),
                Departure::Post { action, fields } => render(&PostToIdp { ctx, action, fields }),
            })
        }
        Some(Err(e)) => {
            federated::record_failure(state, slug, &e.to_string(), &client_ip(req)).await?;
            Ok(idp_unavailable(ctx, &e))
        }
    }
}

/// SAML's HTTP-POST binding: a form the browser posts to the IdP (`static/autopost.js`
/// submits it; without script, the person presses Continue).
#[derive(askama::Template)]
#[template(path = "public/post_to_idp.html")]
struct PostToIdp {
    ctx: PageCtx,
    action: String,
    fields: Vec<(String, String)>,
}

/// The browser's session: the flow it started, taken once (a replay finds nothing).
pub(super) fn take_flow(session: &Session) -> Option<Pending> {
    session.remove_as(FLOW_KEY).and_then(Result::ok)
}

fn idp_unavailable(ctx: PageCtx, e: &FederationError) -> HttpResponse {
    tracing::warn!(error = %e, "identity provider problem");
    let (status, title, message) = match e {
        FederationError::Discovery(_) | FederationError::Unsupported => (
            StatusCode::BAD_GATEWAY,
            "Your organization's sign-in is not available",
            "We could not reach your identity provider, or it answered in a way we cannot trust. Try again in a few minutes; if it keeps happening, tell the person who invited you.",
        ),
        FederationError::Exchange(_) => (
            StatusCode::BAD_GATEWAY,
            "Signing in did not complete",
            "Your identity provider did not confirm the sign-in. Start again; if it keeps happening, tell the person who invited you.",
        ),
        FederationError::InvalidToken(_) => (
            StatusCode::BAD_REQUEST,
            "Signing in did not complete",
            "The answer from your identity provider could not be verified, so nothing was changed. Start again.",
        ),
    };
    problem(ctx, status, title, message.into(), Some(("/signin".into(), "Back to sign-in".into())))
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// Where to go back to after a failed attempt.
fn retry_link(purpose: &Purpose) -> (String, String) {
    match purpose {
        Purpose::Redeem { token } => (format!("/redeem/{token}"), "Back to your invitation".into()),
        Purpose::SignIn { .. } => ("/signin".into(), "Back to sign-in".into()),
    }
}

pub async fn callback(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    slug: web::Path<String>,
    q: web::Query<CallbackQuery>,
) -> AppResult<HttpResponse> {
    if !federated::known(&state, &slug).await? {
        return Err(AppError::NotFound);
    }
    let ip = client_ip(&req);
    // Single use: a replayed callback finds nothing here.
    let pending = take_flow(&session);
    let (st, sl, ipr): (&AppState, &str, &str) = (&state, slug.as_str(), ip.as_str());
    let fail = |what: &'static str| async move { federated::record_failure(st, sl, what, ipr).await };
    let Some(pending) = pending else {
        fail("callback without a flow started in this browser (replayed, or from another browser)").await?;
        let msg = "This sign-in was not started in this browser, or it was already used. Start again from the page you came from.";
        return Ok(problem(
            ctx,
            StatusCode::BAD_REQUEST,
            "This sign-in link has expired",
            msg.into(),
            Some(("/signin".into(), "Sign in".into())),
        ));
    };
    let back = Some(retry_link(&pending.purpose));
    let state_ok = q.state.as_deref().is_some_and(|s| crate::secrets::constant_time_eq(s, &pending.state));
    if pending.slug != slug.as_str() || !state_ok {
        fail("state missing, altered, or for another identity provider").await?;
        let msg = "The answer from the identity provider did not match the sign-in this browser started, so it was refused. Start again.";
        return Ok(problem(ctx, StatusCode::BAD_REQUEST, "Signing in did not complete", msg.into(), back));
    }
    if state.clock.now().timestamp() - pending.started > FLOW_TTL_SECS {
        fail("flow took too long").await?;
        let msg = "Signing in took too long. Start again.";
        return Ok(problem(ctx, StatusCode::BAD_REQUEST, "Signing in took too long", msg.into(), back));
    }
    if let Some(error) = &q.error {
        let cancelled = error == "access_denied";
        fail(if cancelled { "cancelled at the identity provider" } else { "the identity provider returned an error" })
            .await?;
        let (title, msg) = if cancelled {
            ("You cancelled signing in", "Nothing was changed. You can start again whenever you are ready.")
        } else {
            (
                "Your identity provider refused the sign-in",
                "Nothing was changed. Try again, or ask your organization's IT team.",
            )
        };
        return Ok(problem(ctx, StatusCode::BAD_REQUEST, title, msg.into(), back));
    }
    let Some(code) = q.code.as_deref().filter(|c| !c.is_empty() && c.len() < 4096) else {
        fail("callback without a code").await?;
        return Ok(problem(
            ctx,
            StatusCode::BAD_REQUEST,
            "Signing in did not complete",
            "The identity provider sent no sign-in code. Start again.".into(),
            back,
        ));
    };
    let Some((idp, provider)) = federated::provider(&state, &slug).await? else {
        return Err(AppError::NotFound);
    };
    let who = match federation::finish(&state.http, &state.idp_metadata, &provider, &pending, code).await {
        Ok(who) => who,
        Err(e) => {
            federated::record_failure(&state, &slug, &e.to_string(), &client_ip(&req)).await?;
            return Ok(idp_unavailable(ctx, &e));
        }
    };
    arrived(&req, ctx, &state, &session, &idp, pending.purpose, &who).await
}

/// A verified identity from a home IdP (OIDC callback or SAML answer), in the browser that
/// started the flow: sign in, or hold the proof for the invitation's consent page.
pub(super) async fn arrived(
    req: &HttpRequest,
    ctx: PageCtx,
    state: &AppState,
    session: &Session,
    idp: &IdentityProvider,
    purpose: Purpose,
    who: &Authenticated,
) -> AppResult<HttpResponse> {
    let back = Some(retry_link(&purpose));
    match purpose {
        Purpose::SignIn { next } => match federated::sign_in(state, idp, who, &client_ip(req)).await? {
            FederatedSignIn::Done(SignIn::Done(user)) => {
                let method = federated::method_for(state, idp, who);
                session::sign_in(req, session, state, &user, method).await?;
                Ok(see_other(if next.is_empty() { super::landing_for(&user) } else { &next }))
            }
            FederatedSignIn::Done(SignIn::Refused(verdict)) => Ok(super::outcomes::refusal(ctx, verdict)),
            FederatedSignIn::Done(_) | FederatedSignIn::NoAccount => {
                let msg = format!(
                    "No account here is linked to this {} account. If you were invited, open the link in your invitation mail to accept it first.",
                    idp.display_name
                );
                Ok(problem(
                    ctx,
                    StatusCode::FORBIDDEN,
                    "No account found",
                    msg,
                    Some(("/signin".into(), "Back to sign-in".into())),
                ))
            }
        },
        Purpose::Redeem { token } => {
            let landing = redeem::open(state, &token).await?.ok_or(AppError::NotFound)?;
            if landing.state != LinkState::Open {
                return Ok(super::outcomes::closed(ctx, &landing));
            }
            let partner_mfa =
                federated::method_for(state, idp, who) == crate::domain::user::SignInMethod::FederatedWithPartnerMfa;
            let proof = match redeem::federated_proof(&landing.invitation, &idp.slug, who, partner_mfa) {
                Ok(proof) => proof,
                Err(refused) => {
                    federated::record_failure(state, &idp.slug, refused.reason(), &client_ip(req)).await?;
                    let invited = &landing.invitation.email;
                    let (title, msg) = match refused {
                        ProofRefused::EmailNotVerified => (
                            "Your email address is not verified",
                            format!(
                                "{} did not confirm that your email address is verified, so it cannot be matched to the invitation for {invited}. Verify your address there, or use a one-time code instead.",
                                idp.display_name
                            ),
                        ),
                        ProofRefused::OtherAddress { signed_in_as } => (
                            "This invitation is for another address",
                            format!(
                                "The invitation was sent to {invited}, but you signed in as {signed_in_as}. Sign in with the invited address, or ask for an invitation to yours."
                            ),
                        ),
                    };
                    return Ok(problem(ctx, StatusCode::FORBIDDEN, title, msg, back));
                }
            };
            super::redeem::hold_proof(session, state, proof)?;
            Ok(see_other(&format!("/redeem/{token}/consent")))
        }
    }
}
