//! F12 access reviews. An admin creates a review (`create`); it starts at once, or — a
//! recurring review's next occurrence — when the worker finds it due (`start`): the guests in
//! scope are snapshot with a recommendation, and each reviewer is mailed one link. Reviewers
//! keep or remove guests until the end (`decide`), reminded at half time and two days before
//! (`remind`). At the end the worker applies every decision in one transaction, exactly once
//! however many workers run (`apply`), mails the removed guests and their sponsors, and
//! schedules the next occurrence.

mod apply;
mod decide;
mod remind;
mod start;

pub use apply::apply_due;
pub use decide::{Choice, DecideRefused, MAX_AT_ONCE, Touch, by_token, by_user, decide, items, mine};
pub use remind::remind_due;
pub use start::start_due;

use chrono::Duration;
use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::reviews::{self, Item, Progress, Review, Reviewer, Show};
use crate::db::{Page, groups, packages, users};
use crate::domain::audit::{Action, Actor};
use crate::domain::review::{NewReview, ReviewStatus, Scope};
use crate::domain::user::MEMBER;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The purpose a reviewer's link token is derived for.
const REVIEW_PURPOSE: &str = "access-review";

/// Why a review was not created.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CreateRefused {
    #[error("That access package or group no longer exists.")]
    NoScope,
    #[error("{0} is not a member who can sign in: fallback reviewers are members of the organization.")]
    NotAMember(String),
}

/// An admin creates a review; it starts now. Returns its id.
pub async fn create(state: &AppState, new: &NewReview, actor: &Actor) -> AppResult<Result<Uuid, CreateRefused>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let scope_name = match (new.scope, new.scope_id) {
        (Scope::Package, Some(id)) => packages::find(tx.conn(), id).await?.map(|p| p.name),
        (Scope::Group, Some(id)) => groups::find(tx.conn(), id).await?.map(|g| g.name),
        (scope, _) => Some(scope.words().to_string()),
    };
    let Some(scope_name) = scope_name else { return Ok(Err(CreateRefused::NoScope)) };
    for email in &new.fallback {
        let member = users::find_by_email(tx.conn(), email.as_str()).await?;
        if !member.is_some_and(|m| m.user_type == MEMBER && m.deleted_at.is_none()) {
            return Ok(Err(CreateRefused::NotAMember(email.to_string())));
        }
    }
    let review = Review {
        id: Uuid::new_v4(),
        name: new.name.clone(),
        scope: new.scope,
        scope_id: new.scope_id,
        scope_name,
        reviewers: new.reviewers,
        fallback: new.fallback.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"),
        duration_days: new.duration_days,
        recurrence: new.recurrence,
        undecided: new.undecided,
        status: ReviewStatus::Running,
        starts_at: now,
        ends_at: now + Duration::days(new.duration_days),
        applied_at: None,
        stopped_by: String::new(),
        created_by: actor.label.clone(),
        previous_id: None,
        created_at: now,
    };
    reviews::insert(tx.conn(), &review).await?;
    audit::record(tx.conn(), actor, &Event::new(Action::ReviewCreated, "review", review.id, &review.name), now).await?;
    start::start(state, &mut tx, &review).await?;
    tx.commit().await?;
    Ok(Ok(review.id))
}

/// What stopping a review did.
#[derive(Debug, PartialEq, Eq)]
pub enum Stopped {
    /// A running review ended now and its decisions were applied.
    Applied,
    /// A scheduled occurrence will not run (nor any after it).
    Cancelled,
    /// It had ended already.
    NotRunning,
    /// It is no longer what the admin saw (started, applied): nothing was done.
    Moved,
}

/// An admin stops a review before its end: a running one is applied now (the undecided
/// follow its default; a recurring review's next occurrence stays scheduled); a scheduled
/// one is cancelled, ending the series. `seen` is the status the admin's page showed: a
/// review that moved on meanwhile (the worker started it) is left alone.
pub async fn stop(state: &AppState, id: Uuid, seen: ReviewStatus, actor: &Actor) -> AppResult<Stopped> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let review = reviews::find(tx.conn(), id).await?.ok_or(AppError::NotFound)?;
    if review.status != seen {
        return Ok(Stopped::Moved);
    }
    if seen == ReviewStatus::Running && reviews::stop(tx.conn(), id, &actor.label, now).await? {
        audit::record(tx.conn(), actor, &Event::new(Action::ReviewStopped, "review", id, &review.name), now).await?;
        tx.commit().await?;
        apply::apply(state, id).await?;
        return Ok(Stopped::Applied);
    }
    if seen == ReviewStatus::Scheduled
        && reviews::claim(tx.conn(), id, ReviewStatus::Scheduled, ReviewStatus::Cancelled, now).await?
    {
        let ev = Event::new(Action::ReviewCancelled, "review", id, &review.name);
        audit::record(tx.conn(), actor, &ev, now).await?;
        tx.commit().await?;
        return Ok(Stopped::Cancelled);
    }
    Ok(Stopped::NotRunning)
}

/// Every review with its progress, the newest first.
pub async fn all(state: &AppState) -> AppResult<Vec<Progress>> {
    let mut c = state.db.acquire().await?;
    Ok(reviews::all(c.conn(), 500).await?)
}

/// One review with its progress.
pub async fn progress(state: &AppState, id: Uuid) -> AppResult<Option<Progress>> {
    let mut c = state.db.acquire().await?;
    Ok(reviews::progress(c.conn(), id).await?)
}

/// One review, its reviewers and a page of its guests, for the admin.
pub struct Overview {
    pub progress: Progress,
    pub reviewers: Vec<Reviewer>,
    pub items: Vec<Item>,
}

pub async fn overview(state: &AppState, id: Uuid, show: Show, page: Page) -> AppResult<Option<Overview>> {
    let mut c = state.db.acquire().await?;
    let Some(progress) = reviews::progress(c.conn(), id).await? else { return Ok(None) };
    let reviewers = reviews::reviewers(c.conn(), id).await?;
    let items = reviews::items(c.conn(), id, None, show, page.size, page.offset()).await?;
    Ok(Some(Overview { progress, reviewers, items }))
}

/// Up to `limit` of a review's guests from `offset` on, by name (the API's decisions).
pub async fn decisions(state: &AppState, id: Uuid, limit: i64, offset: i64) -> AppResult<Option<Vec<Item>>> {
    let mut c = state.db.acquire().await?;
    if reviews::find(c.conn(), id).await?.is_none() {
        return Ok(None);
    }
    Ok(Some(reviews::items(c.conn(), id, None, Show::All, limit, offset).await?))
}

/// Every guest of a review with the decision, who made it and when (the result CSV).
pub async fn result(state: &AppState, id: Uuid) -> AppResult<Option<(Review, Vec<Item>)>> {
    let mut c = state.db.acquire().await?;
    let Some(review) = reviews::find(c.conn(), id).await? else { return Ok(None) };
    let items = reviews::items(c.conn(), id, None, Show::All, i64::MAX / 2, 0).await?;
    Ok(Some((review, items)))
}

/// What a review removes from a guest, in words for mail: "the apps of Partner Access".
fn what_goes(review: &Review, org: &str) -> String {
    match review.scope {
        Scope::Package => format!("the access package {}", review.scope_name),
        Scope::Group => format!("the group {}", review.scope_name),
        Scope::All | Scope::Inactive => format!("the apps of {org}"),
    }
}
