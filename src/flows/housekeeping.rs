//! The worker's housekeeping: invitations and sign-up requests past their date expire (the
//! partner is told), approvers who have not decided after 3 days are reminded once, session
//! records past their idle or absolute limit, abandoned passkey ceremonies and old
//! idempotency keys are dropped, SAML IdPs' metadata is read again when due, and the OpenID Provider's signing keys rotate when due.
//! Sponsors hear a week before a guest's access ends. The dashboard's tallies are folded.
//! Audit events and sent mail past the retention Settings give are deleted. Access reviews
//! start, remind and are applied when due.

use chrono::Duration;

use crate::db::audit::{self, Event};
use crate::db::{invitations, outbox, packages, requests, tallies, users};
use crate::domain::audit::{Action, Actor};
use crate::error::AppResult;
use crate::mail;
use crate::state::AppState;

/// Approvers who have not decided are reminded once, this long after the request reached them.
pub const REMIND_AFTER: Duration = Duration::days(3);

/// What one pass of housekeeping did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Done {
    pub expired_invitations: u64,
    pub expired_requests: usize,
    pub reminders: usize,
    pub ended_sessions: u64,
    pub rotated_keys: usize,
    pub expiry_notices: usize,
    pub purged_audit_events: u64,
    pub purged_mails: u64,
    /// Guests whose assignments had all ended, handled by the end-of-access policy (F12).
    pub access_ended: usize,
    /// Accounts soft-deleted 30 days ago whose personal data went (F12).
    pub purged: usize,
    /// Access reviews started (a recurring review's next occurrence), reminders sent to
    /// reviewers, and reviews applied at their end (F12).
    pub reviews_started: usize,
    pub review_reminders: usize,
    pub reviews_applied: usize,
}

/// One pass; its mail is queued, not sent (the worker's delivery does that).
pub async fn run(state: &AppState) -> AppResult<Done> {
    let (expired_requests, reminders) = requests(state).await?;
    sweep_ceremonies(state).await?;
    fold_tallies(state).await?;
    crate::flows::saml_metadata::refresh_due(state).await?;
    let (purged_audit_events, purged_mails) = sweep_retention(state).await?;
    // Applied before the end-of-access pass, so a guest a review removes is handled at once.
    let reviews_applied = crate::flows::reviews::apply_due(state).await?;
    let reviews_started = crate::flows::reviews::start_due(state).await?;
    let review_reminders = crate::flows::reviews::remind_due(state).await?;
    Ok(Done {
        expired_invitations: expire_invitations(state).await?,
        expired_requests,
        reminders,
        ended_sessions: end_stale_sessions(state).await?,
        rotated_keys: rotate_keys(state).await?,
        expiry_notices: crate::flows::sponsors::announce_expiring(state).await?,
        purged_audit_events,
        purged_mails,
        access_ended: crate::flows::end_of_access::apply_due(state).await?,
        purged: crate::flows::leaving::purge_due(state).await?,
        reviews_started,
        review_reminders,
        reviews_applied,
    })
}

/// Audit events older than the audit retention, and delivered mail older than the mail
/// retention, are deleted; one audit event (kept, being new) says how many went.
async fn sweep_retention(state: &AppState) -> AppResult<(u64, u64)> {
    let now = state.clock.now();
    let settings = crate::flows::settings::current(state).await?;
    let mut tx = state.db.begin().await?;
    let events = audit::delete_before(tx.conn(), now - Duration::days(settings.audit_retention_days)).await?;
    let mails = outbox::delete_sent_before(tx.conn(), now - Duration::days(settings.mail_retention_days)).await?;
    if events + mails > 0 {
        let ev = Event::new(Action::RecordsPurged, "settings", "retention", "")
            .details(format!("audit_events={events} mails={mails}"));
        audit::record(tx.conn(), &Actor::system("worker"), &ev, now).await?;
    }
    tx.commit().await?;
    Ok((events, mails))
}

/// The OpenID Provider's upkeep: spent codes and refresh tokens go, and signing keys rotate
/// on their schedule (several instances may try at once: the rotation admits one).
async fn rotate_keys(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now();
    {
        let mut c = state.db.acquire().await?;
        crate::db::oauth::sweep(c.conn(), now).await?;
    }
    let n = crate::provider::keys::rotate_if_due(&state.db, &state.key, now).await?;
    if n > 0 {
        state.signing_keys.forget();
        let mut tx = state.db.begin().await?;
        let ev = Event::new(Action::SigningKeysRotated, "signing_key", "", "").details(format!("algorithms={n}"));
        audit::record(tx.conn(), &Actor::system("worker"), &ev, now).await?;
        tx.commit().await?;
    }
    Ok(n)
}

/// Folds the dashboard's tallies into one row per key once enough changes have piled up.
async fn fold_tallies(state: &AppState) -> AppResult<()> {
    let rows = {
        let mut c = state.db.acquire().await?;
        tallies::rows(c.conn()).await?
    };
    if rows > tallies::FOLD_ABOVE {
        tallies::fold(&state.db).await?;
    }
    Ok(())
}

/// Passkey ceremonies nobody finished (a page left open, a sign-in abandoned) go, and after
/// a day the API's idempotency keys and partner lists checked but never started.
async fn sweep_ceremonies(state: &AppState) -> AppResult<u64> {
    let now = state.clock.now();
    let mut c = state.db.acquire().await?;
    // Idempotency keys of the API are answered for 24 hours, then go too.
    crate::db::api_keys::sweep_idempotency(c.conn(), now - chrono::Duration::hours(24)).await?;
    crate::db::bulk::delete_unstarted(c.conn(), now - chrono::Duration::hours(24)).await?;
    // SAML sign-ins in flight that can no longer complete, and Assertion IDs past replay.
    crate::db::saml_flights::forget_expired(c.conn(), now).await?;
    Ok(crate::db::mfa::sweep_ceremonies(c.conn(), now - crate::flows::passkeys::CEREMONY_TTL).await?)
}

/// Sessions nobody can use any more (a request would refuse them): their rows go.
async fn end_stale_sessions(state: &AppState) -> AppResult<u64> {
    use crate::auth::session::{ABSOLUTE, IDLE};
    let now = state.clock.now();
    let mut c = state.db.acquire().await?;
    Ok(crate::db::sessions::end_stale(c.conn(), now - IDLE, now - ABSOLUTE).await?)
}

/// Marks invitations past their date as expired, with one audit event for the batch.
async fn expire_invitations(state: &AppState) -> AppResult<u64> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let n = invitations::expire_due(tx.conn(), now).await?;
    if n > 0 {
        let ev = Event::new(Action::InvitationsExpired, "invitation", "", "").details(format!("count={n}"));
        audit::record(tx.conn(), &Actor::system("worker"), &ev, now).await?;
    }
    tx.commit().await?;
    Ok(n)
}

/// Worker: requests past their date end as expired (the partner is told, when their
/// address was verified); approvers who have not decided after 3 days are reminded once.
async fn requests(state: &AppState) -> AppResult<(usize, usize)> {
    let now = state.clock.now();
    // Read before the transaction: nothing that may need a pool connection runs inside one.
    let org = crate::flows::settings::current(state).await?.org_name.clone();
    let mut tx = state.db.begin().await?;
    let expired = requests::expire_due(tx.conn(), now).await?;
    for r in &expired {
        if r.email_verified_at.is_none() {
            continue;
        }
        let notice = crate::mail::notices::request_expired(&org, state.links().signup());
        super::queue_notice(state, tx.conn(), &r.email, &notice).await?;
    }
    if !expired.is_empty() {
        let ev =
            Event::new(Action::SignupExpired, "signup_request", "", "").details(format!("count={}", expired.len()));
        audit::record(tx.conn(), &Actor::system("worker"), &ev, now).await?;
    }
    let due = requests::take_due_reminders(tx.conn(), now - REMIND_AFTER, now).await?;
    let mut reminded = 0;
    for r in &due {
        let Some(package) = packages::find(tx.conn(), r.package_id).await? else { continue };
        for a in requests::approvals_of(tx.conn(), r.id).await?.into_iter().filter(|a| a.decision.is_none()) {
            let Some(approver) = users::find(tx.conn(), a.approver_id).await? else { continue };
            let letter = crate::flows::approval::approval_letter(state, r, &package, &approver, a.id, true).await?;
            mail::queue(tx.conn(), &approver.email, &letter, now).await?;
            reminded += 1;
        }
    }
    tx.commit().await?;
    Ok((expired.len(), reminded))
}
