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

/// The admin dashboard's figures, counted in one statement.
#[derive(Debug)]
pub struct Dashboard {
    pub pending_invitations: i64,
    pub guests: i64,
    pub pending_guests: i64,
    pub members: i64,
    pub pending_requests: i64,
    pub apps: i64,
    /// Active guests who must use MFA (all of them when `all_guests_need_mfa`, else those
    /// marked) and have no confirmed method yet.
    pub guests_without_mfa: i64,
}

pub async fn dashboard(c: Conn<'_>, all_guests_need_mfa: bool) -> sqlx::Result<Dashboard> {
    // Users and invitations are counted from their tallies (a sum over a few dozen rows,
    // `db::tallies`), not by counting tens of thousands of index entries; the rest are small
    // tables. The guests with a method are counted from mfa_methods (few rows), not by
    // probing every guest; when every guest must use MFA, those who must are simply the
    // active guests.
    let must = if all_guests_need_mfa { "" } else { " AND mfa_required" };
    let moves = super::tallies::MOVES;
    let sql = format!(
        "WITH t AS (SELECT key, SUM(n) AS n FROM ({moves}) m GROUP BY key) SELECT \
         {}, {}, {}, {}, \
         (SELECT COUNT(*) FROM signup_requests WHERE status = 'pending_approval'), \
         (SELECT COUNT(*) FROM apps), \
         {}, \
         (SELECT COUNT(DISTINCT m.user_id) FROM mfa_methods m WHERE m.confirmed_at IS NOT NULL AND EXISTS \
            (SELECT 1 FROM users WHERE id = m.user_id AND {ACTIVE_GUEST}{must}))",
        tally("key = 'invitation pending'"),
        tally("key IN ('user guest accepted', 'user guest accepted mfa')"),
        tally("key IN ('user guest pending_acceptance', 'user guest pending_acceptance mfa')"),
        tally("key LIKE 'user member %'"),
        tally("key = 'user guest accepted mfa'"),
    );
    type Row = (i64, i64, i64, i64, i64, i64, i64, i64);
    let (pending_invitations, guests, pending_guests, members, pending_requests, apps, marked, have): Row =
        run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(e).await)?;
    let must_use = if all_guests_need_mfa { guests } else { marked };
    Ok(Dashboard {
        pending_invitations,
        guests,
        pending_guests,
        members,
        pending_requests,
        apps,
        guests_without_mfa: must_use - have,
    })
}

/// The sum of the tallies (`t`) whose key matches `keys`, as a BIGINT (0 without any).
fn tally(keys: &str) -> String {
    format!("CAST(COALESCE((SELECT SUM(n) FROM t WHERE {keys}), 0) AS BIGINT)")
}

const ACTIVE_GUEST: &str = "user_type = 'guest' AND state = 'accepted'";
