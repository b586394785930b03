//! The admin portal (F7): dashboard, users, invitations, apps, audit log. Every handler
//! takes `AdminUser`, so non-admins get 403.

pub mod api_keys;
pub mod apps;
pub mod audit;
pub mod bulk;
pub mod groups;
pub mod idps;
pub mod invitations;
pub mod members;
pub mod outbox;
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
    /// Active guests who must use MFA and have no authenticator app yet.
    guests_without_mfa: i64,
    recent: Vec<AuditEvent>,
}

pub async fn dashboard(ctx: PageCtx, state: web::Data<AppState>, _admin: AdminUser) -> AppResult<HttpResponse> {
    let mut c = state.db.acquire().await?;
    let page = Dashboard {
        ctx,
        pending_invitations: invitation_rows::count_pending(c.conn()).await?,
        guests: user_rows::count_by(c.conn(), "guest", "accepted").await?,
        pending_guests: user_rows::count_by(c.conn(), "guest", "pending_acceptance").await?,
        members: user_rows::count_by(c.conn(), "member", "").await?,
        pending_requests: crate::db::requests::count_status(
            c.conn(),
            crate::domain::request::RequestStatus::PendingApproval,
        )
        .await?,
        apps: app_rows::all(c.conn()).await?.len(),
        guests_without_mfa: crate::db::mfa::guests_without_mfa(
            c.conn(),
            crate::flows::settings::current(&state).await?.guests_mfa,
        )
        .await?,
        recent: audit_rows::list(c.conn(), &Default::default(), Page::new(1, 8)).await?.0,
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
