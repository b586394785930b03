//! The audit log: an event for every change of data.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, Page, run};
use crate::domain::audit::{Action, Actor};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    /// The stored code (`Action::code`); an older version may have written one this
    /// version does not know.
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub target_label: String,
    pub ip: String,
    pub details: String,
    /// The actor's display name now, when the actor is a user who still exists.
    pub actor_name: Option<String>,
}

/// What happened to what: `Action::UserInvited` on `user` 1234 (ana@partner.example).
pub struct Event<'a> {
    pub action: Action,
    pub target_kind: &'a str,
    pub target_id: String,
    pub target_label: &'a str,
    pub details: String,
}

impl<'a> Event<'a> {
    pub fn new(action: Action, target_kind: &'a str, target_id: impl ToString, target_label: &'a str) -> Self {
        Event { action, target_kind, target_id: target_id.to_string(), target_label, details: String::new() }
    }

    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = details.into();
        self
    }
}

pub async fn record(c: Conn<'_>, actor: &Actor, ev: &Event<'_>, now: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| {
        sqlx::query(
            "INSERT INTO audit_events (at, actor_kind, actor_id, actor_label, action, target_kind, target_id, \
         target_label, ip, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(now)
        .bind(actor.kind)
        .bind(actor.id)
        .bind(&actor.label)
        .bind(ev.action.code())
        .bind(ev.target_kind)
        .bind(&ev.target_id)
        .bind(ev.target_label)
        .bind(&actor.ip)
        .bind(&ev.details)
        .execute(e)
        .await
        .map(|_| ())
    })
}

/// Deletes the events from before `cutoff` (the retention Settings give); how many went.
pub async fn delete_before(c: Conn<'_>, cutoff: DateTime<Utc>) -> sqlx::Result<u64> {
    run!(c, |e| sqlx::query("DELETE FROM audit_events WHERE at < $1")
        .bind(cutoff)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))
}

/// The events with their actor's current name: a primary-key look-up per row shown.
const SELECT: &str = "SELECT a.id, a.at, a.actor_kind, a.actor_id, a.actor_label, a.action, a.target_kind, \
    a.target_id, a.target_label, a.ip, a.details, u.display_name AS actor_name \
    FROM audit_events a LEFT JOIN users u ON a.actor_kind = 'user' AND u.id = a.actor_id";

/// Which events: each part is optional (empty or `None` means any).
#[derive(Debug, Default, Clone)]
pub struct Filter<'a> {
    /// The code starts with this (`user.` for every user event).
    pub action: &'a str,
    /// One of these actions (`Some(&[])` matches nothing).
    pub actions: Option<&'a [Action]>,
    /// The actor's address or label, or the current name of the user who acted, contains
    /// this (any case).
    pub actor: &'a str,
    /// The target's name contains this (any case), or it is the target's id.
    pub target: &'a str,
    /// Exactly this target id.
    pub target_id: &'a str,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only events older than this one (a cursor for paging through all of them).
    pub before_id: Option<i64>,
}

/// A filter as the query binds it: patterns made, empty parts dropped.
struct Bound {
    prefix: Option<String>,
    codes: Option<Vec<&'static str>>,
    target_id: Option<String>,
    actor: Option<String>,
    target: Option<(String, String)>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    before_id: Option<i64>,
    /// How `LIKE` escapes on this database. PostgreSQL's default is the backslash, and its
    /// trigram index on users' names (migration 0014) serves a plain `LIKE`.
    escape: &'static str,
}

impl Bound {
    fn of(f: &Filter<'_>, c: &Conn<'_>) -> Bound {
        let some = |s: &str| (!s.is_empty()).then(|| super::contains_pattern(s));
        Bound {
            prefix: (!f.action.is_empty()).then(|| format!("{}%", super::contains_pattern(f.action).trim_matches('%'))),
            codes: f.actions.map(|a| a.iter().map(|a| a.code()).collect()),
            target_id: (!f.target_id.is_empty()).then(|| f.target_id.to_string()),
            actor: some(f.actor),
            target: some(f.target).map(|p| (p, f.target.to_string())),
            since: f.since,
            until: f.until,
            before_id: f.before_id,
            escape: if matches!(c, Conn::Sqlite(_)) { " ESCAPE '\\'" } else { "" },
        }
    }
}

/// Appends ` WHERE …` for `$b` (a `Bound`) to the query builder `$q`, on either database.
macro_rules! push_where {
    ($q:expr, $b:expr) => {{
        let (q, b) = (&mut $q, $b);
        q.push(" WHERE 1 = 1");
        if let Some(p) = &b.prefix {
            q.push(" AND a.action LIKE ").push_bind(p.clone()).push(" ESCAPE '\\'");
        }
        if let Some(codes) = &b.codes {
            if codes.is_empty() {
                q.push(" AND 1 = 0");
            } else {
                q.push(" AND a.action IN (");
                let mut list = q.separated(", ");
                for code in codes {
                    list.push_bind(*code);
                }
                q.push(")");
            }
        }
        if let Some(id) = &b.target_id {
            q.push(" AND a.target_id = ").push_bind(id.clone());
        }
        if let Some(p) = &b.actor {
            // The name is the user's current one: a person is found by what the pages call them.
            q.push(" AND (LOWER(a.actor_label) LIKE ").push_bind(p.clone()).push(" ESCAPE '\\'");
            q.push(
                " OR (a.actor_kind = 'user' AND a.actor_id IN (SELECT id FROM users WHERE LOWER(display_name) LIKE ",
            );
            q.push_bind(p.clone()).push(b.escape).push(")))");
        }
        if let Some((p, exact)) = &b.target {
            q.push(" AND (LOWER(a.target_label) LIKE ").push_bind(p.clone()).push(" ESCAPE '\\'");
            q.push(" OR a.target_id = ").push_bind(exact.clone()).push(")");
        }
        if let Some(t) = b.since {
            q.push(" AND a.at >= ").push_bind(t);
        }
        if let Some(t) = b.until {
            q.push(" AND a.at < ").push_bind(t);
        }
        if let Some(id) = b.before_id {
            q.push(" AND a.id < ").push_bind(id);
        }
    }};
}

/// Events newest first, a page of them, and how many there are in all.
pub async fn list(c: Conn<'_>, f: &Filter<'_>, page: Page) -> sqlx::Result<(Vec<AuditEvent>, i64)> {
    let b = Bound::of(f, &c);
    run!(c, |e| {
        let mut q = sqlx::QueryBuilder::new(SELECT);
        push_where!(q, &b);
        q.push(" ORDER BY a.id DESC LIMIT ").push_bind(page.size).push(" OFFSET ").push_bind(page.offset());
        let rows: Vec<AuditEvent> = q.build_query_as().fetch_all(&mut *e).await?;
        let mut q = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM audit_events a");
        push_where!(q, &b);
        let total: i64 = q.build_query_scalar().fetch_one(&mut *e).await?;
        Ok((rows, total))
    })
}

/// Up to `limit` events newest first, from `f.before_id` on: for exports and the API,
/// which page by id rather than by offset.
pub async fn batch(c: Conn<'_>, f: &Filter<'_>, limit: i64) -> sqlx::Result<Vec<AuditEvent>> {
    let b = Bound::of(f, &c);
    run!(c, |e| {
        let mut q = sqlx::QueryBuilder::new(SELECT);
        push_where!(q, &b);
        q.push(" ORDER BY a.id DESC LIMIT ").push_bind(limit);
        q.build_query_as().fetch_all(e).await
    })
}
