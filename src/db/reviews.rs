//! Access reviews (F12): the occurrences, the guests snapshot into each when it starts, the
//! reviewers with their links, and each reviewer's share of the guests. The set-based
//! inserts keep a review of ten thousand guests to a handful of statements.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, run};
use crate::domain::review::{Decision, Recurrence, ReviewStatus, Reviewers, Scope, Undecided};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Review {
    pub id: Uuid,
    pub name: String,
    pub scope: Scope,
    pub scope_id: Option<Uuid>,
    pub scope_name: String,
    pub reviewers: Reviewers,
    /// Fallback members' addresses, one per line.
    pub fallback: String,
    pub duration_days: i64,
    pub recurrence: Recurrence,
    pub undecided: Undecided,
    pub status: ReviewStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub applied_at: Option<DateTime<Utc>>,
    pub stopped_by: String,
    pub created_by: String,
    pub previous_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, name, scope, scope_id, scope_name, reviewers, fallback, duration_days, recurrence, \
    undecided, status, starts_at, ends_at, applied_at, stopped_by, created_by, previous_id, created_at";

fn columns_of(alias: &str) -> String {
    COLUMNS.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

/// Inserts an occurrence (its `id`, `status` and dates as given).
pub async fn insert(c: Conn<'_>, r: &Review) -> sqlx::Result<()> {
    let sql = format!(
        "INSERT INTO access_reviews ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
    );
    run!(c, |e| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(r.id)
        .bind(&r.name)
        .bind(r.scope)
        .bind(r.scope_id)
        .bind(&r.scope_name)
        .bind(r.reviewers)
        .bind(&r.fallback)
        .bind(r.duration_days)
        .bind(r.recurrence)
        .bind(r.undecided)
        .bind(r.status)
        .bind(r.starts_at)
        .bind(r.ends_at)
        .bind(r.applied_at)
        .bind(&r.stopped_by)
        .bind(&r.created_by)
        .bind(r.previous_id)
        .bind(r.created_at)
        .execute(e)
        .await
        .map(|_| ()))
}

pub async fn find(c: Conn<'_>, id: Uuid) -> sqlx::Result<Option<Review>> {
    let sql = format!("SELECT {COLUMNS} FROM access_reviews WHERE id = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(e).await)
}

/// A review with how far its reviewers got.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Progress {
    #[sqlx(flatten)]
    pub review: Review,
    pub guests: i64,
    pub decided: i64,
    pub removed: i64,
}

impl Progress {
    pub fn percent(&self) -> i64 {
        if self.guests == 0 { 100 } else { self.decided * 100 / self.guests }
    }
}

const PROGRESS: &str = "(SELECT COUNT(*) FROM access_review_items i WHERE i.review_id = r.id) AS guests, \
    (SELECT COUNT(*) FROM access_review_items i WHERE i.review_id = r.id AND i.decision IS NOT NULL) AS decided, \
    (SELECT COUNT(*) FROM access_review_items i WHERE i.review_id = r.id AND i.outcome LIKE 'removed%') AS removed";

/// Every review, the newest first.
pub async fn all(c: Conn<'_>, limit: i64) -> sqlx::Result<Vec<Progress>> {
    let sql = format!(
        "SELECT {}, {PROGRESS} FROM access_reviews r ORDER BY r.starts_at DESC, r.created_at DESC LIMIT $1",
        columns_of("r")
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(e).await)
}

pub async fn progress(c: Conn<'_>, id: Uuid) -> sqlx::Result<Option<Progress>> {
    let sql = format!("SELECT {}, {PROGRESS} FROM access_reviews r WHERE r.id = $1", columns_of("r"));
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(e).await)
}

/// Occurrences in `status` whose start (scheduled) or end (running) has come.
pub async fn due(c: Conn<'_>, status: ReviewStatus, now: DateTime<Utc>) -> sqlx::Result<Vec<Review>> {
    let at = if status == ReviewStatus::Scheduled { "starts_at" } else { "ends_at" };
    let sql = format!("SELECT {COLUMNS} FROM access_reviews WHERE status = $1 AND {at} <= $2 ORDER BY {at} LIMIT 20");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(status).bind(now).fetch_all(e).await)
}

pub async fn running(c: Conn<'_>) -> sqlx::Result<Vec<Review>> {
    let sql = format!("SELECT {COLUMNS} FROM access_reviews WHERE status = 'running' ORDER BY ends_at LIMIT 100");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(e).await)
}

/// Moves an occurrence from one status to the next; false when another worker (or admin)
/// moved it first. On PostgreSQL the row stays locked until the caller commits.
pub async fn claim(
    c: Conn<'_>,
    id: Uuid,
    from: ReviewStatus,
    to: ReviewStatus,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE access_reviews SET status = $3, applied_at = CASE WHEN $3 = 'applied' THEN $4 ELSE applied_at END \
         WHERE id = $1 AND status = $2"
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Ends a running review now; false when it was not running.
pub async fn stop(c: Conn<'_>, id: Uuid, by: &str, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE access_reviews SET ends_at = $3, stopped_by = $2 WHERE id = $1 AND status = 'running'"
    )
    .bind(id)
    .bind(by)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

/// Locks a running review against its application while a decision is written; false
/// when it is no longer open for decisions.
pub async fn hold_open(c: Conn<'_>, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query(
        "UPDATE access_reviews SET status = status WHERE id = $1 AND status = 'running' AND ends_at > $2"
    )
    .bind(id)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected() == 1))
}

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
    pub guests: i64,
    pub undecided: i64,
}

const REVIEWER: &str = "SELECT r.id, r.review_id, r.user_id, u.display_name, u.email, r.reminded, \
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

/// The guests the applied review removes.
pub async fn removed(c: Conn<'_>, review_id: Uuid) -> sqlx::Result<Vec<Item>> {
    let sql = format!(
        "SELECT {ITEM} FROM access_review_items i WHERE i.review_id = $1 AND i.outcome LIKE 'removed%' \
         ORDER BY i.user_id"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(review_id).fetch_all(e).await)
}

/// The person's name and address in past reviews become `pseudonym` (F12 purge).
pub async fn forget(mut c: Conn<'_>, email: &str, pseudonym: &str) -> sqlx::Result<()> {
    run!(c.reborrow(), |e| sqlx::query(
        "UPDATE access_review_items SET name = $2, email = '' WHERE LOWER(email) = $1"
    )
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
