//! Admin: the audit log in sentences — filtered by category and activity (as Entra's),
//! actor, target and time — and its CSV export, which keeps the stored codes and details.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::auth::AdminUser;
use crate::db::Page;
use crate::db::audit::{self, Filter};
use crate::domain::audit::{Action, Category};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::admin::audit_words::Entry;
use crate::web::admin::{Pager, filtered};
use crate::web::csv_download::CsvFile;
use crate::web::kept;
use crate::web::page::{PageCtx, render};

/// The most rows one export holds; the page says so when there are more.
pub const EXPORT_MAX: i64 = 100_000;

#[derive(Deserialize, Default)]
pub struct Query {
    /// A category's name (`Category::as_str`).
    #[serde(default)]
    category: String,
    /// An action's code.
    #[serde(default)]
    activity: String,
    /// The code starts with this (`user.`): older links, and admins who know the codes.
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
    category: String,
    activity: String,
    action: String,
    actor: String,
    target: String,
    from: String,
    to: String,
    /// The actions the category and activity leave (`None`: neither was chosen).
    actions: Option<Vec<Action>>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    /// Why From, or To, was not used.
    from_error: Option<String>,
    to_error: Option<String>,
}

fn day(text: &str) -> Result<Option<NaiveDate>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(Some)
        .map_err(|_| format!("“{text}” is not a date like 2026-11-27; it was not used."))
}

/// The actions a category and an activity leave: both must hold, and a value that names
/// none matches nothing rather than everything.
fn actions(category: &str, activity: &str) -> Option<Vec<Action>> {
    if category.is_empty() && activity.is_empty() {
        return None;
    }
    let category = (!category.is_empty()).then(|| Category::parse(category));
    let activity = (!activity.is_empty()).then(|| Action::parse(activity));
    let kept = Action::ALL
        .iter()
        .copied()
        .filter(|a| category.is_none_or(|c| c == Some(a.category())) && activity.is_none_or(|x| x == Some(*a)));
    Some(kept.collect())
}

fn chosen(q: &Query) -> Chosen {
    let (from, to) = (kept(&q.from, 10), kept(&q.to, 10));
    let (mut from_error, mut to_error) = (None, None);
    let mut first = day(&from).unwrap_or_else(|e| {
        from_error = Some(e);
        None
    });
    let mut last = day(&to).unwrap_or_else(|e| {
        to_error = Some(e);
        None
    });
    if let (Some(f), Some(t)) = (first, last)
        && f > t
    {
        from_error = Some(format!("From ({f}) is after To ({t}); neither date was used."));
        (first, last) = (None, None);
    }
    let (category, activity) = (kept(&q.category, 40), kept(&q.activity, 100));
    Chosen {
        actions: actions(&category, &activity),
        category,
        activity,
        action: kept(&q.action, 100),
        actor: kept(&q.actor, 200),
        target: kept(&q.target, 200),
        from,
        to,
        since: first.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc()),
        until: last.and_then(|d| d.succ_opt()).and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc()),
        from_error,
        to_error,
    }
}

impl Chosen {
    fn filter(&self) -> Filter<'_> {
        Filter {
            action: &self.action,
            actions: self.actions.as_deref(),
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
            ("category", self.category.as_str()),
            ("activity", &self.activity),
            ("action", &self.action),
            ("actor", &self.actor),
            ("target", &self.target),
            ("from", &self.from),
            ("to", &self.to),
        ];
        filtered(path, &pairs)
    }
}

/// A category and its activities, for the filters' selects.
struct Group {
    category: Category,
    actions: Vec<Action>,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    ctx: PageCtx,
    f: Chosen,
    groups: Vec<Group>,
    events: Vec<Entry>,
    total: i64,
    pager: Pager,
    export: String,
    export_max: i64,
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
    let groups = Category::ALL.iter().map(|c| Group { category: *c, actions: c.actions().collect() }).collect();
    let events = events.into_iter().map(Entry::of).collect();
    Ok(render(&AuditPage { ctx, f, groups, events, total, pager, export, export_max: EXPORT_MAX }))
}

/// `GET /admin/audit.csv`: the filtered events, newest first, as CSV (at most `EXPORT_MAX`):
/// the stored columns as they are, and the sentence last.
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
        "sentence",
    ])?;
    let mut filter = f.filter();
    let mut written = 0;
    while written < EXPORT_MAX {
        let rows = {
            let mut c = state.db.acquire().await?;
            audit::batch(c.conn(), &filter, 1000.min(EXPORT_MAX - written)).await?
        };
        let Some(last) = rows.last().map(|e| e.id) else { break };
        written += rows.len() as i64;
        for e in rows {
            let mut row = vec![
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
            row.push(Entry::of(e).plain());
            out.row(&row)?;
        }
        filter.before_id = Some(last);
    }
    out.download("audit-log.csv")
}

#[cfg(test)]
mod tests {
    use super::{Query, actions, chosen};
    use crate::domain::audit::{Action, Category};

    #[test]
    fn dates_read() {
        assert!(super::day("2026-11-27").unwrap().is_some());
        assert!(super::day("27/11/2026").is_err() && super::day(" ").unwrap().is_none());
    }

    #[test]
    fn from_after_to_uses_neither() {
        let q = Query { from: "2026-11-28".into(), to: "2026-11-27".into(), ..Query::default() };
        let f = chosen(&q);
        assert!(f.since.is_none() && f.until.is_none() && f.to_error.is_none());
        assert!(f.from_error.unwrap().contains("is after To"));
        let same_day = chosen(&Query { from: "2026-11-27".into(), to: "2026-11-27".into(), ..Query::default() });
        assert!(same_day.since.is_some() && same_day.until.is_some() && same_day.from_error.is_none());
    }

    #[test]
    fn category_and_activity_narrow_together() {
        assert_eq!(actions("", ""), None);
        let apps = actions("apps", "").unwrap();
        assert!(!apps.is_empty() && apps.iter().all(|a| a.category() == Category::Apps));
        assert_eq!(actions("", "user.invited"), Some(vec![Action::UserInvited]));
        assert_eq!(actions("invitations", "user.invited"), Some(vec![Action::UserInvited]));
        assert_eq!(actions("apps", "user.invited"), Some(vec![]));
        assert_eq!(actions("nonsense", ""), Some(vec![]));
    }
}
