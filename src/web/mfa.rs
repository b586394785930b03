//! The second factor's pages (F8): after the first factor, a person whose account must use
//! MFA types a code from their authenticator app or a recovery code at `/mfa` — or, with
//! no method yet, sets up an app right there, before anything else. Signed-in people add
//! apps, remove them and make new recovery codes from their profile.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::auth::session::{AnySession, Signed};
use crate::domain::BoundedText;
use crate::domain::mfa::has_mfa;
use crate::domain::url::is_local_path;
use crate::error::AppResult;
use crate::flows::mfa::{self, MfaRefused, Setup, Used};
use crate::flows::passkeys::{self, Ceremony};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::{PageCtx, flash, flash_refused, render, render_invalid, render_with_status};
use crate::web::{actor, device, see_other};

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
    /// Asked again to change factors: a second step passed long ago is not enough.
    #[serde(default)]
    again: Option<String>,
}

/// Whether this session's second step is done for what comes next: passed, and recent when
/// the person came to change their factors (`again`).
fn step_done(state: &AppState, s: &Signed, again: bool) -> bool {
    s.second_step_passed() && (!again || s.second_step_is_recent(state.clock.now()))
}

/// Where to go once the second factor is done: a local path, else the person's landing.
fn next_or_landing(next: &str, s: &Signed) -> String {
    if is_local_path(next) { next.to_string() } else { crate::web::public::landing_for(&s.user).to_string() }
}

#[derive(Template)]
#[template(path = "mfa/verify.html")]
struct VerifyPage {
    ctx: PageCtx,
    next: String,
    /// The person's passkeys may answer instead of a code.
    passkey: Option<Ceremony>,
    /// Asked again before a change of factors (the page says why).
    again: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "mfa/setup.html")]
struct SetupPage {
    ctx: PageCtx,
    next: String,
    setup: Setup,
    name: String,
    /// Set up because the account must use MFA (at sign-in), not by choice from the profile.
    required: bool,
    /// Offered where the portal can use WebAuthn (see `passkeys::available`).
    passkey: Option<Ceremony>,
    error: Option<String>,
}

async fn verify_page(
    state: &AppState,
    ctx: PageCtx,
    s: &Signed,
    next: String,
    error: Option<String>,
) -> AppResult<VerifyPage> {
    let again = s.second_step_passed();
    Ok(VerifyPage { ctx, next, passkey: passkeys::start_authentication(state, &s.user).await?, again, error })
}

/// The cookie-session key of the authenticator set-up this browser is showing: its secret
/// is shown again on a reload here, never in another browser (where someone holding only
/// the email code could have read it first).
const SETUP_KEY: &str = "mfa_setup";

async fn setup_page(
    state: &AppState,
    ctx: PageCtx,
    session: &Session,
    s: &Signed,
    next: String,
    name: String,
    error: Option<String>,
) -> AppResult<SetupPage> {
    let remembered = session.get::<Uuid>(SETUP_KEY).ok().flatten();
    let setup = mfa::setup(state, &s.user, remembered).await?;
    session.insert(SETUP_KEY, setup.method_id).ok();
    Ok(SetupPage {
        ctx,
        next,
        setup,
        name,
        required: !has_mfa(&s.amr),
        passkey: passkeys::start_registration(state, &s.user).await?,
        error,
    })
}

#[derive(Template)]
#[template(path = "mfa/recovery_codes.html")]
struct RecoveryCodesPage {
    ctx: PageCtx,
    codes: Vec<String>,
    next: String,
}

/// `/mfa`: the code form, or the set-up when the person has no method yet.
pub async fn prompt(
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AnySession(s): AnySession,
    q: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    // Done already; a step-up (an app that wants MFA) comes here without a pending session,
    // and so does a person asked again before changing their factors.
    if step_done(&state, &s, q.again.is_some()) {
        return Ok(see_other(&next_or_landing(&q.next, &s)));
    }
    let next = next_or_landing(&q.next, &s);
    if mfa::enrolled(&state, s.user.id).await? {
        return Ok(render(&verify_page(&state, ctx, &s, next, None).await?));
    }
    Ok(render(&setup_page(&state, ctx, &session, &s, next, "Authenticator app".into(), None).await?))
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

/// The second step of signing in.
pub async fn verify(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AnySession(s): AnySession,
    f: CsrfForm<CodeForm>,
) -> AppResult<HttpResponse> {
    let next = next_or_landing(&f.form.next, &s);
    if step_done(&state, &s, true) {
        return Ok(see_other(&next));
    }
    let (who, devices) = (actor(&req, &s.user), device::devices(&req, &state));
    let outcome = mfa::verify(&state, &s.user, (s.session_id, &s.amr), &f.form.code, &who, &devices).await?;
    second_step_done(&state, ctx, &session, &s, next, outcome).await
}

/// After a second-step attempt (code or passkey): on to `next` with a new cookie session
/// id, or the code page again with the reason (429 while attempts are paused).
async fn second_step_done(
    state: &AppState,
    ctx: PageCtx,
    session: &Session,
    s: &Signed,
    next: String,
    outcome: Result<Used, MfaRefused>,
) -> AppResult<HttpResponse> {
    match outcome {
        Ok(used) => {
            // A new session token now that the session counts for more (fixation).
            crate::auth::session::renew(session, state, s.session_id).await?;
            if let Used::RecoveryCode(left) = used {
                flash(
                    session,
                    format!(
                        "You signed in with a recovery code; {left} are left. Make new ones in your profile if you are running low."
                    ),
                );
            }
            Ok(see_other(&next))
        }
        Err(refused) => {
            let status = match refused {
                MfaRefused::Paused(_) => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            Ok(render_with_status(status, &verify_page(state, ctx, s, next, Some(refused.to_string())).await?))
        }
    }
}

/// `/mfa/setup`: set up (another) authenticator app.
pub async fn setup_form(
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AnySession(s): AnySession,
    q: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    let next = if is_local_path(&q.next) { q.next.clone() } else { "/profile".into() };
    Ok(render(&setup_page(&state, ctx, &session, &s, next, "Authenticator app".into(), None).await?))
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    method: Option<Uuid>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

pub async fn confirm_setup(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AnySession(s): AnySession,
    f: CsrfForm<SetupForm>,
) -> AppResult<HttpResponse> {
    let form = &f.form;
    let next = if is_local_path(&form.next) { form.next.clone() } else { next_or_landing("", &s) };
    let outcome = match (method_name(&form.name), form.method) {
        (Ok(name), Some(method)) => {
            let who = actor(&req, &s.user);
            mfa::confirm_setup(&state, &s.user, (s.session_id, &s.amr), method, &form.code, name.as_str(), &who)
                .await?
                .map_err(|r| r.to_string())
        }
        (Err(e), _) => Err(e.to_string()),
        (_, None) => Err(MfaRefused::NoSetup.to_string()),
    };
    let kept_name = crate::web::kept(&form.name, 80);
    enrollment_done(&state, ctx, &session, &s, next, kept_name, outcome, "The authenticator app was added.").await
}

/// The name a person gives an app or passkey they set up.
fn method_name(typed: &str) -> Result<BoundedText, crate::domain::InputError> {
    BoundedText::required(typed, "The name", 60)
}

/// After a set-up (app or passkey): the recovery codes when new ones were made, else back
/// to `next`; a refusal shows the set-up page again with the reason.
#[allow(clippy::too_many_arguments)]
async fn enrollment_done(
    state: &AppState,
    ctx: PageCtx,
    session: &Session,
    s: &Signed,
    next: String,
    name: String,
    outcome: Result<Option<Vec<String>>, String>,
    added: &str,
) -> AppResult<HttpResponse> {
    match outcome {
        Ok(codes) => {
            // A new session token now that the session counts for more (fixation).
            crate::auth::session::renew(session, state, s.session_id).await?;
            match codes {
                Some(codes) => Ok(render(&RecoveryCodesPage { ctx, codes, next })),
                None => {
                    flash(session, added);
                    Ok(see_other(&next))
                }
            }
        }
        Err(error) => Ok(render_invalid(&setup_page(state, ctx, session, s, next, name, Some(error)).await?)),
    }
}

#[derive(Deserialize)]
pub struct PasskeyForm {
    #[serde(default)]
    ceremony: Option<Uuid>,
    #[serde(default)]
    credential: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    next: String,
}

/// The browser's new passkey (from the set-up page's script).
pub async fn register_passkey(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AnySession(s): AnySession,
    f: CsrfForm<PasskeyForm>,
) -> AppResult<HttpResponse> {
    let form = &f.form;
    let next = if is_local_path(&form.next) { form.next.clone() } else { next_or_landing("", &s) };
    let outcome = match (method_name(&form.name), form.ceremony) {
        (Ok(name), Some(ceremony)) => {
            let who = actor(&req, &s.user);
            let session_ref = (s.session_id, s.amr.as_str());
            passkeys::finish_registration(&state, &s.user, session_ref, ceremony, &form.credential, name.as_str(), &who)
                .await?
                .map_err(|r| r.to_string())
        }
        (Err(e), _) => Err(e.to_string()),
        (_, None) => Err(MfaRefused::PasskeyFailed.to_string()),
    };
    let name = crate::web::kept(&form.name, 80);
    enrollment_done(&state, ctx, &session, &s, next, name, outcome, "The passkey was added.").await
}

/// The second step with a passkey (from the code page's script).
pub async fn use_passkey(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    AnySession(s): AnySession,
    f: CsrfForm<PasskeyForm>,
) -> AppResult<HttpResponse> {
    let next = next_or_landing(&f.form.next, &s);
    if step_done(&state, &s, true) {
        return Ok(see_other(&next));
    }
    let outcome = match f.form.ceremony {
        Some(ceremony) => {
            let (who, devices) = (actor(&req, &s.user), device::devices(&req, &state));
            let session_ref = (s.session_id, s.amr.as_str());
            passkeys::finish_authentication(&state, &s.user, session_ref, ceremony, &f.form.credential, &who, &devices)
                .await?
        }
        None => Err(MfaRefused::PasskeyFailed),
    };
    second_step_done(&state, ctx, &session, &s, next, outcome).await
}

/// New recovery codes, from the profile.
pub async fn new_recovery_codes(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let codes = mfa::regenerate_recovery_codes(&state, &user, &actor(&req, &user)).await?;
    Ok(render(&RecoveryCodesPage { ctx, codes, next: "/profile".into() }))
}

/// Removes one authenticator app, from the profile.
pub async fn remove_method(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<Uuid>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    match mfa::remove(&state, &user, id.into_inner(), &actor(&req, &user)).await? {
        Ok(name) => flash(&session, format!("“{name}” was removed.")),
        Err(refused) => flash_refused(&session, refused.to_string()),
    }
    Ok(see_other("/profile"))
}
