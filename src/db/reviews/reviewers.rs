//! An access review's reviewers: who could review (sponsors, approvers, the guests), each
//! reviewer's share of the guests, their link's token hash and the reminders sent.

use uuid::Uuid;

use super::Review;
use crate::db::{Conn, run};
use crate::domain::review::Reviewers;

/// Who could review the snapshot's guests: their live sponsors, the package's approvers, or
/// the guests themselves.
pub async fn candidates(c: Conn<'_>, review: &Review) -> sqlx::Result<Vec<Uuid>> {
    let (sql, key) = match review.reviewers {
        Reviewers::Sponsors => (
            "SELECT DISTINCT s.sponsor_id FROM access_review_items i JOIN user_sponsors s ON s.user_id = i.user_id \
             JOIN users p ON p.id = s.sponsor_id WHERE i.review_id = $1 AND p.state = 'accepted' \
             AND p.deleted_at IS NULL",
            Some(review.id),
        ),
        Reviewers::Approvers => (
            "SELECT a.user_id FROM package_approvers a JOIN users p ON p.id = a.user_id \
             WHERE a.package_id = $1 AND p.state = 'accepted' AND p.deleted_at IS NULL",
            review.scope_id,
        ),
        Reviewers::Guests => ("SELECT user_id FROM access_review_items WHERE review_id = $1", Some(review.id)),
    };
    run!(c, |e| sqlx::query_scalar(sql).bind(key).fetch_all(e).await)
}

/// Gives each reviewer their share: sponsors their own guests, approvers all, guests
/// themselves. Only reviewers already added count.
pub async fn share(c: Conn<'_>, review: &Review) -> sqlx::Result<u64> {
    let sql = match review.reviewers {
        Reviewers::Sponsors => {
            "INSERT INTO access_review_links (review_id, reviewer_id, user_id) \
             SELECT i.review_id, s.sponsor_id, i.user_id FROM access_review_items i \
             JOIN user_sponsors s ON s.user_id = i.user_id \
             JOIN access_review_reviewers r ON r.review_id = i.review_id AND r.user_id = s.sponsor_id \
             WHERE i.review_id = $1"
        }
        Reviewers::Approvers => {
            "INSERT INTO access_review_links (review_id, reviewer_id, user_id) \
             SELECT i.review_id, r.user_id, i.user_id FROM access_review_items i \
             JOIN access_review_reviewers r ON r.review_id = i.review_id WHERE i.review_id = $1"
        }
        Reviewers::Guests => {
            "INSERT INTO access_review_links (review_id, reviewer_id, user_id) \
             SELECT review_id, user_id, user_id FROM access_review_items WHERE review_id = $1"
        }
    };
    run!(c, |e| sqlx::query(sql).bind(review.id).execute(e).await.map(|r| r.rows_affected()))
}

/// Gives the guests nobody reviews yet to `reviewer` (a fallback member); how many.
pub async fn share_the_rest(c: Conn<'_>, review_id: Uuid, reviewer: Uuid) -> sqlx::Result<u64> {
    run!(c, |e| sqlx::query(
        "INSERT INTO access_review_links (review_id, reviewer_id, user_id) SELECT i.review_id, $2, i.user_id \
         FROM access_review_items i WHERE i.review_id = $1 AND NOT EXISTS \
         (SELECT 1 FROM access_review_links l WHERE l.review_id = i.review_id AND l.user_id = i.user_id)"
    )
    .bind(review_id)
    .bind(reviewer)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
}

/// Guests of the review nobody is to review.
pub async fn unshared(c: Conn<'_>, review_id: Uuid) -> sqlx::Result<i64> {
    run!(c, |e| sqlx::query_scalar(
        "SELECT COUNT(*) FROM access_review_items i WHERE i.review_id = $1 AND NOT EXISTS \
         (SELECT 1 FROM access_review_links l WHERE l.review_id = i.review_id AND l.user_id = i.user_id)"
    )
    .bind(review_id)
    .fetch_one(e)
    .await)
}

/// One reviewer of one review, with their name and address and how much is theirs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Reviewer {
    pub id: Uuid,
    pub review_id: Uuid,
    pub user_id: Uuid,
    pub display_name: String,
    pub email: String,
    pub reminded: i64,
    /// Can still sign in (not blocked, not deleted): only then does their link decide.
    pub active: bool,
    pub guests: i64,
    pub undecided: i64,
}

const REVIEWER: &str = "SELECT r.id, r.review_id, r.user_id, u.display_name, u.email, r.reminded, \
    (u.state <> 'blocked' AND u.deleted_at IS NULL) AS active, \
    (SELECT COUNT(*) FROM access_review_links l WHERE l.review_id = r.review_id AND l.reviewer_id = r.user_id) AS guests, \
    (SELECT COUNT(*) FROM access_review_links l JOIN access_review_items i ON i.review_id = l.review_id \
     AND i.user_id = l.user_id WHERE l.review_id = r.review_id AND l.reviewer_id = r.user_id \
     AND i.decision IS NULL) AS undecided \
    FROM access_review_reviewers r JOIN users u ON u.id = r.user_id";

/// Adds a reviewer with the hash of their link's token; false when they were one already.
pub async fn add_reviewer(
    c: Conn<'_>,
    id: Uuid,
    review_id: Uuid,
    user_id: Uuid,
    token_hash: &str,
) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "INSERT INTO access_review_reviewers (id, review_id, user_id, token_hash) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (review_id, user_id) DO NOTHING"
    )
    .bind(id)
    .bind(review_id)
    .bind(user_id)
    .bind(token_hash)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// The review's reviewers with a share (one without is dropped by `drop_idle_reviewers`).
pub async fn reviewers(c: Conn<'_>, review_id: Uuid) -> sqlx::Result<Vec<Reviewer>> {
    let sql = format!("{REVIEWER} WHERE r.review_id = $1 ORDER BY lower(u.display_name), u.email");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(review_id).fetch_all(e).await)
}

/// Reviewers added as candidates who ended up with nobody to review.
pub async fn drop_idle_reviewers(c: Conn<'_>, review_id: Uuid) -> sqlx::Result<u64> {
    run!(c, |e| sqlx::query(
        "DELETE FROM access_review_reviewers WHERE review_id = $1 AND NOT EXISTS (SELECT 1 FROM \
         access_review_links l WHERE l.review_id = access_review_reviewers.review_id \
         AND l.reviewer_id = access_review_reviewers.user_id)"
    )
    .bind(review_id)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
}

pub async fn reviewer_by_token(c: Conn<'_>, token_hash: &str) -> sqlx::Result<Option<Reviewer>> {
    let sql = format!("{REVIEWER} WHERE r.token_hash = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_optional(e).await)
}

pub async fn reviewer_of(c: Conn<'_>, review_id: Uuid, user_id: Uuid) -> sqlx::Result<Option<Reviewer>> {
    let sql = format!("{REVIEWER} WHERE r.review_id = $1 AND r.user_id = $2");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(review_id).bind(user_id).fetch_optional(e).await)
}

/// Marks a reminder as sent; false when it was (by another worker).
pub async fn mark_reminded(c: Conn<'_>, id: Uuid, level: i64) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("UPDATE access_review_reviewers SET reminded = $2 WHERE id = $1 AND reminded < $2")
        .bind(id)
        .bind(level)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// A person's share of each running review they review, the soonest ending first.
pub async fn open_for(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<Vec<Reviewer>> {
    let sql = format!(
        "{REVIEWER} JOIN access_reviews a ON a.id = r.review_id WHERE r.user_id = $1 AND a.status = 'running' \
         ORDER BY a.ends_at"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(e).await)
}
