//! My guests: a sponsor's list of the guests they look after, and one guest's page with
//! resend, revoke, extend access, remove and the guest's sponsors. Admins reach the same
//! actions from the user page (`back=admin` brings them back there).

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::db::sponsors::SponsoredGuest;
use crate::db::users::User;
use crate::domain::EmailAddress;
use crate::domain::user::{MAX_SPONSORS, UserState};
use crate::error::{AppError, AppResult};
use crate::flows::human_date;
use crate::flows::sponsors::{self, GuestView};
use crate::state::AppState;
use crate::web::csrf::CsrfForm;
use crate::web::page::{PageCtx, flash, flash_said, render};
use crate::web::{actor, see_other};

/// Where a guest stands, in a sponsor's words, ending on a moment when there is one (the
/// page shows it as every date is shown).
pub struct Standing {
    pub words: &'static str,
    pub at: Option<DateTime<Utc>>,
}

fn standing(user: &User, pending_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Standing {
    let (words, at) = match (user.state, pending_until) {
        (UserState::Blocked, _) => ("Blocked by an admin", None),
        (UserState::PendingAcceptance, Some(until)) => ("Invited; the link works until", Some(until)),
        (UserState::PendingAcceptance, None) => ("Invitation revoked or expired", None),
        (UserState::Accepted, _) => match user.expires_at {
            Some(t) if t <= now => ("Access ended", Some(t)),
            Some(t) => ("Active until", Some(t)),
            None => ("Active", None),
        },
    };
    Standing { words, at }
}

pub struct GuestRow {
    pub user: User,
    pub standing: Standing,
}

#[derive(Template)]
#[template(path = "panel/guests.html")]
struct ListPage {
    ctx: PageCtx,
    guests: Vec<GuestRow>,
    may_invite: bool,
}

pub async fn list(ctx: PageCtx, state: web::Data<AppState>, CurrentUser(user): CurrentUser) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let may_invite =
        crate::flows::settings::current(&state).await?.may_invite(&user.user_type, user.is_admin, user.is_inviter);
    let guests = sponsors::my_guests(&state, &user)
        .await?
        .into_iter()
        .map(|SponsoredGuest { user, pending_until }| GuestRow { standing: standing(&user, pending_until, now), user })
        .collect();
    Ok(render(&ListPage { ctx, guests, may_invite }))
}

#[derive(Template)]
#[template(path = "panel/guest.html")]
struct GuestPage {
    ctx: PageCtx,
    v: GuestView,
    standing: Standing,
    /// Where the sponsor forms bring the person back: this page.
    back: &'static str,
    guest_id: Uuid,
    sponsors: Vec<User>,
    max_sponsors: i64,
    /// Who looks: a sponsor is offered Remove beside their own name only, an admin beside all.
    viewer_id: Uuid,
    viewer_is_admin: bool,
}

pub async fn show(
    ctx: PageCtx,
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let v = sponsors::view(&state, id.into_inner(), &user).await?;
    let standing = standing(&v.guest, v.pending.as_ref().map(|i| i.expires_at), state.clock.now());
    Ok(render(&GuestPage {
        ctx,
        standing,
        back: "",
        guest_id: v.guest.id,
        sponsors: v.sponsors.clone(),
        max_sponsors: MAX_SPONSORS,
        viewer_id: user.id,
        viewer_is_admin: user.is_admin,
        v,
    }))
}

#[derive(Deserialize)]
pub struct ActionForm {
    /// `admin` when the form is on the admin's user page.
    #[serde(default)]
    back: String,
    /// A new sponsor's address (`sponsors`).
    #[serde(default)]
    email: String,
}

fn guest_page(back: &str, id: Uuid) -> String {
    if back == "admin" { format!("/admin/users/{id}") } else { format!("/guests/{id}") }
}

/// One POST for each thing a sponsor does to a guest: `resend`, `revoke`, `extend`,
/// `remove`, or `sponsors` (name another sponsor).
pub async fn act(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    path: web::Path<(Uuid, String)>,
    f: CsrfForm<ActionForm>,
) -> AppResult<HttpResponse> {
    let (id, action) = path.into_inner();
    let who = actor(&req, &user);
    let said: Result<String, String> = match action.as_str() {
        "resend" => match sponsors::resend(&state, id, &user, &who).await? {
            Ok(()) => Ok("A new invitation link was sent. The previous link no longer works.".to_string()),
            Err(refused) => Err(refused.to_string()),
        },
        "revoke" => match sponsors::revoke(&state, id, &user, &who).await? {
            true => Ok("The invitation was revoked: its link no longer works.".into()),
            false => Err("There was no pending invitation to revoke.".into()),
        },
        "extend" => match sponsors::extend(&state, id, &user, &who).await? {
            Ok(until) => Ok(format!("Access now lasts until {}.", human_date(until))),
            Err(refused) => Err(refused.to_string()),
        },
        "remove" => {
            let name = sponsors::remove(&state, id, &user, &who).await?;
            flash(&session, format!("{name} was removed: their access ended and their account was deleted."));
            return Ok(see_other(if f.form.back == "admin" { "/admin/users" } else { "/guests" }));
        }
        "sponsors" => match EmailAddress::parse(&f.form.email) {
            Err(e) => Err(e.to_string()),
            Ok(email) => match sponsors::add_sponsor(&state, id, &email, &user, &who).await? {
                Ok(s) => Ok(format!("{} now sponsors this guest too.", s.display_name)),
                Err(refused) => Err(refused.to_string()),
            },
        },
        _ => return Err(AppError::NotFound),
    };
    flash_said(&session, said);
    Ok(see_other(&guest_page(&f.form.back, id)))
}

/// Takes one sponsor off the guest (never the last).
pub async fn remove_sponsor(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    CurrentUser(user): CurrentUser,
    path: web::Path<(Uuid, Uuid)>,
    f: CsrfForm<ActionForm>,
) -> AppResult<HttpResponse> {
    let (id, sponsor_id) = path.into_inner();
    let said = match sponsors::remove_sponsor(&state, id, sponsor_id, &user, &actor(&req, &user)).await? {
        Ok(s) if s.id == user.id => Ok("You no longer sponsor this guest.".to_string()),
        Ok(s) => Ok(format!("{} no longer sponsors this guest.", s.display_name)),
        Err(refused) => Err(refused.to_string()),
    };
    flash_said(&session, said);
    // Someone who stopped sponsoring cannot see the guest any more (unless an admin).
    let back = if sponsor_id == user.id && !user.is_admin { "/guests".into() } else { guest_page(&f.form.back, id) };
    Ok(see_other(&back))
}
