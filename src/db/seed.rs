//! Many rows at once for `vestibule dev seed`: multi-row INSERTs, each a few hundred rows
//! (SQLite allows 32,766 bound values a statement, PostgreSQL 65,535).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};
use crate::domain::audit::Action;
use crate::domain::user::UserState;

pub struct SeedGuest {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub company: String,
    pub state: UserState,
    pub created_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

pub struct SeedInvitation {
    pub id: Uuid,
    pub user_id: Uuid,
    pub inviter_id: Option<Uuid>,
    pub email: String,
    pub token_hash: String,
    pub status: &'static str,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub redeemed_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub struct SeedEvent {
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    pub action: Action,
    pub target_id: Uuid,
    pub target_label: String,
}

pub async fn guests(c: Conn<'_>, rows: &[SeedGuest]) -> sqlx::Result<()> {
    run!(c, |e| {
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO users (id, email, display_name, company, user_type, state, created_via, created_at, \
             accepted_at, last_sign_in_at) ",
        );
        q.push_values(rows, |mut b, g| {
            b.push_bind(g.id)
                .push_bind(&g.email)
                .push_bind(&g.display_name)
                .push_bind(&g.company)
                .push_bind("guest")
                .push_bind(g.state)
                .push_bind("invitation")
                .push_bind(g.created_at)
                .push_bind(g.accepted_at)
                .push_bind(g.last_sign_in_at);
        });
        q.build().execute(e).await.map(|_| ())
    })
}

pub async fn invitations(c: Conn<'_>, rows: &[SeedInvitation]) -> sqlx::Result<()> {
    run!(c, |e| {
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO invitations (id, user_id, inviter_id, email, token_hash, status, sent_count, created_at, \
             expires_at, last_sent_at, redeemed_at, revoked_at) ",
        );
        q.push_values(rows, |mut b, i| {
            b.push_bind(i.id)
                .push_bind(i.user_id)
                .push_bind(i.inviter_id)
                .push_bind(&i.email)
                .push_bind(&i.token_hash)
                .push_bind(i.status)
                .push_bind(1_i64)
                .push_bind(i.created_at)
                .push_bind(i.expires_at)
                .push_bind(i.created_at)
                .push_bind(i.redeemed_at)
                .push_bind(i.revoked_at);
        });
        q.build().execute(e).await.map(|_| ())
    })
}

/// Memberships `(group, user, since)`.
pub async fn members(c: Conn<'_>, rows: &[(Uuid, Uuid, DateTime<Utc>)]) -> sqlx::Result<()> {
    run!(c, |e| {
        let mut q = sqlx::QueryBuilder::new("INSERT INTO group_members (group_id, user_id, created_at) ");
        q.push_values(rows, |mut b, (group, user, at)| {
            b.push_bind(group).push_bind(user).push_bind(at);
        });
        q.build().execute(e).await.map(|_| ())
    })
}

pub async fn events(c: Conn<'_>, rows: &[SeedEvent]) -> sqlx::Result<()> {
    run!(c, |e| {
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO audit_events (at, actor_kind, actor_id, actor_label, action, target_kind, target_id, \
             target_label, ip, details) ",
        );
        q.push_values(rows, |mut b, ev| {
            b.push_bind(ev.at)
                .push_bind(if ev.actor_id.is_some() { "user" } else { "system" })
                .push_bind(ev.actor_id)
                .push_bind(&ev.actor_label)
                .push_bind(ev.action.code())
                .push_bind("user")
                .push_bind(ev.target_id.to_string())
                .push_bind(&ev.target_label)
                .push_bind("")
                .push_bind("seeded");
        });
        q.build().execute(e).await.map(|_| ())
    })
}

/// After a bulk load, what autovacuum would do in time: fresh planner statistics (SQLite's
/// `ANALYZE` fills `sqlite_stat1`), and on PostgreSQL a vacuum, whose visibility map lets
/// the dashboard count from indexes alone. The tallies table is rewritten first: the load
/// appended a row per guest and invitation that the fold deleted, and a plain vacuum
/// cannot give back pages that lie before the folded rows, so the dashboard, which sums the
/// whole table, kept reading 13 MB of dead rows for a handful of live ones (565 req/s at
/// 100,000 guests against 1,015 at 100). A running portal never gathers that many between
/// the worker's folds.
pub async fn analyze(c: Conn<'_>) -> sqlx::Result<()> {
    match c {
        Conn::Sqlite(e) => sqlx::query("ANALYZE").execute(e).await.map(|_| ()),
        Conn::Postgres(e) => {
            sqlx::query("VACUUM (FULL) tallies").execute(&mut *e).await?;
            sqlx::query("VACUUM (ANALYZE)").execute(e).await.map(|_| ())
        }
    }
}
