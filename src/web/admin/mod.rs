//! The admin portal (F7): dashboard, users, invitations, apps, audit log. Every handler
//! takes `AdminUser`, so non-admins get 403.

pub mod api_keys;
pub mod app_access;
pub mod apps;
pub mod audit;
pub mod audit_words;
pub mod bulk;
pub mod do_not_invite;
pub mod groups;
pub mod idps;
pub mod invitations;
pub mod members;
pub mod outbox;
pub mod packages;
pub mod requests;
pub mod reviews;
pub mod saml_idps;
pub mod settings;
pub mod users;

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::auth::AdminUser;
use crate::db::{Page, audit as audit_rows};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::page::{PageCtx, render};

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct Dashboard {
    ctx: PageCtx,
    counts: crate::db::stats::Dashboard,
    /// Guests without a sign-in for `inactive_after_days` (Settings).
    inactive_guests: i64,
    inactive_after_days: i64,
    recent: Vec<audit_words::Entry>,
}

pub async fn dashboard(ctx: PageCtx, state: web::Data<AppState>, _admin: AdminUser) -> AppResult<HttpResponse> {
    let settings = crate::flows::settings::current(&state).await?;
    let inactive_before = settings.inactive_before(state.clock.now());
    let mut c = state.db.acquire().await?;
    let page = Dashboard {
        ctx,
        counts: crate::db::stats::dashboard(c.conn(), settings.guests_mfa).await?,
        inactive_guests: crate::db::users::count_inactive_guests(c.conn(), inactive_before).await?,
        inactive_after_days: settings.inactive_after_days,
        // The newest few, without counting the whole log as a listing would.
        recent: audit_rows::batch(c.conn(), &Default::default(), 8)
            .await?
            .into_iter()
            .map(audit_words::Entry::of)
            .collect(),
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
