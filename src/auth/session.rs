//! Sessions live in an encrypted cookie, but the cookie alone is never trusted: each
//! request reloads the user and compares the session epoch, so blocking a user or "sign out
//! everywhere" ends their sessions at once (SPEC §4). Idle 30 minutes, absolute 12 hours.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::app::AppState;
use crate::db::users::{self, User};
use crate::domain::user::{SignInVerdict, may_sign_in};
use crate::error::{AppError, AppResult};

pub const IDLE: Duration = Duration::minutes(30);
pub const ABSOLUTE: Duration = Duration::hours(12);
const AUTH_KEY: &str = "auth";

/// What the cookie holds about a signed-in user.
#[derive(Serialize, Deserialize)]
struct Stamp {
    uid: Uuid,
    epoch: i64,
    /// Unix seconds of sign-in, and of the last request.
    iat: i64,
    seen: i64,
}

/// Starts a session for `user`: a fresh session (new cookie, new CSRF token) so nothing from
/// before sign-in carries over (session fixation).
pub fn sign_in(session: &Session, state: &AppState, user: &User) -> AppResult<()> {
    let now = state.clock.now().timestamp();
    // `clear` + `renew`: a new session id and no old keys (`purge` would drop the cookie).
    session.clear();
    session.renew();
    let stamp = Stamp { uid: user.id, epoch: user.session_epoch, iat: now, seen: now };
    session.insert(AUTH_KEY, stamp).map_err(|e| AppError::Internal(anyhow::anyhow!("session: {e}")))?;
    Ok(())
}

pub fn sign_out(session: &Session) {
    session.purge();
}

/// Cached per request so the user is loaded once however many extractors ask.
#[derive(Clone)]
struct Loaded(Option<User>);

/// The signed-in user, if the session is still valid; an invalid session is cleared.
pub async fn current(req: &HttpRequest) -> AppResult<Option<User>> {
    if let Some(Loaded(u)) = req.extensions().get::<Loaded>() {
        return Ok(u.clone());
    }
    let user = load(req).await?;
    req.extensions_mut().insert(Loaded(user.clone()));
    Ok(user)
}

async fn load(req: &HttpRequest) -> AppResult<Option<User>> {
    let session = req.get_session();
    let Ok(Some(stamp)) = session.get::<Stamp>(AUTH_KEY) else {
        return Ok(None);
    };
    let state =
        req.app_data::<web::Data<AppState>>().ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))?;
    let now = state.clock.now();
    let ts = now.timestamp();
    let fresh = ts - stamp.iat < ABSOLUTE.num_seconds() && ts - stamp.seen < IDLE.num_seconds();
    let user = if fresh {
        let mut c = state.db.acquire().await?;
        users::find(c.conn(), stamp.uid).await?
    } else {
        None
    };
    let valid = user.filter(|u| {
        u.session_epoch == stamp.epoch && may_sign_in(&u.state, u.expires_at, now) == SignInVerdict::Allowed
    });
    match &valid {
        None => {
            session.remove(AUTH_KEY);
            session.insert("flash", "Your session has ended. Please sign in again.").ok();
        }
        // Refresh the idle timer at most once a minute, to spare cookie rewrites.
        Some(_) if ts - stamp.seen >= 60 => {
            session.insert(AUTH_KEY, Stamp { seen: ts, ..stamp }).ok();
        }
        Some(_) => {}
    }
    Ok(valid)
}

fn next_of(req: &HttpRequest) -> String {
    match req.uri().path_and_query() {
        Some(pq) if req.method() == actix_web::http::Method::GET => pq.as_str().to_string(),
        _ => "/".into(),
    }
}

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

/// A handler argument that requires a signed-in user (else: to the sign-in page).
pub struct CurrentUser(pub User);

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match current(&req).await? {
                Some(u) => Ok(CurrentUser(u)),
                None => Err(AppError::SignInRequired { next: next_of(&req) }),
            }
        })
    }
}

/// A handler argument that requires a signed-in admin (else 403).
pub struct AdminUser(pub User);

impl FromRequest for AdminUser {
    type Error = AppError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match current(&req).await? {
                Some(u) if u.is_admin => Ok(AdminUser(u)),
                Some(_) => Err(AppError::Forbidden),
                None => Err(AppError::SignInRequired { next: next_of(&req) }),
            }
        })
    }
}
