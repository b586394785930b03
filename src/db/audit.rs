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

/// Events newest first, optionally only those whose action starts with `action` or that
/// concern `target_id`.
pub async fn list(c: Conn<'_>, action: &str, target_id: &str, page: Page) -> sqlx::Result<(Vec<AuditEvent>, i64)> {
    let prefix = format!("{}%", super::contains_pattern(action).trim_matches('%'));
    let cond = "($1 = '%' OR action LIKE $1 ESCAPE '\\') AND ($2 = '' OR target_id = $2)";
    let list = format!("SELECT {COLUMNS} FROM audit_events WHERE {cond} ORDER BY id DESC LIMIT $3 OFFSET $4");
    let count = format!("SELECT COUNT(*) FROM audit_events WHERE {cond}");
    run!(c, |e| {
        let rows: Vec<AuditEvent> = sqlx::query_as(sqlx::AssertSqlSafe(list))
            .bind(&prefix)
            .bind(target_id)
            .bind(page.size)
            .bind(page.offset())
            .fetch_all(&mut *e)
            .await?;
        let total: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(count)).bind(&prefix).bind(target_id).fetch_one(&mut *e).await?;
        Ok((rows, total))
    })
}
