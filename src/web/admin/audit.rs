//! Admin: the audit log — filtered by action, actor, target and time — and its CSV export.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::auth::AdminUser;
use crate::db::Page;
use crate::db::audit::{self, AuditEvent, Filter};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::admin::{Pager, filtered, fmt_time};
use crate::web::csv_download::CsvFile;
use crate::web::kept;
use crate::web::page::{PageCtx, render};

/// The most rows one export holds; the page says so when there are more.
pub const EXPORT_MAX: i64 = 100_000;

#[derive(Deserialize, Default)]
pub struct Query {
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    target: String,
    /// `YYYY-MM-DD`, from the start of that day (UTC).
    #[serde(default)]
    from: String,
    /// `YYYY-MM-DD`, to the end of that day (UTC).
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: Option<i64>,
}

/// The filter as typed (kept for the form) and as the database reads it.
struct Chosen {
    action: String,
    actor: String,
    target: String,
    from: String,
    to: String,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    /// Why a date was not used.
    error: Option<String>,
}

fn day(text: &str) -> Result<Option<NaiveDate>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(Some)
        .map_err(|_| format!("“{text}” is not a date like 2026-11-27."))
}

fn chosen(q: &Query) -> Chosen {
    let (from, to) = (kept(&q.from, 10), kept(&q.to, 10));
    let mut error = None;
    let mut read = |text: &str| {
        day(text).unwrap_or_else(|e| {
            error.get_or_insert(e);
            None
        })
    };
    let since = read(&from).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
    let until = read(&to).and_then(|d| d.succ_opt()).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
    Chosen {
        action: kept(&q.action, 100),
        actor: kept(&q.actor, 200),
        target: kept(&q.target, 200),
        from,
        to,
        since,
        until,
        error,
    }
}

impl Chosen {
    fn filter(&self) -> Filter<'_> {
        Filter {
            action: &self.action,
            actor: &self.actor,
            target: &self.target,
            since: self.since,
            until: self.until,
            ..Filter::default()
        }
    }

    /// `path` with these filters as its query.
    fn link(&self, path: &str) -> String {
        let pairs = [
            ("action", self.action.as_str()),
            ("actor", &self.actor),
            ("target", &self.target),
            ("from", &self.from),
            ("to", &self.to),
        ];
        filtered(path, &pairs)
    }
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    ctx: PageCtx,
    f: Chosen,
    events: Vec<AuditEvent>,
    total: i64,
    pager: Pager,
    export: String,
    export_max: i64,
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
    let f = chosen(&q);
    let page = Page::new(q.page.unwrap_or(1), 50);
    let (events, total) = {
        let mut c = state.db.acquire().await?;
        audit::list(c.conn(), &f.filter(), page).await?
    };
    let pager = Pager::new(&f.link("/admin/audit"), page, total);
    let export = f.link("/admin/audit.csv");
    Ok(render(&AuditPage { ctx, f, events, total, pager, export, export_max: EXPORT_MAX }))
}

/// `GET /admin/audit.csv`: the filtered events, newest first, as CSV (at most `EXPORT_MAX`).
pub async fn export(state: web::Data<AppState>, _a: AdminUser, q: web::Query<Query>) -> AppResult<HttpResponse> {
    let f = chosen(&q);
    let mut out = CsvFile::new(&[
        "id",
        "time_utc",
        "actor_kind",
        "actor",
        "actor_id",
        "action",
        "target_kind",
        "target_id",
        "target",
        "details",
        "ip",
    ])?;
    let mut filter = f.filter();
    let mut written = 0;
    while written < EXPORT_MAX {
        let rows = {
            let mut c = state.db.acquire().await?;
            audit::batch(c.conn(), &filter, 1000.min(EXPORT_MAX - written)).await?
        };
        let Some(last) = rows.last().map(|e| e.id) else { break };
        for e in &rows {
            let row = [
                e.id.to_string(),
                e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                e.actor_kind.clone(),
                e.actor_label.clone(),
                e.actor_id.map(|i| i.to_string()).unwrap_or_default(),
                e.action.clone(),
                e.target_kind.clone(),
                e.target_id.clone(),
                e.target_label.clone(),
                e.details.clone(),
                e.ip.clone(),
            ];
            out.row(&row)?;
        }
        written += rows.len() as i64;
        filter.before_id = Some(last);
    }
    out.download("audit-log.csv")
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_read() {
        assert!(super::day("2026-11-27").unwrap().is_some());
        assert!(super::day("27/11/2026").is_err() && super::day(" ").unwrap().is_none());
    }
}
