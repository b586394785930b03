//! F12 leaving: a guest leaves the organization from their profile — at once their
//! sessions and grants end (the apps are told by back-channel logout), their open requests
//! are withdrawn, their sponsors are mailed, and the account is blocked and soft-deleted.
//! An admin can restore it for 30 days (`PURGE_AFTER`); then the worker purges the
//! person's data (`purge_due`), keeping the audit log whole under a pseudonym.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::users::{self, User};
use crate::db::{Conn, apps, groups, purge, requests, sponsors};
use crate::domain::audit::{Action, Actor};
use crate::domain::request::RequestStatus;
use crate::domain::user::{GUEST, UserState};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// How long a soft-deleted account can be restored before its data is purged.
pub const PURGE_AFTER: Duration = Duration::days(30);
/// Accounts purged in one pass of the worker (the rest wait for the next).
const PURGE_BATCH: i64 = 100;

/// What a guest loses by leaving, as the confirm page says it.
pub struct Loss {
    pub apps: Vec<String>,
    pub groups: Vec<String>,
    pub open_requests: usize,
}

/// The names of the apps and groups the person has now (what leaving takes, and what their
/// data download lists).
pub(super) async fn access_names(
    mut c: Conn<'_>,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<(Vec<String>, Vec<String>)> {
    let apps = apps::tiles_for_user(c.reborrow(), user_id, now).await?.into_iter().map(|t| t.name).collect();
    let groups = groups::of_user(c, user_id, now).await?.into_iter().map(|g| g.name).collect();
    Ok((apps, groups))
}

pub async fn what_leaving_takes(state: &AppState, user: &User) -> AppResult<Loss> {
    let now = state.clock.now();
    let mut c = state.db.acquire().await?;
    let (apps, groups) = access_names(c.conn(), user.id, now).await?;
    let open_requests = requests::of_user(c.conn(), user.id, 100)
        .await?
        .iter()
        .filter(|r| r.status.effective(r.expires_at, now).is_open())
        .count();
    Ok(Loss { apps, groups, open_requests })
}

/// The guest leaves. Only guests leave this way: members are the organization's own.
pub async fn leave(state: &AppState, user: &User, actor: &Actor) -> AppResult<()> {
    if user.user_type != GUEST {
        return Err(AppError::Forbidden);
    }
    let now = state.clock.now();
    let org = super::settings::current(state).await?.org_name.clone();
    let mut tx = state.db.begin().await?;
    if !users::soft_delete(tx.conn(), user.id, now).await? {
        return Ok(()); // A second click: gone already.
    }
    crate::auth::ending::all(tx.conn(), user.id, now).await?;
    for r in requests::of_user(tx.conn(), user.id, 100).await? {
        for from in [RequestStatus::PendingApproval, RequestStatus::EmailUnverified] {
            requests::transition(tx.conn(), r.id, from, RequestStatus::Withdrawn, now).await?;
        }
    }
    for sponsor in sponsors::of(tx.conn(), user.id).await? {
        let notice = crate::mail::notices::guest_left(
            &sponsor.display_name,
            &user.display_name,
            &user.email,
            &org,
            &super::human_date(now + PURGE_AFTER),
        );
        super::queue_notice(state, tx.conn(), &sponsor.email, &notice).await?;
    }
    audit::record(tx.conn(), actor, &Event::new(Action::UserLeft, "user", user.id, &user.email), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Why an account was not restored.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RestoreRefused {
    #[error("This account was not deleted.")]
    NotDeleted,
}

/// An admin restores a soft-deleted account: it signs in again as before it was deleted
/// (its access in scope is as it was; sessions and grants ended for good).
pub async fn restore(state: &AppState, user_id: Uuid, actor: &Actor) -> AppResult<Result<(), RestoreRefused>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = users::find(tx.conn(), user_id).await?.ok_or(AppError::NotFound)?;
    let to = if user.accepted_at.is_some() { UserState::Accepted } else { UserState::PendingAcceptance };
    if !users::restore(tx.conn(), user.id, to).await? {
        return Ok(Err(RestoreRefused::NotDeleted));
    }
    audit::record(tx.conn(), actor, &Event::new(Action::UserRestored, "user", user.id, &user.email), now).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// When a soft-deleted account's data goes.
pub fn purged_on(user: &User) -> Option<chrono::DateTime<chrono::Utc>> {
    user.deleted_at.map(|at| at + PURGE_AFTER)
}

/// The worker's part: purges every account soft-deleted `PURGE_AFTER` ago; how many.
pub async fn purge_due(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now();
    let due = {
        let mut c = state.db.acquire().await?;
        users::due_for_purge(c.conn(), now - PURGE_AFTER, PURGE_BATCH).await?
    };
    let mut purged = 0;
    for user in due {
        // Each in its own transaction, which first deletes the row: two workers purge once.
        let mut tx = state.db.begin().await?;
        if !users::delete(tx.conn(), user.id).await? {
            continue;
        }
        let alias = pseudonym(user.id);
        purge::by_address(tx.conn(), &user.email).await?;
        purge::audit_labels(tx.conn(), user.id, &user.email, &user.display_name, &alias).await?;
        crate::db::reviews::forget(tx.conn(), user.id, &user.email, &alias).await?;
        let ev = Event::new(Action::UserPurged, "user", user.id, &alias);
        audit::record(tx.conn(), &Actor::system("retention"), &ev, now).await?;
        tx.commit().await?;
        purged += 1;
    }
    Ok(purged)
}

/// The name a purged person keeps in the audit log: the same for all their events, and
/// not their address or name.
pub fn pseudonym(user_id: Uuid) -> String {
    let digest = Sha256::digest(user_id.as_bytes());
    format!("former user {}", &hex::encode(digest)[..10])
}
