//! An access review's guests: the snapshot taken when it starts, each guest's decision, and
//! the outcome written when it is applied.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Review;
use crate::db::{Conn, run};
use crate::domain::review::{Decision, Scope, Undecided};

/// Snapshots the guests in scope with the portal's recommendation (remove when their last
/// sign-in, or redemption, is before `inactive_before`); how many.
pub async fn snapshot(
    c: Conn<'_>,
    review: &Review,
    inactive_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let active = "COALESCE(u.last_sign_in_at, u.accepted_at, u.created_at)";
    let scope = match review.scope {
        Scope::All => String::new(),
        Scope::Inactive => format!(" AND {active} < $2"),
        Scope::Package => " AND EXISTS (SELECT 1 FROM package_grants g WHERE g.user_id = u.id AND g.package_id = $4 \
             AND (g.expires_at IS NULL OR g.expires_at > $3))"
            .into(),
        Scope::Group => " AND EXISTS (SELECT 1 FROM group_members m WHERE m.user_id = u.id AND m.group_id = $4 \
             AND (m.expires_at IS NULL OR m.expires_at > $3))"
            .into(),
    };
    let sql = format!(
        "INSERT INTO access_review_items (review_id, user_id, name, email, last_sign_in_at, recommendation) \
         SELECT $1, u.id, u.display_name, u.email, u.last_sign_in_at, \
         CASE WHEN {active} < $2 THEN 'remove' ELSE 'keep' END FROM users u \
         WHERE u.user_type = 'guest' AND u.state = 'accepted' AND u.deleted_at IS NULL \
         AND (u.expires_at IS NULL OR u.expires_at > $3){scope}"
    );
    let of_scope = review.scope_id.filter(|_| matches!(review.scope, Scope::Package | Scope::Group));
    run!(c, |e| {
        let q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(review.id).bind(inactive_before).bind(now);
        let q = if let Some(id) = of_scope { q.bind(id) } else { q };
        q.execute(e).await.map(|r| r.rows_affected())
    })
}

/// One guest in one review.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Item {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    pub recommendation: Decision,
    pub decision: Option<Decision>,
    pub reason: String,
    pub decided_by_label: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
}

const ITEM: &str = "i.user_id, i.name, i.email, i.last_sign_in_at, i.recommendation, i.decision, i.reason, \
    i.decided_by_label, i.decided_at, i.outcome";

/// Which of a review's guests a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    All,
    Undecided,
    Removed,
}

impl Show {
    fn condition(self) -> &'static str {
        match self {
            Show::All => "",
            Show::Undecided => " AND i.decision IS NULL",
            Show::Removed => " AND i.outcome LIKE 'removed%'",
        }
    }
}

/// The guests a reviewer reviews (`reviewer` none: all of them), by name.
pub async fn items(
    c: Conn<'_>,
    review_id: Uuid,
    reviewer: Option<Uuid>,
    show: Show,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Item>> {
    let mine = if reviewer.is_some() {
        " AND EXISTS (SELECT 1 FROM access_review_links l WHERE l.review_id = i.review_id \
          AND l.user_id = i.user_id AND l.reviewer_id = $4)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {ITEM} FROM access_review_items i WHERE i.review_id = $1{mine}{} \
         ORDER BY lower(i.name), i.email LIMIT $2 OFFSET $3",
        show.condition()
    );
    run!(c, |e| {
        let q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(review_id).bind(limit).bind(offset);
        let q = if let Some(id) = reviewer { q.bind(id) } else { q };
        q.fetch_all(e).await
    })
}

/// Whether `reviewer` reviews `guest` in the review.
pub async fn reviews(c: Conn<'_>, review_id: Uuid, reviewer: Uuid, guest: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM access_review_links WHERE review_id = $1 AND reviewer_id = $2 AND user_id = $3"
    )
    .bind(review_id)
    .bind(reviewer)
    .bind(guest)
    .fetch_one(e)
    .await
    .map(|n| n > 0))
}

/// Records a decision (a later one replaces an earlier one while the review runs).
pub struct Decided<'a> {
    pub review_id: Uuid,
    pub guest: Uuid,
    pub decision: Decision,
    pub reason: &'a str,
    pub by: Uuid,
    pub by_label: &'a str,
}

pub async fn decide(c: Conn<'_>, d: &Decided<'_>, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE access_review_items SET decision = $3, reason = $4, decided_by = $5, decided_by_label = $6, \
         decided_at = $7 WHERE review_id = $1 AND user_id = $2"
    )
    .bind(d.review_id)
    .bind(d.guest)
    .bind(d.decision)
    .bind(d.reason)
    .bind(d.by)
    .bind(d.by_label)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

pub async fn item(c: Conn<'_>, review_id: Uuid, guest: Uuid) -> sqlx::Result<Option<Item>> {
    let sql = format!("SELECT {ITEM} FROM access_review_items i WHERE i.review_id = $1 AND i.user_id = $2");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(review_id).bind(guest).fetch_optional(e).await)
}

/// Writes every guest's outcome in one statement: their decision, else the review's
/// default for the undecided; `gone` for a guest who left or was deleted meanwhile.
pub async fn settle(c: Conn<'_>, review_id: Uuid, undecided: Undecided) -> sqlx::Result<u64> {
    run!(c, |e| sqlx::query(
        "UPDATE access_review_items SET outcome = CASE \
         WHEN NOT EXISTS (SELECT 1 FROM users u WHERE u.id = access_review_items.user_id AND u.deleted_at IS NULL) \
           THEN 'gone' \
         WHEN decision IS NULL AND NOT EXISTS (SELECT 1 FROM access_review_links l \
           WHERE l.review_id = access_review_items.review_id AND l.user_id = access_review_items.user_id) \
           THEN 'kept_by_default' \
         WHEN decision = 'keep' THEN 'kept' WHEN decision = 'remove' THEN 'removed' \
         WHEN $2 = 'keep' THEN 'kept_by_default' WHEN $2 = 'remove' THEN 'removed_by_default' \
         WHEN recommendation = 'keep' THEN 'kept_by_default' ELSE 'removed_by_default' END \
         WHERE review_id = $1"
    )
    .bind(review_id)
    .bind(undecided)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
}

/// How many guests the applied review kept.
pub async fn kept(c: Conn<'_>, review_id: Uuid) -> sqlx::Result<i64> {
    run!(c, |e| sqlx::query_scalar(
        "SELECT COUNT(*) FROM access_review_items WHERE review_id = $1 AND outcome LIKE 'kept%'"
    )
    .bind(review_id)
    .fetch_one(e)
    .await)
}

/// The guests the applied review removes.
pub async fn removed(c: Conn<'_>, review_id: Uuid) -> sqlx::Result<Vec<Item>> {
    let sql = format!(
        "SELECT {ITEM} FROM access_review_items i WHERE i.review_id = $1 AND i.outcome LIKE 'removed%' \
         ORDER BY i.user_id"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(review_id).fetch_all(e).await)
}

/// The person's name and address in past reviews become `pseudonym`, and what was said of
/// them goes (F12 purge): by their id, and by the address for rows of another id.
pub async fn forget(mut c: Conn<'_>, user_id: Uuid, email: &str, pseudonym: &str) -> sqlx::Result<()> {
    run!(c.reborrow(), |e| sqlx::query(
        "UPDATE access_review_items SET name = $3, email = '', reason = '', last_sign_in_at = NULL \
         WHERE user_id = $1 OR LOWER(email) = $2"
    )
    .bind(user_id)
    .bind(email.to_lowercase())
    .bind(pseudonym)
    .execute(e)
    .await
    .map(|_| ()))?;
    run!(c, |e| sqlx::query("UPDATE access_review_items SET decided_by_label = $2 WHERE LOWER(decided_by_label) = $1")
        .bind(email.to_lowercase())
        .bind(pseudonym)
        .execute(e)
        .await
        .map(|_| ()))
}
