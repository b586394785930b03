//! A bulk invitation job: checked rows stored (`store`), started (`start`), invited by the
//! worker row by row (`work`), and reported (`report`).
//!
//! Each row is invited in its own transaction, which first takes the row and last records
//! its outcome: a crash (or a second worker) can neither lose a row nor invite it twice,
//! and a restarted worker goes on where the last one stopped.

use uuid::Uuid;

use super::{DryRun, Outcome};
use crate::db::audit::{self, Event};
use crate::db::bulk::{self, Job, NewJob};
use crate::db::users::User;
use crate::db::{Conn, Tx, apps, users};
use crate::domain::audit::{Action, Actor};
use crate::domain::bulk::JobStatus;
use crate::domain::invite::InviteFields;
use crate::error::AppResult;
use crate::flows::invite::{self, IfPending, InviteRefused};
use crate::state::AppState;

/// Stores a checked list as a job waiting to be started; returns its id.
pub async fn store(
    state: &AppState,
    inviter: &User,
    actor: &Actor,
    file_name: &str,
    send_mail: bool,
    run: &DryRun,
) -> AppResult<Uuid> {
    let mut tx = state.db.begin().await?;
    let id = store_within(state, &mut tx, inviter, actor, file_name, send_mail, run).await?;
    tx.commit().await?;
    Ok(id)
}

/// `store`, inside the caller's transaction (the API stores and starts in one, and keeps
/// its answer in it).
pub async fn store_within(
    state: &AppState,
    tx: &mut Tx,
    inviter: &User,
    actor: &Actor,
    file_name: &str,
    send_mail: bool,
    run: &DryRun,
) -> AppResult<Uuid> {
    let now = state.clock.now();
    let new = NewJob { inviter_id: inviter.id, actor, file_name, send_mail, total: run.rows.len() as i64 };
    let id = bulk::insert_job(tx.conn(), &new, now).await?;
    let rows: Vec<bulk::Row> = run
        .rows
        .iter()
        .map(|r| (r, r.outcome == Outcome::WillInvite))
        .map(|(r, to_invite)| {
            let f = &r.input.fields;
            let stored = InviteFields {
                email: kept(&f.email, 254, to_invite),
                display_name: kept(&f.display_name, 500, to_invite),
                message: kept(&f.message, 4000, to_invite),
                redirect_url: kept(&f.redirect_url, 4000, to_invite),
                ..f.clone()
            };
            Ok(bulk::Row {
                job_id: id,
                number: r.input.number as i64,
                email: stored.email.clone(),
                display_name: stored.display_name.clone(),
                input: serde_json::to_string(&stored)?,
                outcome: r.outcome.code().to_string(),
                detail: kept(&r.outcome.detail(), 4000, to_invite),
                done: !to_invite,
                invitation_id: None,
            })
        })
        .collect::<Result<_, serde_json::Error>>()
        .map_err(|e| crate::error::AppError::Internal(anyhow::anyhow!("a bulk row: {e}")))?;
    bulk::insert_rows(tx.conn(), &rows).await?;
    Ok(id)
}

/// A row's field as stored, without NULs (PostgreSQL stores none in text; a URL may hold
/// one and still parse). A row to invite passed the invite form's rules and is kept whole
/// otherwise; any other is kept for the result only, and may hold anything the API was
/// sent: it loses what is past `max_chars`.
fn kept(text: &str, max_chars: usize, to_invite: bool) -> String {
    let max = if to_invite { usize::MAX } else { max_chars };
    text.chars().filter(|c| *c != '\0').take(max).collect()
}

/// Starts a stored job: the worker invites its rows from now on. False if it was started
/// already (a second click) or is not there.
pub async fn start(state: &AppState, id: Uuid, actor: &Actor) -> AppResult<bool> {
    let mut tx = state.db.begin().await?;
    let started = start_within(state, &mut tx, id, actor).await?;
    tx.commit().await?;
    if started {
        wake_worker(state);
    }
    Ok(started)
}

/// The worker looks for rows to invite now rather than at its next round.
pub fn wake_worker(state: &AppState) {
    state.bulk_wake.notify_one();
}

/// `start`, inside the caller's transaction; the caller wakes the worker once committed.
pub async fn start_within(state: &AppState, tx: &mut Tx, id: Uuid, actor: &Actor) -> AppResult<bool> {
    let now = state.clock.now();
    let Some(job) = bulk::find_job(tx.conn(), id).await? else { return Ok(false) };
    if !bulk::start(tx.conn(), id, now).await? {
        return Ok(false);
    }
    let ev = Event::new(Action::BulkStarted, "bulk_job", id, &job.file_name).details(format!("rows={}", job.total));
    audit::record(tx.conn(), actor, &ev, now).await?;
    // A job with nothing to invite is done at once.
    finish_in(tx.conn(), &job, now).await?;
    Ok(true)
}

/// Invites up to `budget` rows of running jobs, oldest job first; returns how many it took.
pub async fn work(state: &AppState, budget: usize) -> AppResult<usize> {
    let jobs = {
        let mut c = state.db.acquire().await?;
        bulk::running_jobs(c.conn()).await?
    };
    let mut taken = 0;
    for job in jobs {
        if taken >= budget {
            break;
        }
        taken += work_on(state, &job, budget - taken).await?;
    }
    Ok(taken)
}

async fn work_on(state: &AppState, job: &Job, budget: usize) -> AppResult<usize> {
    let (inviter, rows, app_origins) = {
        let mut c = state.db.acquire().await?;
        let inviter = users::find(c.conn(), job.inviter_id).await?;
        let rows = bulk::rows_to_do(c.conn(), job.id, budget as i64).await?;
        (inviter, rows, apps::origins(&apps::all(c.conn()).await?))
    };
    // The inviter's account is gone with the job (cascade); a stale read finds nothing.
    let Some(inviter) = inviter else { return Ok(0) };
    let (actor, public_origin) = (job.actor(), state.settings.public_origin());
    let mut taken = 0;
    for row in &rows {
        if state.shutdown.begun() {
            break; // stopping: the rest wait, untaken, for the next worker
        }
        let mut tx = state.db.begin().await?;
        if !bulk::take(tx.conn(), job.id, row.number).await? {
            continue; // another worker has it
        }
        // The row as it was given, read again now: an app may have gone since the check.
        let fields: InviteFields = serde_json::from_str(&row.input)
            .map_err(|e| crate::error::AppError::Internal(anyhow::anyhow!("bulk row {}: {e}", row.number)))?;
        let fields = InviteFields { send_email: job.send_mail, ..fields };
        let (outcome, invitation_id) = match fields.read(&public_origin, &app_origins) {
            Err(errors) => (super::invalid(&errors, &fields.email), None),
            // A refusal comes before the invite flow writes anything: only the outcome is.
            Ok(read) => match invite::invite_in(state, &mut tx, &inviter, &read, &actor, IfPending::Refuse).await? {
                Ok(done) => (Outcome::Invited, Some(done.invitation_id)),
                Err(refused) => (outcome_of(refused), None),
            },
        };
        bulk::record_outcome(tx.conn(), job.id, row.number, outcome.code(), &outcome.detail(), invitation_id).await?;
        tx.commit().await?;
        taken += 1;
    }
    if rows.len() < budget {
        let mut tx = state.db.begin().await?;
        finish_in(tx.conn(), job, state.clock.now()).await?;
        tx.commit().await?;
    }
    Ok(taken)
}

/// Marks the job done if no row is left, with an audit event that sums it up.
async fn finish_in(mut c: crate::db::Conn<'_>, job: &Job, now: chrono::DateTime<chrono::Utc>) -> AppResult<()> {
    if bulk::finish_if_complete(c.reborrow(), job.id, now).await? {
        let tally = Tally::of(bulk::tally(c.reborrow(), job.id).await?);
        let details = format!("invited={} skipped={} not_invited={}", tally.invited, tally.skipped, tally.problems);
        let ev = Event::new(Action::BulkFinished, "bulk_job", job.id, &job.file_name).details(details);
        audit::record(c, &job.actor(), &ev, now).await?;
    }
    Ok(())
}

fn outcome_of(refused: InviteRefused) -> Outcome {
    match refused {
        InviteRefused::Pending(_) => Outcome::AlreadyInvited,
        InviteRefused::AlreadyGuest(_) => Outcome::AlreadyGuest,
        InviteRefused::IsMember(_) | InviteRefused::IsGuest(_) => Outcome::IsMember,
        InviteRefused::DomainNotAllowed(_) => Outcome::DomainRefused,
        InviteRefused::DoNotInvite(_) => Outcome::DoNotInvite,
        other => Outcome::Refused(other.to_string()),
    }
}

/// How many rows of a job came to what.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    pub total: i64,
    /// Rows still to invite.
    pub to_do: i64,
    pub invited: i64,
    pub skipped: i64,
    pub problems: i64,
}

impl Tally {
    fn of(counts: Vec<(String, bool, i64)>) -> Tally {
        let mut t = Tally::default();
        for (code, done, n) in counts {
            t.total += n;
            match Outcome::parse(&code, "0") {
                _ if !done => t.to_do += n,
                Some(Outcome::Invited) => t.invited += n,
                Some(o) if o.is_skip() => t.skipped += n,
                _ => t.problems += n,
            }
        }
        t
    }

    /// How far the job is, 0 to 100.
    pub fn percent(&self) -> i64 {
        if self.total == 0 { 100 } else { (self.total - self.to_do) * 100 / self.total }
    }
}

/// A job as its page and the API show it.
pub struct Report {
    pub job: Job,
    pub tally: Tally,
}

impl Report {
    pub fn is_checked(&self) -> bool {
        self.job.status == JobStatus::Checked
    }

    pub fn is_running(&self) -> bool {
        self.job.status == JobStatus::Running
    }
}

pub async fn report(state: &AppState, id: Uuid) -> AppResult<Option<Report>> {
    let mut c = state.db.acquire().await?;
    report_in(c.conn(), id).await
}

pub async fn report_in(mut c: Conn<'_>, id: Uuid) -> AppResult<Option<Report>> {
    let Some(job) = bulk::find_job(c.reborrow(), id).await? else { return Ok(None) };
    let tally = Tally::of(bulk::tally(c, id).await?);
    Ok(Some(Report { job, tally }))
}

/// A job's rows in file order from row `after` on, each with its outcome.
pub async fn rows(state: &AppState, id: Uuid, after: i64, limit: i64) -> AppResult<Vec<(bulk::Row, Outcome)>> {
    let mut c = state.db.acquire().await?;
    rows_in(c.conn(), id, after, limit).await
}

pub async fn rows_in(c: Conn<'_>, id: Uuid, after: i64, limit: i64) -> AppResult<Vec<(bulk::Row, Outcome)>> {
    Ok(with_outcomes(bulk::rows(c, id, after, limit).await?))
}

/// Up to `limit` rows of a job for its page: the problem rows first (a person fixes those),
/// then, unless `problems_only`, the others; each part in file order.
pub async fn rows_shown(
    state: &AppState,
    id: Uuid,
    problems_only: bool,
    limit: i64,
) -> AppResult<Vec<(bulk::Row, Outcome)>> {
    let mut c = state.db.acquire().await?;
    let mut rows = bulk::rows_by_kind(c.conn(), id, true, limit).await?;
    if !problems_only && (rows.len() as i64) < limit {
        rows.extend(bulk::rows_by_kind(c.conn(), id, false, limit - rows.len() as i64).await?);
    }
    Ok(with_outcomes(rows))
}

/// Each stored row with its outcome read back (a code this version does not know reads as
/// its detail).
fn with_outcomes(rows: Vec<bulk::Row>) -> Vec<(bulk::Row, Outcome)> {
    rows.into_iter()
        .map(|r| {
            let o = Outcome::parse(&r.outcome, &r.detail).unwrap_or_else(|| Outcome::Invalid(r.detail.clone()));
            (r, o)
        })
        .collect()
}

/// The jobs started lately, newest first.
pub async fn recent(state: &AppState, limit: i64) -> AppResult<Vec<Job>> {
    let mut c = state.db.acquire().await?;
    Ok(bulk::recent_jobs(c.conn(), limit).await?)
}
