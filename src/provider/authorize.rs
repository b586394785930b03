//! The authorization endpoint's decisions (OIDC Core §3.1.2, RFC 9700, OAuth 2.1): check
//! the request, then — for a signed-in person — refuse, ask for consent, or issue a code.
//! A request with an unknown client or an unregistered redirect URI is never redirected
//! to (RFC 6749 §4.1.2.1): the person sees an error page instead.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use super::access::{AppAccess, Asking, app_access};
use super::{CODE_LIFETIME, issuer};
use crate::auth::session::Signed;
use crate::db::apps::{self, App};
use crate::db::audit::{self, Event};
use crate::db::oauth::{self, NewCode};
use crate::domain::audit::{Action, Actor};
use crate::domain::client::{granted_scope, is_pkce_value, is_registered};
use crate::error::AppResult;
use crate::secrets::{Token, constant_time_eq};
use crate::state::AppState;

/// The query (or form) of an authorization request, as sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
    pub acr_values: Option<String>,
    pub response_mode: Option<String>,
    pub request: Option<String>,
    pub request_uri: Option<String>,
    /// Ours: proof that the person signed in again after this request asked them to
    /// (`prompt=login`, `max_age`), so coming back does not ask a second time.
    pub login_after: Option<String>,
}

/// A checked request.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub app: App,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub prompt_none: bool,
    pub prompt_login: bool,
    pub prompt_consent: bool,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub login_after: Option<DateTime<Utc>>,
    /// The request asks for a second factor (`acr_values` holds the multi-factor level).
    pub mfa_asked: bool,
}

pub enum Checked {
    /// Not safe to redirect: say this on an error page.
    NoRedirect(String),
    /// Send the browser back to the app with an error.
    ErrorRedirect(String),
    Valid(AuthRequest),
}

/// Longest value kept from a request parameter (state, nonce, hints).
const MAX_PARAM: usize = 1000;

pub async fn check(state: &AppState, p: &AuthorizeParams) -> AppResult<Checked> {
    let Some(client_id) = p.client_id.as_deref().filter(|c| !c.is_empty() && c.len() <= 64) else {
        return Ok(Checked::NoRedirect("The app did not say who it is (client_id is missing).".into()));
    };
    let app = {
        let mut c = state.db.acquire().await?;
        apps::find_by_client_id(c.conn(), client_id).await?
    };
    let Some(app) = app else {
        return Ok(Checked::NoRedirect("This app is not registered with the portal (unknown client_id).".into()));
    };
    let registered = app.redirect_uri_list();
    let redirect_uri = match p.redirect_uri.as_deref() {
        Some(uri) if is_registered(uri, &registered) => uri.to_string(),
        // OIDC requires the parameter; there is nothing safe to redirect to without it.
        _ => {
            return Ok(Checked::NoRedirect(format!(
                "{} asked to return to an address that is not registered for it (redirect_uri).",
                app.name
            )));
        }
    };
    let state_param = p.state.clone().filter(|s| s.len() <= MAX_PARAM);
    let fail = |code: &str, description: &str| {
        Checked::ErrorRedirect(error_redirect(state, &redirect_uri, code, description, state_param.as_deref()))
    };
    if p.state.as_ref().is_some_and(|s| s.len() > MAX_PARAM) {
        return Ok(fail("invalid_request", "state is too long"));
    }
    if p.request.is_some() || p.request_uri.is_some() {
        return Ok(fail("request_not_supported", "request objects are not supported"));
    }
    if p.response_type.as_deref() != Some("code") {
        return Ok(fail(
            "unsupported_response_type",
            "only the authorization code flow (response_type=code) is offered",
        ));
    }
    if p.response_mode.as_deref().is_some_and(|m| m != "query") {
        return Ok(fail("invalid_request", "only response_mode=query is offered"));
    }
    let Some(scope) = p.scope.as_deref().and_then(granted_scope) else {
        return Ok(fail("invalid_scope", "scope must include openid"));
    };
    let Some(challenge) = p.code_challenge.as_deref().filter(|c| is_pkce_value(c)) else {
        return Ok(fail("invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256"));
    };
    if p.code_challenge_method.as_deref() != Some("S256") {
        return Ok(fail("invalid_request", "code_challenge_method must be S256 (plain is not accepted)"));
    }
    if p.nonce.as_ref().is_some_and(|n| n.len() > MAX_PARAM) {
        return Ok(fail("invalid_request", "nonce is too long"));
    }
    let prompts: Vec<&str> = p.prompt.as_deref().unwrap_or("").split(' ').filter(|s| !s.is_empty()).collect();
    if prompts.iter().any(|p| !matches!(*p, "none" | "login" | "consent" | "select_account"))
        || (prompts.contains(&"none") && prompts.len() > 1)
    {
        return Ok(fail("invalid_request", "prompt must be none, login or consent (none alone)"));
    }
    let max_age = match p.max_age.as_deref() {
        None | Some("") => None,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => return Ok(fail("invalid_request", "max_age must be a number of seconds")),
        },
    };
    Ok(Checked::Valid(AuthRequest {
        app,
        redirect_uri: redirect_uri.clone(),
        scope,
        state: state_param.clone(),
        nonce: p.nonce.clone(),
        code_challenge: challenge.to_string(),
        prompt_none: prompts.contains(&"none"),
        prompt_login: prompts.contains(&"login"),
        prompt_consent: prompts.contains(&"consent"),
        max_age,
        login_hint: p.login_hint.clone().filter(|h| h.len() <= 320),
        login_after: p.login_after.as_deref().and_then(|m| read_login_marker(state, m)),
        mfa_asked: p.acr_values.as_deref().is_some_and(|v| v.split(' ').any(|a| a == super::claims::ACR_MULTI_FACTOR)),
    }))
}

/// The redirect back to the app with an error (RFC 6749 §4.1.2.1; `iss` per RFC 9207).
pub fn error_redirect(state: &AppState, redirect_uri: &str, code: &str, description: &str, st: Option<&str>) -> String {
    let mut pairs = vec![("error", code), ("error_description", description)];
    if let Some(s) = st {
        pairs.push(("state", s));
    }
    with_params(state, redirect_uri, &pairs)
}

fn with_params(state: &AppState, redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    let iss = issuer(state);
    match Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in pairs {
                    q.append_pair(k, v);
                }
                q.append_pair("iss", &iss);
            }
            url.to_string()
        }
        Err(_) => redirect_uri.to_string(),
    }
}

/// What the endpoint does next for a valid request.
pub enum Next {
    /// Send the person to sign in (again), then back to the request with this marker.
    SignIn { login_marker: String },
    /// Redirect to the app: a code, or an error for `prompt=none`.
    Redirect(String),
    /// Not assigned, blocked or expired: the refusal page.
    Refused,
    /// The second step first (set up or used), then this request again.
    SecondStep,
    /// New terms of use to accept first, then this request again.
    Terms,
    /// The app asks for consent and none is on record (or `prompt=consent`).
    AskConsent,
}

/// Whether `signed` is fresh enough for the request: `prompt=login` and `max_age` ask for
/// a sign-in after the request was made (OIDC Core §3.1.2.1).
fn fresh_enough(r: &AuthRequest, signed: &Signed, now: DateTime<Utc>) -> bool {
    if r.login_after.is_some_and(|at| signed.signed_in_at >= at) {
        return true;
    }
    let too_old = r.max_age.is_some_and(|m| now - signed.signed_in_at > Duration::seconds(m));
    !r.prompt_login && !too_old
}

pub async fn decide(
    state: &AppState,
    r: &AuthRequest,
    signed: Option<&Signed>,
    consented_now: bool,
    actor: &Actor,
) -> AppResult<Next> {
    let now = state.clock.now();
    let error =
        |code: &str, d: &str| Next::Redirect(error_redirect(state, &r.redirect_uri, code, d, r.state.as_deref()));
    let Some(signed) = signed.filter(|s| fresh_enough(r, s, now)) else {
        if r.prompt_none {
            return Ok(error("login_required", "the person is not signed in (or not recently enough)"));
        }
        return Ok(Next::SignIn { login_marker: login_marker(state, now) });
    };
    let assigned = {
        let mut c = state.db.acquire().await?;
        apps::user_may_open(c.conn(), r.app.id, signed.user.id, now).await?
    };
    let portal = state.portal_settings().await?;
    let who = Asking {
        user: &signed.user,
        amr: &signed.amr,
        has_factor: signed.has_factor,
        second_step_at: signed.second_step_at,
        assigned,
    };
    let access = app_access(&portal, &r.app, r.mfa_asked, &who, now);
    if access == AppAccess::SecondStepFirst {
        if r.prompt_none {
            return Ok(error("interaction_required", "the person must pass a second step first"));
        }
        return Ok(Next::SecondStep);
    }
    if access == AppAccess::TermsFirst {
        if r.prompt_none {
            return Ok(error("interaction_required", "the person must accept new terms of use first"));
        }
        return Ok(Next::Terms);
    }
    if access == AppAccess::Refused {
        let mut tx = state.db.begin().await?;
        let ev = Event::new(Action::AppAccessRefused, "app", r.app.id, &r.app.name)
            .details(format!("user={} ({})", signed.user.id, signed.user.email));
        audit::record(tx.conn(), actor, &ev, now).await?;
        tx.commit().await?;
        if r.prompt_none {
            return Ok(error("access_denied", "the person is not assigned to this app"));
        }
        return Ok(Next::Refused);
    }
    if r.app.consent_required && !consented_now {
        let has = {
            let mut c = state.db.acquire().await?;
            oauth::has_consent(c.conn(), signed.user.id, r.app.id, &r.scope).await?
        };
        if !has || r.prompt_consent {
            if r.prompt_none {
                return Ok(error("consent_required", "the person has not agreed to share their details"));
            }
            return Ok(Next::AskConsent);
        }
    }
    Ok(Next::Redirect(issue_code(state, r, signed, consented_now, actor).await?))
}

async fn issue_code(
    state: &AppState,
    r: &AuthRequest,
    signed: &Signed,
    consented_now: bool,
    actor: &Actor,
) -> AppResult<String> {
    let now = state.clock.now();
    let code = Token::generate();
    let mut tx = state.db.begin().await?;
    if consented_now {
        oauth::record_consent(tx.conn(), signed.user.id, r.app.id, &r.scope, now).await?;
        let ev =
            Event::new(Action::AppConsentGiven, "app", r.app.id, &r.app.name).details(format!("scope={}", r.scope));
        audit::record(tx.conn(), actor, &ev, now).await?;
    }
    let new = NewCode {
        code_hash: &code.hash().0,
        app_id: r.app.id,
        session_id: signed.session_id,
        redirect_uri: &r.redirect_uri,
        code_challenge: &r.code_challenge,
        nonce: r.nonce.as_deref(),
        scope: &r.scope,
    };
    oauth::insert_code(tx.conn(), &new, now, now + CODE_LIFETIME).await?;
    apps::mark_client_used(tx.conn(), r.app.id, now).await?;
    tx.commit().await?;
    let mut pairs = vec![("code", code.expose())];
    if let Some(s) = r.state.as_deref() {
        pairs.push(("state", s));
    }
    Ok(with_params(state, &r.redirect_uri, &pairs))
}

/// How long a "signed in again" marker stays good.
const MARKER_LIFETIME: Duration = Duration::minutes(15);

/// `TIME.MAC`: the time the request asked for a fresh sign-in, keyed so nobody can move it.
fn login_marker(state: &AppState, now: DateTime<Utc>) -> String {
    let ts = now.timestamp().to_string();
    format!("{ts}.{}", hex::encode(state.key.mac("oidc-login-after", ts.as_bytes())))
}

fn read_login_marker(state: &AppState, marker: &str) -> Option<DateTime<Utc>> {
    let (ts, mac) = marker.split_once('.')?;
    if !constant_time_eq(mac, &hex::encode(state.key.mac("oidc-login-after", ts.as_bytes()))) {
        return None;
    }
    let at = DateTime::from_timestamp(ts.parse().ok()?, 0)?;
    (state.clock.now() - at < MARKER_LIFETIME).then_some(at)
}
