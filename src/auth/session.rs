//! Sessions: an encrypted cookie holds a random session token, and the server keeps one
//! record per signed-in browser (`db::sessions`, the token's SHA-256 only). Every request
//! checks the record, so signing out, "sign out everywhere", blocking or resetting a user
//! end sessions on the server at once (SPEC §4). Idle 30 minutes, absolute 12 hours.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::Duration;
use uuid::Uuid;

use crate::db::apps::Tile;
use crate::db::panel;
use crate::db::sessions::{self, NewSession};
use crate::db::users::User;
use crate::domain::mfa::{is_recent, required_for, second_step_passed, wants_second_step};
use crate::domain::user::{SignInMethod, SignInVerdict, may_sign_in};
use crate::error::{AppError, AppResult};
use crate::secrets::{Token, TokenHash};
use crate::state::AppState;

pub const IDLE: Duration = Duration::minutes(30);
pub const ABSOLUTE: Duration = Duration::hours(12);
/// The cookie key of the session token.
const AUTH_KEY: &str = "sid";
/// Longest user agent kept for the profile's list of sessions.
const USER_AGENT_MAX: usize = 200;

/// Starts a session for `user`: a fresh cookie session (new id, new CSRF token) so nothing
/// from before sign-in carries over (session fixation), and its server-side record.
pub async fn sign_in(
    req: &HttpRequest,
    session: &Session,
    state: &AppState,
    user: &User,
    method: SignInMethod,
) -> AppResult<()> {
    let token = Token::generate();
    let user_agent: String = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(USER_AGENT_MAX)
        .collect();
    let client_ip = super::client_ip(req);
    {
        let mut c = state.db.acquire().await?;
        // A browser signing in again leaves no earlier session of its own behind.
        if let Ok(Some(earlier)) = session.get::<String>(AUTH_KEY) {
            super::ending::by_token_hash(c.conn(), &TokenHash::of(&earlier).0, state.clock.now()).await?;
        }
        let record = NewSession {
            token_hash: &token.hash().0,
            user_id: user.id,
            client_ip: &client_ip,
            user_agent: &user_agent,
            amr: method.amr(),
            // A passkey sign-in used one of the person's own factors: a second step now.
            second_step_at: matches!(method, SignInMethod::Passkey { .. }).then(|| state.clock.now()),
        };
        sessions::insert(c.conn(), &record, state.clock.now()).await?;
    }
    // `clear` + `renew`: a new session id and no old keys (`purge` would drop the cookie).
    session.clear();
    session.renew();
    session.insert(AUTH_KEY, token.expose()).map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))?;
    Ok(())
}

/// Gives this browser's session a new token and the cookie a new id, keeping the record:
/// called when the session comes to count for more (its second step passed), so a cookie
/// copied between the two steps does not become a full session (fixation).
pub async fn renew(session: &Session, state: &AppState, session_id: Uuid) -> AppResult<()> {
    let token = Token::generate();
    {
        let mut c = state.db.acquire().await?;
        sessions::renew_token(c.conn(), session_id, &token.hash().0).await?;
    }
    session.renew();
    session.insert(AUTH_KEY, token.expose()).map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))?;
    Ok(())
}

/// Ends this browser's session on the server, then drops the cookie.
pub async fn sign_out(session: &Session, state: &AppState) -> AppResult<()> {
    if let Ok(Some(token)) = session.get::<String>(AUTH_KEY) {
        let mut c = state.db.acquire().await?;
        super::ending::by_token_hash(c.conn(), &TokenHash::of(&token).0, state.clock.now()).await?;
    }
    session.purge();
    Ok(())
}

/// The signed-in user and the id of their session record.
#[derive(Clone)]
pub struct Signed {
    pub user: User,
    pub session_id: Uuid,
    /// When this session signed in: the ID token's `auth_time`.
    pub signed_in_at: chrono::DateTime<chrono::Utc>,
    pub amr: String,
    /// Signed in with a first factor where a second one is wanted (a rule requires it, or
    /// the person set one up): only the second-step pages (and signing out) are open until
    /// it is used.
    pub mfa_pending: bool,
    /// A guest who has not accepted the current terms of use (a new version came): only
    /// the terms page and leaving are open until they accept (`PortalSettings::asks_terms`).
    pub terms_pending: bool,
    /// Whether the person has a confirmed second factor of their own.
    pub has_factor: bool,
    /// When this session last passed a second step with one of the person's own factors.
    pub second_step_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Signed {
    /// Whether this session may change the person's factors now: a person with none may
    /// set up their first; anyone else needs a second step in the last ten minutes.
    pub fn may_change_factors(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        !self.has_factor || self.second_step_is_recent(now)
    }

    /// Whether this session passed the second step it owes (`domain::mfa::second_step_passed`).
    pub fn second_step_passed(&self) -> bool {
        second_step_passed(&self.amr, self.has_factor, self.second_step_at)
    }

    /// Whether this session passed a second step with the person's own factor recently.
    pub fn second_step_is_recent(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        !self.mfa_pending && is_recent(self.second_step_at, now)
    }
}

/// Cached per request so the session is checked once however many extractors ask.
#[derive(Clone)]
struct Loaded(Option<Signed>);

/// The signed-in user, if the session is still valid, any second factor the policy wants
/// was used and the current terms are accepted; an invalid session is cleared.
pub async fn current(req: &HttpRequest) -> AppResult<Option<User>> {
    Ok(current_session(req).await?.filter(|s| !s.mfa_pending && !s.terms_pending).map(|s| s.user))
}

/// Like `current`, with the id of the session record (the profile marks "this browser").
pub async fn current_session(req: &HttpRequest) -> AppResult<Option<Signed>> {
    if let Some(Loaded(s)) = req.extensions().get::<Loaded>() {
        return Ok(s.clone());
    }
    load(req).await
}

/// The person signed in on this request's browser, second step included, if something
/// already checked the session during the request (nothing is read here): who the browser's
/// device cookie is for (`web::device`).
pub fn checked_user(req: &HttpRequest) -> Option<User> {
    match req.extensions().get::<Loaded>() {
        Some(Loaded(Some(s))) if !s.mfa_pending => Some(s.user.clone()),
        _ => None,
    }
}

async fn load(req: &HttpRequest) -> AppResult<Option<Signed>> {
    Ok(load_with(req, Fetch::Session).await?.map(|(signed, _)| signed))
}

/// What the session check reads besides the session: nothing, or a page's own rows in the
/// same statement (one round trip instead of two on the busiest page).
enum Fetch {
    Session,
    Tiles,
}

/// Checks the request's session (and reads what `fetch` asks for), and keeps the answer with
/// the request for every later extractor.
async fn load_with(req: &HttpRequest, fetch: Fetch) -> AppResult<Option<(Signed, Vec<Tile>)>> {
    let session = req.get_session();
    let Ok(Some(token)) = session.get::<String>(AUTH_KEY) else {
        req.extensions_mut().insert(Loaded(None));
        return Ok(None);
    };
    let state =
        req.app_data::<web::Data<AppState>>().ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))?;
    let now = state.clock.now();
    // Before the connection: a cold settings cache takes one of its own.
    let portal = state.portal_settings().await?;
    let mut c = state.db.acquire().await?;
    let hash = TokenHash::of(&token).0;
    let found = match fetch {
        Fetch::Session => sessions::find_with_user(c.conn(), &hash).await?.map(|f| (f, Vec::new())),
        Fetch::Tiles => panel::session_and_tiles(c.conn(), &hash, now).await?,
    };
    let mut valid = None;
    if let Some((found, tiles)) = found {
        let fresh = now - found.session_created_at < ABSOLUTE && now - found.session_last_seen_at < IDLE;
        let user = found.user;
        if fresh && may_sign_in(user.state, user.expires_at, now) == SignInVerdict::Allowed {
            // Refresh the idle timer at most once a minute, to spare writes.
            if now - found.session_last_seen_at >= Duration::minutes(1) {
                sessions::touch(c.conn(), found.session_id, now).await?;
            }
            let required = required_for(&portal, &user.user_type, user.is_admin, user.mfa_required);
            let wants_mfa = wants_second_step(required, found.has_factor);
            let terms_pending = portal.asks_terms(&user.user_type, user.terms_version.as_deref());
            let signed = Signed {
                terms_pending,
                mfa_pending: wants_mfa
                    && !second_step_passed(&found.session_amr, found.has_factor, found.session_second_step_at),
                user,
                session_id: found.session_id,
                signed_in_at: found.session_created_at,
                amr: found.session_amr,
                has_factor: found.has_factor,
                second_step_at: found.session_second_step_at,
            };
            valid = Some((signed, tiles));
        } else {
            sessions::end_lapsed(c.conn(), found.session_id).await?;
        }
    }
    if valid.is_none() {
        session.remove(AUTH_KEY);
        session.insert("flash", "Your session has ended. Please sign in again.").ok();
    }
    req.extensions_mut().insert(Loaded(valid.as_ref().map(|(s, _)| s.clone())));
    Ok(valid)
}

/// The Access Panel's signed-in user and their tiles, checked and read in one statement;
/// the same answers and redirects as the `CurrentUser` extractor. Called before any other
/// extractor looks at the session, so they reuse this check.
pub async fn user_with_tiles(req: &HttpRequest) -> AppResult<(User, Vec<Tile>)> {
    let signed = if req.extensions().get::<Loaded>().is_some() { None } else { load_with(req, Fetch::Tiles).await? };
    match signed {
        Some((s, tiles)) if !s.mfa_pending && !s.terms_pending => Ok((s.user, tiles)),
        _ => {
            // Already checked (or refused): the usual way, then the tiles on their own.
            let user = session_for(req, false).await?.user;
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))?;
            let mut c = state.db.acquire().await?;
            let tiles = crate::db::apps::tiles_for_user(c.conn(), user.id, state.clock.now()).await?;
            Ok((user, tiles))
        }
    }
}

fn next_of(req: &HttpRequest) -> String {
    match req.uri().path_and_query() {
        Some(pq) if req.method() == actix_web::http::Method::GET => pq.as_str().to_string(),
        _ => "/".into(),
    }
}

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

/// The session the extractors below start from: to the sign-in page without one, and —
/// unless `any` — to the second step while it is still to come, then to the terms of use
/// while they are still to accept.
async fn session_for(req: &HttpRequest, any: bool) -> AppResult<Signed> {
    match current_session(req).await? {
        Some(s) if s.mfa_pending && !any => Err(AppError::MfaRequired { next: next_of(req) }),
        Some(s) if s.terms_pending && !any => Err(AppError::TermsRequired { next: next_of(req) }),
        Some(s) => Ok(s),
        None => Err(AppError::SignInRequired { next: next_of(req) }),
    }
}

/// Implements `FromRequest` for a one-field extractor built from `session_for`.
macro_rules! session_extractor {
    ($t:ident, $any:expr, |$s:ident| $make:expr) => {
        impl FromRequest for $t {
            type Error = AppError;
            type Future = Fut<Self>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move {
                    let $s = session_for(&req, $any).await?;
                    $make
                })
            }
        }
    };
}

/// A handler argument that requires a signed-in user (else: to the sign-in page).
pub struct CurrentUser(pub User);
session_extractor!(CurrentUser, false, |s| Ok(CurrentUser(s.user)));

/// A handler argument that requires a signed-in admin (else 403).
pub struct AdminUser(pub User);
session_extractor!(AdminUser, false, |s| if s.user.is_admin {
    Ok(AdminUser(s.user))
} else {
    Err(AppError::Forbidden)
});

/// A handler argument for the MFA pages: a session, whether or not its second factor is
/// still to come (else: to the sign-in page).
pub struct AnySession(pub Signed);
session_extractor!(AnySession, true, |s| Ok(AnySession(s)));

/// A handler argument for the terms page and leaving: a signed-in user whose second step
/// is done, whether or not they have the current terms of use still to accept.
pub struct TermsSession(pub Signed);

impl FromRequest for TermsSession {
    type Error = AppError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match session_for(&req, true).await? {
                s if s.mfa_pending => Err(AppError::MfaRequired { next: next_of(&req) }),
                s => Ok(TermsSession(s)),
            }
        })
    }
}
