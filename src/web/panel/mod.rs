//! The Access Panel (F6): the signed-in user's apps and profile.

pub mod approvals;
pub mod guests;
pub mod invite;
pub mod leaving;
pub mod request;
pub mod reviews;
pub mod terms;

use actix_session::Session;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::apps::{self, Tile};
use crate::db::identities::{self, NamedIdentity};
use crate::db::sessions::{self, SessionRecord};
use crate::db::sponsors;
use crate::db::users::User;
use crate::domain::{DisplayName, tile};
use crate::error::AppResult;
use crate::flows;
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::{PageCtx, flash, render, render_invalid};
use crate::web::{actor, kept, see_other};

#[derive(Template)]
#[template(path = "panel/apps.html")]
struct AppsPage {
    ctx: PageCtx,
    name: String,
    /// The tiles shown: all of them, or those matching the search.
    apps: Vec<Tile>,
    issuer: String,
    /// Settings let this person invite guests.
    may_invite: bool,
    /// A guest's first sponsor, named on an empty panel as whom to ask.
    sponsor: Option<User>,
    /// How many apps the person has in all.
    total: usize,
    /// The search box is shown (more tiles than fit at a glance).
    searchable: bool,
    /// What was searched for; empty shows every tile.
    q: String,
}

#[derive(Deserialize)]
pub struct AppsQuery {
    #[serde(default)]
    q: String,
}

/// `GET /apps`, and `GET /apps?q=…` once there are enough tiles to search: a plain GET
/// form, so the search works without script.
pub async fn apps_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<AppsQuery>,
) -> AppResult<HttpResponse> {
    // The session check and the tiles in one statement, before `PageCtx` (which then reuses
    // the check): the panel is the page opened most.
    let (user, mut apps) = crate::auth::session::user_with_tiles(&req).await?;
    let ctx = PageCtx::extract(&req).await?;
    let may_invite =
        flows::settings::current(&state).await?.may_invite(&user.user_type, user.is_admin, user.is_inviter);
    let total = apps.len();
    let searchable = total > tile::SEARCH_ABOVE;
    let q = if searchable { kept(query.q.trim(), 100) } else { String::new() };
    apps.retain(|a| tile::matches(&q, &a.name, &a.description));
    // Only an empty panel names whom to ask: the common, full one costs no extra query.
    let sponsor = if total == 0 && user.user_type == crate::domain::user::GUEST {
        let mut c = state.db.acquire().await?;
        sponsors::of(c.conn(), user.id).await?.into_iter().next()
    } else {
        None
    };
    let issuer = crate::provider::issuer(&state);
    Ok(render(&AppsPage { ctx, name: user.display_name, apps, issuer, may_invite, sponsor, total, searchable, q }))
}

/// `/apps/{id}/launch`, the tile of an app that requires a second factor: a session without
/// one is stepped up first, then sent on to the app.
pub async fn launch(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    id: web::Path<uuid::Uuid>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let app = {
        let mut c = state.db.acquire().await?;
        apps::for_user(c.conn(), user.id, state.clock.now()).await?.into_iter().find(|a| a.id == id)
    };
    let app = app.ok_or(crate::error::AppError::NotFound)?;
    let passed = crate::auth::session::current_session(&req).await?.is_some_and(|s| s.second_step_passed());
    if app.mfa_required && !passed {
        return Err(crate::error::AppError::MfaRequired { next: format!("/apps/{id}/launch") });
    }
    Ok(see_other(&app.tile_href(&crate::provider::issuer(&state))))
}

#[derive(Template)]
#[template(path = "panel/profile.html")]
struct ProfilePage {
    ctx: PageCtx,
    user: User,
    name_input: String,
    identities: Vec<NamedIdentity>,
    sponsors: Vec<User>,
    sessions: Vec<SessionRow>,
    /// Second factors: the authenticator apps, recovery codes left, and whether required.
    mfa: flows::mfa::Overview,
    error: Option<String>,
    /// The version of the terms of use in effect now.
    terms_version: String,
    /// The last `sign_in_history::DAYS` days of sign-ins, newest first.
    sign_ins: Vec<flows::sign_in_history::SignInEntry>,
    history_days: i64,
}

/// One signed-in browser on the profile page.
struct SessionRow {
    record: SessionRecord,
    current: bool,
}

impl SessionRow {
    /// A short name for the browser, from its user agent.
    fn device(&self) -> String {
        crate::domain::user::device_name(&self.record.user_agent)
    }

    /// For the End button's label: an attribute holds words, not a `<time>`.
    fn last_seen(&self) -> String {
        flows::human_date(self.record.last_seen_at)
    }
}

async fn profile_page(
    req: &HttpRequest,
    ctx: PageCtx,
    state: &AppState,
    user: User,
    name_input: String,
    error: Option<String>,
) -> AppResult<ProfilePage> {
    let this = crate::auth::session::current_session(req).await?.map(|s| s.session_id);
    let mfa = flows::mfa::overview(state, &user).await?;
    let terms_version = flows::settings::current(state).await?.terms_version.clone();
    let sign_ins = flows::sign_in_history::recent(state, user.id).await?;
    let mut c = state.db.acquire().await?;
    let identities = identities::named_for_user(c.conn(), user.id).await?;
    let sponsors = sponsors::of(c.conn(), user.id).await?;
    let sessions = sessions::for_user(c.conn(), user.id)
        .await?
        .into_iter()
        .map(|record| SessionRow { current: Some(record.id) == this, record })
        .collect();
    Ok(ProfilePage {
        ctx,
        user,
        name_input,
        identities,
        sponsors,
        sessions,
        mfa,
        error,
        terms_version,
        sign_ins,
        history_days: flows::sign_in_history::DAYS,
    })
}

pub async fn profile(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<HttpResponse> {
    let name = user.display_name.clone();
    Ok(render(&profile_page(&req, ctx, &state, user, name, None).await?))
}

#[derive(Deserialize)]
pub struct RenameForm {
    display_name: String,
}

pub async fn rename(
    req: HttpRequest,
    ctx: PageCtx,
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    f: CsrfForm<RenameForm>,
) -> AppResult<HttpResponse> {
    match DisplayName::parse(&f.form.display_name) {
        Ok(name) => {
            flows::users::rename(&state, user.id, &name, &actor(&req, &user)).await?;
            flash(&session, "Your name was saved.");
            Ok(see_other("/profile"))
        }
        Err(e) => {
            let typed: String = kept(&f.form.display_name, 200);
            Ok(render_invalid(&profile_page(&req, ctx, &state, user, typed, Some(e.0)).await?))
        }
    }
}

pub async fn sign_out_everywhere(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    flows::users::sign_out_everywhere(&state, user.id, &actor(&req, &user)).await?;
    crate::auth::session::sign_out(&session, &state).await?;
    Ok(see_other("/signin?signed_out=everywhere"))
}

/// Ends one of the user's other sessions (a lost phone, a shared computer).
pub async fn end_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    id: web::Path<uuid::Uuid>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    if flows::users::end_session(&state, user.id, id.into_inner(), &actor(&req, &user)).await? {
        flash(&session, "That session has ended.");
    }
    Ok(see_other("/profile"))
}
