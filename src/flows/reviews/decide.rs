//! A reviewer's page and decisions: found by the link's token (no sign-in needed, as with
//! approvals) or by the signed-in member's own share; opening it changes nothing.

use uuid::Uuid;

use super::Review;
use crate::db::audit::{self, Event};
use crate::db::reviews::{self, Decided, Item, Reviewer, Show};
use crate::db::{Conn, Page};
use crate::domain::audit::{Action, Actor};
use crate::domain::audit_details::pair;
use crate::domain::review::Decision;
use crate::error::AppResult;
use crate::secrets::TokenHash;
use crate::state::AppState;

/// The review and the reviewer a link belongs to.
pub async fn by_token(state: &AppState, token: &str) -> AppResult<Option<(Review, Reviewer)>> {
    let hash = TokenHash::of(token);
    let mut c = state.db.acquire().await?;
    let Some(reviewer) = reviews::reviewer_by_token(c.conn(), &hash.0).await? else { return Ok(None) };
    with_review(c.conn(), reviewer).await
}

/// A signed-in person's share of a review; none when they do not review it.
pub async fn by_user(state: &AppState, review_id: Uuid, user_id: Uuid) -> AppResult<Option<(Review, Reviewer)>> {
    let mut c = state.db.acquire().await?;
    let Some(reviewer) = reviews::reviewer_of(c.conn(), review_id, user_id).await? else { return Ok(None) };
    with_review(c.conn(), reviewer).await
}

async fn with_review(c: Conn<'_>, reviewer: Reviewer) -> AppResult<Option<(Review, Reviewer)>> {
    Ok(reviews::find(c, reviewer.review_id).await?.map(|r| (r, reviewer)))
}

/// The running reviews a person reviews, with their share.
pub async fn mine(state: &AppState, user_id: Uuid) -> AppResult<Vec<(Review, Reviewer)>> {
    let mut c = state.db.acquire().await?;
    let mut out = Vec::new();
    for reviewer in reviews::open_for(c.conn(), user_id).await? {
        if let Some(review) = reviews::find(c.conn(), reviewer.review_id).await? {
            out.push((review, reviewer));
        }
    }
    Ok(out)
}

/// A page of a reviewer's guests.
pub async fn items(state: &AppState, reviewer: &Reviewer, show: Show, page: Page) -> AppResult<Vec<Item>> {
    let mut c = state.db.acquire().await?;
    Ok(reviews::items(c.conn(), reviewer.review_id, Some(reviewer.user_id), show, page.size, page.offset()).await?)
}

/// What a reviewer chose for the guests they sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Decide(Decision),
    /// Each guest as the portal recommends.
    Recommended,
}

/// Which of the guests sent a choice touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touch {
    /// Each one (a row's own buttons).
    All,
    /// Those nobody decided on yet (the buttons for all shown leave decisions standing).
    Undecided,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecideRefused {
    #[error("This review has ended, so decisions can no longer be changed.")]
    Ended,
    #[error("Nothing was decided: choose at least one guest.")]
    NoGuest,
    #[error("Nothing was decided: at most {MAX_AT_ONCE} guests at once.")]
    TooMany,
    #[error("This link is no longer yours to use: your account can no longer sign in here.")]
    NotEntitled,
}

/// The most guests one decision covers (a page of the reviewer's list is 50).
pub const MAX_AT_ONCE: usize = 100;

/// Records the reviewer's choice for each of `guests` they review (others are skipped);
/// how many were decided. A later decision replaces an earlier one while the review runs.
pub async fn decide(
    state: &AppState,
    reviewer: &Reviewer,
    guests: &[Uuid],
    (choice, touch): (Choice, Touch),
    reason: &str,
    ip: &str,
) -> AppResult<Result<usize, DecideRefused>> {
    let mut unique: Vec<Uuid> = Vec::with_capacity(guests.len());
    for g in guests {
        if !unique.contains(g) {
            unique.push(*g);
        }
    }
    if unique.is_empty() {
        return Ok(Err(DecideRefused::NoGuest));
    }
    if unique.len() > MAX_AT_ONCE {
        return Ok(Err(DecideRefused::TooMany));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // Holds the review's row: a decision lands before the review is applied, or not at all.
    if !reviews::hold_open(tx.conn(), reviewer.review_id, now).await? {
        return Ok(Err(DecideRefused::Ended));
    }
    // Read again in the transaction: a reviewer blocked or deleted since no longer decides.
    let still = reviews::reviewer_of(tx.conn(), reviewer.review_id, reviewer.user_id).await?;
    if !still.is_some_and(|r| r.active) {
        return Ok(Err(DecideRefused::NotEntitled));
    }
    let review = reviews::find(tx.conn(), reviewer.review_id).await?.map(|r| r.name).unwrap_or_default();
    let actor = Actor::user(reviewer.user_id, &reviewer.email, ip);
    let mut decided = 0;
    for guest in unique {
        if !reviews::reviews(tx.conn(), reviewer.review_id, reviewer.user_id, guest).await? {
            continue;
        }
        let Some(item) = reviews::item(tx.conn(), reviewer.review_id, guest).await? else { continue };
        if touch == Touch::Undecided && item.decision.is_some() {
            continue;
        }
        let decision = match choice {
            Choice::Decide(d) => d,
            Choice::Recommended => item.recommendation,
        };
        let d = Decided {
            review_id: reviewer.review_id,
            guest,
            decision,
            reason,
            by: reviewer.user_id,
            by_label: &reviewer.email,
        };
        reviews::decide(tx.conn(), &d, now).await?;
        let mut details = format!("{} {}", pair("review", &review), pair("decision", decision.as_str()));
        if !reason.is_empty() {
            details = format!("{details} {}", pair("reason", reason));
        }
        let ev = Event::new(Action::ReviewDecided, "user", guest, &item.email).details(details);
        audit::record(tx.conn(), &actor, &ev, now).await?;
        decided += 1;
    }
    tx.commit().await?;
    Ok(Ok(decided))
}
