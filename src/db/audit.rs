//! The audit log: an event for every change of data.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, Page, run};
use crate::domain::audit::Actor;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub target_label: String,
    pub ip: String,
    pub details: String,
}

/// What happened to what: `user.invited` on `user` 1234 (ana@partner.example).
pub struct Event<'a> {
    pub action: &'a str,
    pub target_kind: &'a str,
    pub target_id: String,
    pub target_label: &'a str,
    pub details: String,
}

impl<'a> Event<'a> {
    pub fn new(action: &'a str, target_kind: &'a str, target_id: impl ToString, target_label: &'a str) -> Self {
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
        .bind(ev.action)
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

const COLUMNS: &str =
    "id, at, actor_kind, actor_id, actor_label, action, target_kind, target_id, target_label, ip, details";

/// Which events: each part is optional (empty or `None` means any).
#[derive(Debug, Default, Clone)]
pub struct Filter<'a> {
    /// The action starts with this (`user.` for every user event).
    pub action: &'a str,
    /// The actor's name or address contains this (any case).
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

const FILTER: &str = "($1 = '%' OR action LIKE $1 ESCAPE '\\') AND ($2 = '' OR target_id = $2) \
    AND ($3 = '%%' OR LOWER(actor_label) LIKE $3 ESCAPE '\\') \
    AND ($4 = '%%' OR LOWER(target_label) LIKE $4 ESCAPE '\\' OR target_id = $5) \
    AND ($6 IS NULL OR at >= $6) AND ($7 IS NULL OR at < $7) AND ($8 IS NULL OR id < $8)";

/// Binds `FILTER`'s eight parameters, in order.
macro_rules! bind_filter {
    ($q:expr, $f:expr, $action:expr, $actor:expr, $target:expr) => {
        $q.bind($action)
            .bind($f.target_id)
            .bind($actor)
            .bind($target)
            .bind($f.target)
            .bind($f.since)
            .bind($f.until)
            .bind($f.before_id)
    };
}

fn patterns(f: &Filter<'_>) -> (String, String, String) {
    let action = format!("{}%", super::contains_pattern(f.action).trim_matches('%'));
    (action, super::contains_pattern(f.actor), super::contains_pattern(f.target))
}

/// Events newest first, a page of them, and how many there are in all.
pub async fn list(c: Conn<'_>, f: &Filter<'_>, page: Page) -> sqlx::Result<(Vec<AuditEvent>, i64)> {
    let (action, actor, target) = patterns(f);
    let list = format!("SELECT {COLUMNS} FROM audit_events WHERE {FILTER} ORDER BY id DESC LIMIT $9 OFFSET $10");
    let count = format!("SELECT COUNT(*) FROM audit_events WHERE {FILTER}");
    run!(c, |e| {
        let rows: Vec<AuditEvent> =
            bind_filter!(sqlx::query_as(sqlx::AssertSqlSafe(list)), f, &action, &actor, &target)
                .bind(page.size)
                .bind(page.offset())
                .fetch_all(&mut *e)
                .await?;
        let total: i64 = bind_filter!(sqlx::query_scalar(sqlx::AssertSqlSafe(count)), f, &action, &actor, &target)
            .fetch_one(&mut *e)
            .await?;
        Ok((rows, total))
    })
}

/// Up to `limit` events newest first, from `f.before_id` on: for exports and the API,
/// which page by id rather than by offset.
pub async fn batch(c: Conn<'_>, f: &Filter<'_>, limit: i64) -> sqlx::Result<Vec<AuditEvent>> {
    let (action, actor, target) = patterns(f);
    let sql = format!("SELECT {COLUMNS} FROM audit_events WHERE {FILTER} ORDER BY id DESC LIMIT $9");
    run!(c, |e| bind_filter!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), f, &action, &actor, &target)
        .bind(limit)
        .fetch_all(e)
        .await)
}
