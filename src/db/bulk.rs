//! `bulk_jobs` and `bulk_rows`: bulk invitations, their rows and what became of each.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};
use crate::domain::audit::Actor;
use crate::domain::bulk::JobStatus;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub id: Uuid,
    pub inviter_id: Uuid,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    pub actor_ip: String,
    pub file_name: String,
    pub send_mail: bool,
    pub status: JobStatus,
    pub total: i64,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Job {
    /// Who the job's audit events name: whoever started it, page or API key.
    pub fn actor(&self) -> Actor {
        let kind = match self.actor_kind.as_str() {
            "user" => "user",
            "api_key" => "api_key",
            "anonymous" => "anonymous",
            _ => "system",
        };
        Actor { kind, id: self.actor_id, label: self.actor_label.clone(), ip: self.actor_ip.clone() }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub job_id: Uuid,
    /// As a spreadsheet numbers it (the header is row 1); from 1 for the API's rows.
    pub number: i64,
    /// For the job's page and result file; the row's fields are in `input`.
    pub email: String,
    pub display_name: String,
    /// The invitation as given (`domain::invite::InviteFields`, JSON).
    pub input: String,
    /// `Outcome::code`, and `Outcome::detail`.
    pub outcome: String,
    pub detail: String,
    /// False while the row waits to be invited.
    pub done: bool,
    pub invitation_id: Option<Uuid>,
}

pub struct NewJob<'a> {
    pub inviter_id: Uuid,
    pub actor: &'a Actor,
    pub file_name: &'a str,
    pub send_mail: bool,
    pub total: i64,
}

pub async fn insert_job(c: Conn<'_>, j: &NewJob<'_>, now: DateTime<Utc>) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    run!(c, |e| sqlx::query(
        "INSERT INTO bulk_jobs (id, inviter_id, actor_kind, actor_id, actor_label, actor_ip, file_name, send_mail, \
         status, total, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    )
    .bind(id)
    .bind(j.inviter_id)
    .bind(j.actor.kind)
    .bind(j.actor.id)
    .bind(&j.actor.label)
    .bind(&j.actor.ip)
    .bind(j.file_name)
    .bind(j.send_mail)
    .bind(JobStatus::Checked)
    .bind(j.total)
    .bind(now)
    .execute(e)
    .await
    .map(|_| id))
}

/// Stores rows, many to a statement (a file may hold ten thousand).
pub async fn insert_rows(mut c: Conn<'_>, rows: &[Row]) -> sqlx::Result<()> {
    // 12 values a row: well under either database's limit on parameters.
    for chunk in rows.chunks(500) {
        run!(c.reborrow(), |e| {
            let mut q = sqlx::QueryBuilder::new(
                // `message`, `redirect_url` and `app_ids` are empty since migration 0019.
                "INSERT INTO bulk_rows (job_id, number, email, display_name, input, message, redirect_url, \
                 app_ids, outcome, detail, done, invitation_id) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.job_id)
                    .push_bind(r.number)
                    .push_bind(&r.email)
                    .push_bind(&r.display_name)
                    .push_bind(&r.input)
                    .push_bind("")
                    .push_bind("")
                    .push_bind("")
                    .push_bind(&r.outcome)
                    .push_bind(&r.detail)
                    .push_bind(r.done)
                    .push_bind(r.invitation_id);
            });
            q.build().execute(e).await.map(|_| ())?
        });
    }
    Ok(())
}

const JOB: &str = "SELECT id, inviter_id, actor_kind, actor_id, actor_label, actor_ip, file_name, send_mail, status, \
    total, created_at, started_at, finished_at FROM bulk_jobs";

pub async fn find_job(c: Conn<'_>, id: Uuid) -> sqlx::Result<Option<Job>> {
    let sql = format!("{JOB} WHERE id = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(e).await)
}

/// The newest jobs first.
pub async fn recent_jobs(c: Conn<'_>, limit: i64) -> sqlx::Result<Vec<Job>> {
    let sql = format!("{JOB} WHERE status <> 'checked' ORDER BY created_at DESC LIMIT $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(e).await)
}

/// Jobs the worker has rows of to invite, oldest first.
pub async fn running_jobs(c: Conn<'_>) -> sqlx::Result<Vec<Job>> {
    let sql = format!("{JOB} WHERE status = 'running' ORDER BY started_at, id");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(e).await)
}

/// A checked job set running; false when it was not waiting (started already, or gone).
pub async fn start(c: Conn<'_>, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE bulk_jobs SET status = 'running', started_at = $2 WHERE id = $1 AND status = 'checked'"
    )
    .bind(id)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// A running job with no row left to invite marked done; false if it has some (or is done).
pub async fn finish_if_complete(c: Conn<'_>, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE bulk_jobs SET status = 'done', finished_at = $2 WHERE id = $1 AND status = 'running' \
         AND NOT EXISTS (SELECT 1 FROM bulk_rows WHERE job_id = $1 AND done = FALSE)"
    )
    .bind(id)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

const ROW: &str =
    "SELECT job_id, number, email, display_name, input, outcome, detail, done, invitation_id FROM bulk_rows";

/// The next rows of a job still to invite, in file order.
pub async fn rows_to_do(c: Conn<'_>, job_id: Uuid, limit: i64) -> sqlx::Result<Vec<Row>> {
    let sql = format!("{ROW} WHERE job_id = $1 AND done = FALSE ORDER BY number LIMIT $2");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(job_id).bind(limit).fetch_all(e).await)
}

/// A job's rows in file order, from row `after` on.
pub async fn rows(c: Conn<'_>, job_id: Uuid, after: i64, limit: i64) -> sqlx::Result<Vec<Row>> {
    let sql = format!("{ROW} WHERE job_id = $1 AND number > $2 ORDER BY number LIMIT $3");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(job_id).bind(after).bind(limit).fetch_all(e).await)
}

/// A job's problem rows (`problems`) or all its other rows, in file order.
pub async fn rows_by_kind(c: Conn<'_>, job_id: Uuid, problems: bool, limit: i64) -> sqlx::Result<Vec<Row>> {
    let [a, b, d, f] = crate::domain::bulk::Outcome::PROBLEM_CODES;
    let not = if problems { "" } else { "NOT" };
    let sql = format!("{ROW} WHERE job_id = $1 AND outcome {not} IN ($2, $3, $4, $5) ORDER BY number LIMIT $6");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(job_id)
        .bind(a)
        .bind(b)
        .bind(d)
        .bind(f)
        .bind(limit)
        .fetch_all(e)
        .await)
}

/// Takes a row to invite, first thing in the transaction that invites it: false when it
/// was taken already. On PostgreSQL a second worker waits here on the row's lock and then
/// finds it taken; on SQLite the write lock does the same.
pub async fn take(c: Conn<'_>, job_id: Uuid, number: i64) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("UPDATE bulk_rows SET done = TRUE WHERE job_id = $1 AND number = $2 AND done = FALSE")
        .bind(job_id)
        .bind(number)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// What became of a row taken with `take`.
pub async fn record_outcome(
    c: Conn<'_>,
    job_id: Uuid,
    number: i64,
    outcome: &str,
    detail: &str,
    invitation_id: Option<Uuid>,
) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query(
        "UPDATE bulk_rows SET outcome = $3, detail = $4, invitation_id = $5 WHERE job_id = $1 AND number = $2"
    )
    .bind(job_id)
    .bind(number)
    .bind(outcome)
    .bind(detail)
    .bind(invitation_id)
    .execute(e)
    .await
    .map(|_| ()))
}

/// How many of a job's rows have each outcome, and how many of those are still to do.
pub async fn tally(c: Conn<'_>, job_id: Uuid) -> sqlx::Result<Vec<(String, bool, i64)>> {
    run!(c, |e| sqlx::query_as(
        "SELECT outcome, done, COUNT(*) FROM bulk_rows WHERE job_id = $1 GROUP BY outcome, done ORDER BY outcome"
    )
    .bind(job_id)
    .fetch_all(e)
    .await)
}

/// Checked files never started are dropped after a day.
pub async fn delete_unstarted(c: Conn<'_>, before: DateTime<Utc>) -> sqlx::Result<u64> {
    run!(c, |e| sqlx::query("DELETE FROM bulk_jobs WHERE status = 'checked' AND created_at < $1")
        .bind(before)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))
}
