//! The admin portal (F7): dashboard, users, invitations, apps, audit log. Every handler
//! takes `AdminUser`, so non-admins get 403.

pub mod apps;
pub mod audit;
pub mod groups;
pub mod idps;
pub mod invitations;
pub mod packages;
pub mod requests;
pub mod settings;
pub mod users;

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::auth::AdminUser;
use crate::db::audit::AuditEvent;
use crate::db::{Page, apps as app_rows, audit as audit_rows, invitations as invitation_rows, users as user_rows};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::page::{PageCtx, render};

pub fn routes(cfg: &mut crate::web::routes::Routes) {
    cfg.route("/admin", web::get().to(dashboard))
        .route("/admin/users", web::get().to(users::list))
        .route("/admin/users/{id}", web::get().to(users::show))
        .route("/admin/users/{id}/resend", web::post().to(users::resend))
        .route("/admin/users/{id}/revoke", web::post().to(users::revoke))
        .route("/admin/users/{id}/block", web::post().to(users::block))
        .route("/admin/users/{id}/reset-redemption", web::post().to(users::reset_redemption))
        .route("/admin/users/{id}/unblock", web::post().to(users::unblock))
        .route("/admin/users/{id}/apps", web::post().to(users::assign_app))
        .route("/admin/users/{id}/apps/{app_id}/remove", web::post().to(users::unassign_app))
        .route("/admin/invitations/new", web::get().to(invitations::form))
        .route("/admin/invitations", web::post().to(invitations::create))
        .route("/admin/apps", web::get().to(apps::list))
        .route("/admin/apps", web::post().to(apps::create))
        .route("/admin/apps/new", web::get().to(apps::new_form))
        .route("/admin/apps/{id}", web::get().to(apps::edit_form))
        .route("/admin/apps/{id}", web::post().to(apps::update))
        .route("/admin/apps/{id}/delete", web::post().to(apps::delete))
        .route("/admin/audit", web::get().to(audit::list))
        .route("/admin/groups", web::get().to(groups::list))
        .route("/admin/groups", web::post().to(groups::create))
        .route("/admin/groups/new", web::get().to(groups::new_form))
        .route("/admin/groups/{id}", web::get().to(groups::edit_form))
        .route("/admin/groups/{id}", web::post().to(groups::update))
        .route("/admin/groups/{id}/delete", web::post().to(groups::delete))
        .route("/admin/groups/{id}/members", web::post().to(groups::add_member))
        .route("/admin/groups/{id}/members/{user}/remove", web::post().to(groups::remove_member))
        .route("/admin/packages", web::get().to(packages::list))
        .route("/admin/packages", web::post().to(packages::create))
        .route("/admin/packages/new", web::get().to(packages::new_form))
        .route("/admin/packages/{id}", web::get().to(packages::edit_form))
        .route("/admin/packages/{id}", web::post().to(packages::update))
        .route("/admin/packages/{id}/delete", web::post().to(packages::delete))
        .route("/admin/requests", web::get().to(requests::list))
        .route("/admin/requests/{id}", web::get().to(requests::show))
        .route("/admin/requests/{id}/decide", web::post().to(requests::decide))
        .route("/admin/settings", web::get().to(settings::show))
        .route("/admin/settings", web::post().to(settings::save))
        .route("/admin/identity-providers", web::get().to(idps::list))
        .route("/admin/identity-providers", web::post().to(idps::create))
        .route("/admin/identity-providers/new", web::get().to(idps::new_form))
        .route("/admin/identity-providers/{id}", web::get().to(idps::edit_form))
        .route("/admin/identity-providers/{id}", web::post().to(idps::update))
        .route("/admin/identity-providers/{id}/delete", web::post().to(idps::delete));
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct Dashboard {
    ctx: PageCtx,
    pending_invitations: i64,
    guests: i64,
    pending_guests: i64,
    members: i64,
    pending_requests: i64,
    apps: usize,
    recent: Vec<AuditEvent>,
}

async fn dashboard(ctx: PageCtx, state: web::Data<AppState>, _admin: AdminUser) -> AppResult<HttpResponse> {
    let mut c = state.db.acquire().await?;
    let page = Dashboard {
        ctx,
        pending_invitations: invitation_rows::count_pending(c.conn()).await?,
        guests: user_rows::count_by(c.conn(), "guest", "accepted").await?,
        pending_guests: user_rows::count_by(c.conn(), "guest", "pending_acceptance").await?,
        members: user_rows::count_by(c.conn(), "member", "").await?,
        pending_requests: crate::db::requests::count_status(c.conn(), "pending_approval").await?,
        apps: app_rows::all(c.conn()).await?.len(),
        recent: audit_rows::list(c.conn(), "", "", Page::new(1, 8)).await?.0,
    };
    Ok(render(&page))
}

/// Page links for a listing: "page N of M" with previous/next hrefs.
pub struct Pager {
    pub number: i64,
    pub pages: i64,
    pub total: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `base` is the listing's path with its filters, ending in `?` or `&`.
    pub fn new(base: &str, page: Page, total: i64) -> Pager {
        let pages = ((total + page.size - 1) / page.size).max(1);
        let link = |n: i64| format!("{base}page={n}");
        Pager {
            number: page.number,
            pages,
            total,
            prev: (page.number > 1).then(|| link(page.number - 1)),
            next: (page.number < pages).then(|| link(page.number + 1)),
        }
    }
}

/// Builds `path?k=v&…&` from non-empty filters, ready for `page=N`.
pub fn filtered(path: &str, filters: &[(&str, &str)]) -> String {
    let mut s = format!("{path}?");
    for (k, v) in filters.iter().filter(|(_, v)| !v.is_empty()) {
        s.push_str(&url::form_urlencoded::Serializer::new(String::new()).append_pair(k, v).finish());
        s.push('&');
    }
    s
}

pub fn fmt_time(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}
