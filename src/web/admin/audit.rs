//! Admin: the audit log.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::AdminUser;
use crate::db::Page;
use crate::db::audit::{self, AuditEvent};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::admin::{Pager, filtered, fmt_time};
use crate::web::kept;
use crate::web::page::{PageCtx, render};

#[derive(Deserialize)]
pub struct Query {
    #[serde(default)]
    action: String,
    #[serde(default)]
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    ctx: PageCtx,
    action: String,
    events: Vec<AuditEvent>,
    pager: Pager,
}

impl AuditPage {
    fn t(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        fmt_time(t)
    }
}

pub async fn list(
    ctx: PageCtx,
    state: web::Data<AppState>,
    _a: AdminUser,
    q: web::Query<Query>,
) -> AppResult<HttpResponse> {
    let action: String = kept(&q.action, 100);
    let page = Page::new(q.page.unwrap_or(1), 50);
    let mut c = state.db.acquire().await?;
    let (events, total) = audit::list(c.conn(), &action, "", page).await?;
    let pager = Pager::new(&filtered("/admin/audit", &[("action", &action)]), page, total);
    Ok(render(&AuditPage { ctx, action, events, pager }))
}
