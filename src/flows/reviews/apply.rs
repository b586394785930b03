//! A review's end: every guest's outcome is written in one statement (their decision, else
//! the review's default), the removed lose the access in scope — a package's or group's, or
//! for a review of all or inactive guests everything, with the end-of-access policy after —
//! they and their sponsors are mailed, and a recurring review's next occurrence is
//! scheduled. All in one transaction that first claims the review, so it is applied once
//! however many workers run.

use chrono::Duration;
use uuid::Uuid;

use super::{Review, what_goes};
use crate::db::audit::{self, Event};
use crate::db::reviews::{self, Item};
use crate::db::{Tx, assignments, groups, sponsors};
use crate::domain::audit::{Action, Actor};
use crate::domain::audit_details::pair;
use crate::domain::review::{ReviewStatus, Scope};
use crate::domain::settings::EndOfAccess;
use crate::error::AppResult;
use crate::mail::notices;
use crate::state::AppState;

/// The worker's part: applies each running review whose end has come; how many.
pub async fn apply_due(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now();
    let due = {
        let mut c = state.db.acquire().await?;
        reviews::due(c.conn(), ReviewStatus::Running, now).await?
    };
    let mut applied = 0;
    for review in due {
        if apply(state, review.id).await? {
            applied += 1;
        }
    }
    Ok(applied)
}

/// Applies one review; false when another worker did (or it was not running).
pub(super) async fn apply(state: &AppState, id: Uuid) -> AppResult<bool> {
    let now = state.clock.now();
    let settings = crate::flows::settings::current(state).await?;
    let mut tx = state.db.begin().await?;
    if !reviews::claim(tx.conn(), id, ReviewStatus::Running, ReviewStatus::Applied, now).await? {
        return Ok(false);
    }
    let Some(review) = reviews::find(tx.conn(), id).await? else { return Ok(false) };
    reviews::settle(tx.conn(), id, review.undecided).await?;
    let removed = reviews::removed(tx.conn(), id).await?;
    let what = what_goes(&review, &settings.org_name);
    for item in &removed {
        remove(state, &mut tx, (&review, &settings.org_name, &what), item, settings.end_of_access).await?;
    }
    let details = format!(
        "{} {}",
        pair("kept", &reviews::kept(tx.conn(), id).await?.to_string()),
        pair("removed", &removed.len().to_string())
    );
    let ev = Event::new(Action::ReviewApplied, "review", id, &review.name).details(details);
    audit::record(tx.conn(), &Actor::system("access review"), &ev, now).await?;
    schedule_next(&mut tx, &review, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Takes the access in scope from one guest and tells them and their sponsors.
async fn remove(
    state: &AppState,
    tx: &mut Tx,
    (review, org, what): (&Review, &str, &str),
    item: &Item,
    policy: EndOfAccess,
) -> AppResult<()> {
    let now = state.clock.now();
    let guest = item.user_id;
    let ended = match (review.scope, review.scope_id) {
        (Scope::Package, Some(package)) => {
            assignments::remove_package(tx.conn(), package, guest, now).await?;
            !assignments::has_any(tx.conn(), guest).await?
        }
        (Scope::Group, Some(group)) => {
            groups::remove_member(tx.conn(), group, guest).await?;
            !assignments::has_any(tx.conn(), guest).await?
        }
        _ => {
            assignments::remove_all(tx.conn(), guest).await?;
            true
        }
    };
    if ended {
        crate::flows::end_of_access::apply(tx, guest, policy, now).await?;
    }
    let decided_by = item.decision.map(|_| item.decided_by_label.as_str()).filter(|by| !by.is_empty());
    let told = notices::access_removed(&item.name, org, what, &item.reason);
    crate::flows::queue_notice_replying(state, tx.conn(), &item.email, &told, decided_by.map(|by| (by, by))).await?;
    for sponsor in sponsors::of(tx.conn(), guest).await? {
        let told = notices::guest_removed_by_review(&sponsor.display_name, &item.name, &item.email, what, &review.name);
        crate::flows::queue_notice(state, tx.conn(), &sponsor.email, &told).await?;
    }
    let mut details = pair("review", &review.name);
    if ended {
        details = format!("{details} {}", pair("policy", policy.as_str()));
    }
    let ev = Event::new(Action::ReviewRemovedAccess, "user", guest, &item.email).details(details);
    audit::record(tx.conn(), &Actor::system("access review"), &ev, now).await?;
    Ok(())
}

/// A recurring review's next occurrence, scheduled from this one's start (a review stopped
/// early keeps its rhythm).
async fn schedule_next(tx: &mut Tx, review: &Review, now: chrono::DateTime<chrono::Utc>) -> AppResult<()> {
    let Some(mut starts_at) = review.recurrence.next(review.starts_at) else { return Ok(()) };
    // After a long outage: the next start still to come, not one per period missed.
    while starts_at <= now {
        let Some(later) = review.recurrence.next(starts_at) else { return Ok(()) };
        starts_at = later;
    }
    let next = Review {
        id: Uuid::new_v4(),
        status: ReviewStatus::Scheduled,
        starts_at,
        ends_at: starts_at + Duration::days(review.duration_days),
        applied_at: None,
        stopped_by: String::new(),
        previous_id: Some(review.id),
        created_at: now,
        ..review.clone()
    };
    reviews::insert(tx.conn(), &next).await?;
    Ok(())
}
