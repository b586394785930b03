//! A review's start: the guests in scope are snapshot with a recommendation, each gets
//! their reviewers (sponsors, approvers or themselves; the fallback members, then the
//! review's creator, for guests nobody else can review), and each reviewer is mailed one link.

use chrono::Duration;
use uuid::Uuid;

use super::{REVIEW_PURPOSE, Review};
use crate::db::audit::{self, Event};
use crate::db::reviews;
use crate::db::{Tx, users};
use crate::domain::audit::{Action, Actor};
use crate::domain::audit_details::pair;
use crate::domain::review::{ReviewStatus, Reviewers};
use crate::domain::user::{MEMBER, UserState};
use crate::error::AppResult;
use crate::mail::notices::{ReviewAsk, review_request};
use crate::secrets::Token;
use crate::state::AppState;

/// Starts `review` in the caller's transaction; how many guests it reviews.
pub(super) async fn start(state: &AppState, tx: &mut Tx, review: &Review) -> AppResult<u64> {
    let now = state.clock.now();
    let settings = crate::flows::settings::current(state).await?;
    let guests = reviews::snapshot(tx.conn(), review, now - Duration::days(settings.inactive_after_days), now).await?;
    for user_id in reviews::candidates(tx.conn(), review).await? {
        add_reviewer(state, tx, review.id, user_id).await?;
    }
    reviews::share(tx.conn(), review).await?;
    if reviews::unshared(tx.conn(), review.id).await? > 0 {
        let fallback = review.fallback.lines().chain(std::iter::once(review.created_by.as_str()));
        for email in fallback {
            let Some(member) = users::find_by_email(tx.conn(), email).await? else { continue };
            if member.user_type != MEMBER || member.state != UserState::Accepted || member.deleted_at.is_some() {
                continue;
            }
            add_reviewer(state, tx, review.id, member.id).await?;
            reviews::share_the_rest(tx.conn(), review.id, member.id).await?;
            if reviews::unshared(tx.conn(), review.id).await? == 0 {
                break;
            }
        }
    }
    reviews::drop_idle_reviewers(tx.conn(), review.id).await?;
    // Nobody could be found for these (no sponsor, no fallback that can sign in): they are
    // kept at the end whatever the default, and the audit says how many.
    let unreviewed = reviews::unshared(tx.conn(), review.id).await?;
    let org = settings.org_name.clone();
    let ends = crate::flows::human_date(review.ends_at);
    let reviewers = reviews::reviewers(tx.conn(), review.id).await?;
    for r in &reviewers {
        let ask = ReviewAsk {
            reviewer: &r.display_name,
            review: &review.name,
            org: &org,
            guests: r.guests,
            own: review.reviewers == Reviewers::Guests,
            ends: &ends,
        };
        let link = state.links().review(link_token(state, r.id).expose());
        crate::flows::queue_notice(state, tx.conn(), &r.email, &review_request(&ask, link, false)).await?;
    }
    let details = format!(
        "{} {} {}",
        pair("guests", &guests.to_string()),
        pair("reviewers", &reviewers.len().to_string()),
        pair("unreviewed", &unreviewed.to_string())
    );
    let ev = Event::new(Action::ReviewStarted, "review", review.id, &review.name).details(details);
    audit::record(tx.conn(), &Actor::system("access review"), &ev, now).await?;
    Ok(guests)
}

/// A reviewer's link token: derived from their row's id, so a reminder carries the same link.
pub(super) fn link_token(state: &AppState, reviewer_id: Uuid) -> Token {
    Token::derived(&state.key, REVIEW_PURPOSE, &reviewer_id)
}

async fn add_reviewer(state: &AppState, tx: &mut Tx, review_id: Uuid, user_id: Uuid) -> AppResult<()> {
    let id = Uuid::new_v4();
    reviews::add_reviewer(tx.conn(), id, review_id, user_id, &link_token(state, id).hash().0).await?;
    Ok(())
}

/// The worker's part: starts each scheduled occurrence whose day has come; how many.
pub async fn start_due(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now();
    let due = {
        let mut c = state.db.acquire().await?;
        reviews::due(c.conn(), ReviewStatus::Scheduled, now).await?
    };
    let mut started = 0;
    for review in due {
        let mut tx = state.db.begin().await?;
        // Claimed in the transaction that starts it: two workers start it once.
        if !reviews::claim(tx.conn(), review.id, ReviewStatus::Scheduled, ReviewStatus::Running, now).await? {
            continue;
        }
        // Started late (the worker was down), it still gives reviewers its whole duration.
        let review = Review { starts_at: now, ends_at: now + Duration::days(review.duration_days), ..review };
        reviews::set_dates(tx.conn(), review.id, review.starts_at, review.ends_at).await?;
        start(state, &mut tx, &review).await?;
        tx.commit().await?;
        started += 1;
    }
    Ok(started)
}
