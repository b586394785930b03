//! Counts for `/metrics`, read at scrape time: each an index-backed GROUP BY.

use chrono::{DateTime, Utc};

use super::{Conn, run};

/// Rows of a table by their `status`, for the tables whose states operators watch.
pub async fn by_status(c: Conn<'_>, table: StatusTable) -> sqlx::Result<Vec<(String, i64)>> {
    let sql = match table {
        StatusTable::Invitations => "SELECT status, COUNT(*) FROM invitations GROUP BY status",
        StatusTable::SignUpRequests => "SELECT status, COUNT(*) FROM signup_requests GROUP BY status",
        StatusTable::Outbox => "SELECT status, COUNT(*) FROM outbox GROUP BY status",
    };
    run!(c, |e| sqlx::query_as(sql).fetch_all(e).await)
}

#[derive(Clone, Copy)]
pub enum StatusTable {
    Invitations,
    SignUpRequests,
    Outbox,
}

/// When the oldest message still waiting to go out was queued.
pub async fn oldest_pending_mail(c: Conn<'_>) -> sqlx::Result<Option<DateTime<Utc>>> {
    run!(c, |e| sqlx::query_scalar("SELECT MIN(created_at) FROM outbox WHERE status = 'pending'").fetch_one(e).await)
}
