//! Admin: the users list and a user's page with its actions.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use uuid::Uuid;

use crate::auth::AdminUser;
use crate::db::apps::{self, App};
use crate::db::audit;
use crate::db::identities::{self, NamedIdentity};
use crate::db::invitations::{self, Invitation};
use crate::db::users::{self, Filter, User};
use crate::db::{Page, sponsors};
use crate::domain::invitation::InvitationStatus;
use crate::error::{AppError, AppResult};
use crate::flows;
use crate::state::AppState;
use crate::web::admin::audit_words::Entry;
use crate::web::admin::{Pager, filtered};
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::page::{PageCtx, flash, flash_refused, flash_said, render};
use crate::web::{actor, kept, see_other};

const PAGE_SIZE: i64 = 25;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default, rename = "type")]
    user_type: String,
    #[serde(default)]
    state: String,
    /// `inactive`: only guests without a sign-in for the days Settings give.
    #[serde(default)]
    activity: String,
    /// `outdated`: only the guests who have not accepted the current terms of use.
    #[serde(default)]
    terms: String,
    #[serde(default)]
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct ListPage {
    ctx: PageCtx,
    q: String,
    user_type: String,
    state: String,
    activity: String,
    /// After how many days without a sign-in a guest is inactive.
    inactive_after_days: i64,
    users: Vec<User>,
    pager: Pager,
    /// Listing only the guests who have not accepted the current terms.
    terms_outdated: bool,
    terms_version: String,
    /// How many guests have not accepted the current terms (yet).
    not_accepted: i64,
}

pub async fn list(
    ctx: PageCtx,
    state: web::Data<AppState>,
    _a: AdminUser,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    // Unknown filter values match nothing rather than everything.
    let known_activity = matches!(q.activity.as_str(), "" | "inactive");
    let user_type = if matches!(q.user_type.as_str(), "" | "member" | "guest") && known_activity {
        q.user_type
    } else {
        "none".into()
    };
    let st = if matches!(q.state.as_str(), "" | "pending_acceptance" | "accepted" | "blocked") {
        q.state
    } else {
        "none".into()
    };
    let activity = if known_activity { q.activity } else { "none".into() };
    let settings = flows::settings::current(&state).await?;
    let inactive_before = (activity == "inactive").then(|| settings.inactive_before(state.clock.now()));
    let search: String = kept(&q.q, 200);
    let page = Page::new(q.page.unwrap_or(1), PAGE_SIZE);
    let mut c = state.db.acquire().await?;
    let email_query = crate::domain::email::ascii_for_search(&search);
    let terms_version = settings.terms_version.clone();
    // The guests still to accept the current terms: a list of its own (the other filters
    // do not apply to it).
    let terms_outdated = q.terms == "outdated";
    let (users, total) = if terms_outdated {
        users::terms_not_accepted(c.conn(), &terms_version, page).await?
    } else {
        let filter = Filter {
            query: &search,
            email_query: &email_query,
            user_type: &user_type,
            state: &st,
            inactive_before,
            last_sign_in: None,
            odata: None,
        };
        users::search(c.conn(), &filter, page).await?
    };
    let not_accepted = users::count_terms_not_accepted(c.conn(), &terms_version).await?;
    let terms = if terms_outdated { "outdated" } else { "" };
    let base = filtered(
        "/admin/users",
        &[("q", &search), ("type", &user_type), ("state", &st), ("activity", &activity), ("terms", terms)],
    );
    let pager = Pager::new(&base, page, total);
    Ok(render(&ListPage {
        ctx,
        q: search,
        user_type,
        state: st,
        activity,
        inactive_after_days: settings.inactive_after_days,
        users,
        pager,
        terms_outdated,
        terms_version,
        not_accepted,
    }))
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    ctx: PageCtx,
    user: User,
    is_self: bool,
    sponsors: Vec<User>,
    identities: Vec<NamedIdentity>,
    invitations: Vec<Invitation>,
    apps: Vec<App>,
    other_apps: Vec<App>,
    /// Apps the pending invitation grants once it is redeemed.
    granted_on_redemption: Vec<App>,
    events: Vec<Entry>,
    has_pending_invitation: bool,
    /// For the sponsors partial, shared with My guests.
    guest_id: Uuid,
    back: &'static str,
    max_sponsors: i64,
    viewer_id: Uuid,
    viewer_is_admin: bool,
    lifetime_days: i64,
    mfa: flows::mfa::Overview,
}

pub async fn show(
    ctx: PageCtx,
    state: web::Data<AppState>,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let mut c = state.db.acquire().await?;
    let user = users::find(c.conn(), id).await?.ok_or(AppError::NotFound)?;
    let invitations = invitations::for_user(c.conn(), id).await?;
    let apps = apps::for_user(c.conn(), id, state.clock.now()).await?;
    let other_apps = apps::all(c.conn()).await?.into_iter().filter(|a| !apps.iter().any(|x| x.id == a.id)).collect();
    let granted_on_redemption = match invitations.iter().find(|i| i.status == InvitationStatus::Pending) {
        Some(i) => apps::for_invitation(c.conn(), i.id).await?,
        None => Vec::new(),
    };
    let page = UserPage {
        granted_on_redemption,
        ctx,
        is_self: admin.id == user.id,
        sponsors: sponsors::of(c.conn(), id).await?,
        identities: identities::named_for_user(c.conn(), id).await?,
        has_pending_invitation: invitations.iter().any(|i| i.status == InvitationStatus::Pending),
        invitations,
        apps,
        other_apps,
        events: audit::list(
            c.conn(),
            &audit::Filter { target_id: &id.to_string(), ..Default::default() },
            Page::new(1, 50),
        )
        .await?
        .0
        .into_iter()
        .map(Entry::of)
        .collect(),
        guest_id: user.id,
        back: "admin",
        max_sponsors: crate::domain::user::MAX_SPONSORS,
        viewer_id: admin.id,
        viewer_is_admin: true,
        lifetime_days: flows::settings::current(&state).await?.guest_lifetime_days,
        mfa: flows::mfa::overview(&state, &user).await?,
        user,
    };
    Ok(render(&page))
}

/// The second-factor actions on a person: `reset` (every method and recovery code goes),
/// `require` or `not-require` (their own "MFA required").
pub async fn mfa_action(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    path: web::Path<(Uuid, String)>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let (id, action) = path.into_inner();
    let who = actor(&req, &admin);
    let said = match action.as_str() {
        "reset" => {
            flows::mfa::reset(&state, id, &who).await?;
            "Their second factors were reset and their sessions ended; they set up a new one at their next sign-in."
        }
        "require" => {
            flows::mfa::set_required(&state, id, true, &who).await?;
            "This person must now sign in with a second step."
        }
        "not-require" => {
            flows::mfa::set_required(&state, id, false, &who).await?;
            "This person's own MFA requirement was lifted; the organization's rules still apply."
        }
        _ => return Err(AppError::NotFound),
    };
    flash(&session, said);
    Ok(back(id))
}

fn back(id: Uuid) -> HttpResponse {
    see_other(&format!("/admin/users/{id}"))
}

pub async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    match flows::invitations::resend(&state, id, &actor(&req, &admin)).await? {
        Ok(_) => flash(&session, "A new invitation link was sent. The previous link no longer works."),
        Err(refused) => flash_refused(&session, refused.to_string()),
    }
    Ok(back(id))
}

pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    if flows::invitations::revoke(&state, id, &actor(&req, &admin)).await? {
        flash(&session, "The invitation was revoked: its link no longer works.");
    } else {
        flash_refused(&session, "There was no pending invitation to revoke.");
    }
    Ok(back(id))
}

pub async fn reset_redemption(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    match flows::invitations::reset_redemption(&state, id, &admin, &actor(&req, &admin)).await? {
        Ok(_) => flash(
            &session,
            "Redemption was reset: sign-in identities were unlinked, sessions ended, and a new invitation was sent.",
        ),
        Err(refused) => flash_refused(&session, refused.to_string()),
    }
    Ok(back(id))
}

/// The account actions on the user page, one POST each, told apart by the path's last
/// segment: `block`, `unblock`, `make-admin`, `remove-admin`, `make-inviter`,
/// `remove-inviter` (the route table lists each path, so any other is a 404 as before).
pub async fn account_action(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let who = actor(&req, &admin);
    let action = req.path().rsplit('/').next().unwrap_or_default();
    let said: Result<String, String> = match action {
        "block" | "unblock" => {
            let blocked = action == "block";
            flows::users::set_blocked(&state, id, blocked, &who).await?;
            Ok(if blocked { "The user is blocked and was signed out everywhere." } else { "The user is unblocked." }
                .into())
        }
        "make-admin" | "remove-admin" => {
            let make = action == "make-admin";
            let said = match flows::users::set_admin(&state, id, make, &who).await? {
                Ok(()) if make => Ok("The member is now an admin; they sign in again to use it.".to_string()),
                Ok(()) => Ok("The member's admin rights were removed.".into()),
                Err(refused) => Err(refused.to_string()),
            };
            // Someone who took their own rights lands where a member does.
            if said.is_ok() && !make && id == admin.id {
                flash_said(&session, said);
                return Ok(see_other("/apps"));
            }
            said
        }
        "restore" => match flows::leaving::restore(&state, id, &who).await? {
            Ok(()) => Ok("The account is restored: it can sign in again. Its sessions stay ended.".into()),
            Err(refused) => Err(refused.to_string()),
        },
        "make-inviter" | "remove-inviter" => {
            let inviter = action == "make-inviter";
            flows::users::set_inviter(&state, id, inviter, &who).await?;
            Ok(if inviter { "The member may now invite guests." } else { "The member's inviter role was removed." }
                .into())
        }
        _ => return Err(AppError::NotFound),
    };
    flash_said(&session, said);
    Ok(back(id))
}

#[derive(Deserialize)]
pub struct AssignForm {
    app_id: String,
}

pub async fn assign_app(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    id: web::Path<Uuid>,
    f: CsrfForm<AssignForm>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let app_id =
        uuid::Uuid::parse_str(&f.form.app_id).map_err(|_| AppError::BadRequest("Choose an app to assign.".into()))?;
    if flows::apps::assign(&state, app_id, id, &actor(&req, &admin)).await? {
        flash(&session, "The app was assigned.");
    }
    Ok(back(id))
}

pub async fn unassign_app(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    AdminUser(admin): AdminUser,
    path: web::Path<(Uuid, Uuid)>,
    _f: CsrfForm<NoFields>,
) -> AppResult<HttpResponse> {
    let (id, app_id) = path.into_inner();
    if flows::apps::unassign(&state, app_id, id, &actor(&req, &admin)).await? {
        flash(&session, "The app was removed from this user.");
    }
    Ok(back(id))
}

impl UserPage {
    fn mfa_reason(&self, r: &crate::domain::mfa::Required) -> &'static str {
        use crate::domain::mfa::Required;
        match r {
            Required::Admin => "admins always use a second step",
            Required::User => "set for this person",
            Required::Guests => "Settings require it for guests",
            Required::Members => "Settings require it for members",
        }
    }
}
