//! Reminders: a reviewer with guests left to decide is mailed again at half time and two
//! days before the end, with the same link. Each reminder is marked in the transaction that
//! queues it, so two workers send it once.

use chrono::Duration;

use crate::db::reviews;
use crate::domain::review::Reviewers;
use crate::error::AppResult;
use crate::mail::notices::{ReviewAsk, review_request};
use crate::state::AppState;

/// The worker's part; how many reminders were queued.
pub async fn remind_due(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now();
    let running = {
        let mut c = state.db.acquire().await?;
        reviews::running(c.conn()).await?
    };
    let org = crate::flows::settings::current(state).await?.org_name.clone();
    let mut sent = 0;
    for review in running.into_iter().filter(|r| r.ends_at > now) {
        let half = review.starts_at + (review.ends_at - review.starts_at) / 2;
        // Never before half time: a review of a day or two gets one reminder, not two at once.
        let level = if now >= half.max(review.ends_at - Duration::days(2)) {
            2
        } else if now >= half {
            1
        } else {
            continue;
        };
        let waiting = {
            let mut c = state.db.acquire().await?;
            reviews::reviewers(c.conn(), review.id).await?
        };
        let ends = crate::flows::human_date(review.ends_at);
        for r in waiting.into_iter().filter(|r| r.reminded < level && r.undecided > 0 && r.active) {
            let mut tx = state.db.begin().await?;
            if !reviews::mark_reminded(tx.conn(), r.id, level).await? {
                continue;
            }
            let ask = ReviewAsk {
                reviewer: &r.display_name,
                review: &review.name,
                org: &org,
                guests: r.undecided,
                own: review.reviewers == Reviewers::Guests,
                ends: &ends,
            };
            let link = state.links().review(super::start::link_token(state, r.id).expose());
            crate::flows::queue_notice(state, tx.conn(), &r.email, &review_request(&ask, link, true)).await?;
            tx.commit().await?;
            sent += 1;
        }
    }
    Ok(sent)
}
