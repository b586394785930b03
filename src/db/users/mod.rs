//! Users: members and guests. What ends an account — soft-deleting, restoring, the purge
//! due, the end of access — is in `lifecycle`.

mod lifecycle;
pub mod odata;

pub use lifecycle::{access_ended, due_for_purge, mark_access_ended, restore, soft_delete};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Conn, Page, contains_pattern, run};
use crate::domain::user::UserState;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub company: String,
    pub user_type: String,
    pub state: UserState,
    pub created_via: String,
    pub is_admin: bool,
    /// May invite guests when Settings let only admins and inviters do so.
    pub is_inviter: bool,
    /// Must use a second factor whatever the organization's policy says.
    pub mfa_required: bool,
    pub terms_version: Option<String>,
    /// When they accepted `terms_version`: at redemption, or again after a new version.
    pub terms_accepted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Soft-deleted (left, or deleted by the end-of-access policy): blocked meanwhile, and
    /// purged `flows::leaving::PURGE_AFTER` later unless an admin restores the account.
    pub deleted_at: Option<DateTime<Utc>>,
    /// The language they read the portal in (`i18n::Lang`'s tag); empty: not chosen.
    pub language: String,
}

pub(super) const COLUMNS: &str = "id, email, display_name, company, user_type, state, created_via, is_admin, is_inviter, \
    mfa_required, terms_version, terms_accepted_at, created_at, accepted_at, last_sign_in_at, expires_at, deleted_at, language";

/// The user columns of a query that names the users table `alias`.
pub(super) fn columns_of(alias: &str) -> String {
    COLUMNS.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub user_type: &'a str,
    pub state: UserState,
    pub created_via: &'a str,
    pub is_admin: bool,
}

pub async fn insert(c: Conn<'_>, u: &NewUser<'_>, now: DateTime<Utc>) -> sqlx::Result<User> {
    let sql = format!(
        "INSERT INTO users (id, email, display_name, user_type, state, created_via, is_admin, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    );
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(Uuid::new_v4())
        .bind(u.email)
        .bind(u.display_name)
        .bind(u.user_type)
        .bind(u.state)
        .bind(u.created_via)
        .bind(u.is_admin)
        .bind(now)
        .fetch_one(e)
        .await)
}

pub async fn find(c: Conn<'_>, id: Uuid) -> sqlx::Result<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(e).await)
}

pub async fn find_by_email(c: Conn<'_>, email: &str) -> sqlx::Result<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email = $1");
    run!(c, |e| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(email).fetch_optional(e).await)
}

#[derive(Default)]
pub struct Filter<'a> {
    /// Matched against names as typed, and against addresses in their stored (ASCII) form.
    pub query: &'a str,
    pub email_query: &'a str,
    pub user_type: &'a str,
    /// A stored state name; empty for all.
    pub state: &'a str,
    /// Only inactive guests: accepted, their last sign-in (or acceptance) before this.
    pub inactive_before: Option<DateTime<Utc>>,
    /// Only users whose last sign-in compares so with the moment (never signed in: none).
    pub last_sign_in: Option<(Compare, DateTime<Utc>)>,
    /// Only users a Graph `$filter` selects (the API's).
    pub odata: Option<&'a crate::domain::odata::Expr>,
}

/// How a column compares with a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Compare {
    fn sql(self) -> &'static str {
        match self {
            Compare::Lt => "<",
            Compare::Le => "<=",
            Compare::Gt => ">",
            Compare::Ge => ">=",
        }
    }
}

/// The condition an inactive guest meets, on the users table named `p` (`""` or `u.`),
/// the moment bound as `$at`. Written as the partial index of migration 0027 is.
fn inactive_guest(p: &str, at: &str) -> String {
    format!("{p}user_type = 'guest' AND {p}state = 'accepted' AND COALESCE({p}last_sign_in_at, {p}accepted_at) < {at}")
}

/// Users matching a search on name or email (a domain matches the email), newest first.
pub async fn search(c: Conn<'_>, f: &Filter<'_>, page: Page) -> sqlx::Result<(Vec<User>, i64)> {
    let (name, email) = (f.query.trim(), f.email_query.trim());
    // Trigram indexes serve the search for any part of a name or address (migration 0014):
    // pg_trgm answers `LIKE '%…%'` on the lowered columns (backslash is PostgreSQL's default
    // LIKE escape); SQLite's FTS5 answers a phrase query of three characters or more (it
    // ignores case; a phrase is quoted, its quotes doubled). Shorter words are looked for
    // row by row. No OR around the match: SQLite would then scan the users table.
    let phrase = |words: &str| format!("\"{}\"", words.to_lowercase().replace('"', "\"\""));
    let fts = matches!(c, Conn::Sqlite(_)) && name.chars().count() >= 3 && email.chars().count() >= 3;
    let (matches, first, fourth) = match c {
        _ if name.is_empty() => ("$1 = $4", String::new(), String::new()),
        Conn::Sqlite(_) if fts => (
            "id IN (SELECT k.user_id FROM users_search_keys k WHERE k.rowid IN \
             (SELECT rowid FROM users_search WHERE users_search MATCH $1)) AND $4 = $4",
            format!("email : {} OR display_name : {}", phrase(email), phrase(name)),
            String::new(),
        ),
        Conn::Sqlite(_) => (
            "(lower(email) LIKE $4 ESCAPE '\\' OR lower(display_name) LIKE $1 ESCAPE '\\')",
            contains_pattern(name),
            contains_pattern(email),
        ),
        Conn::Postgres(_) => {
            ("(lower(email) LIKE $4 OR lower(display_name) LIKE $1)", contains_pattern(name), contains_pattern(email))
        }
    };
    // The activity bounds ($5, $6) are always bound; NULL leaves them out.
    let op = f.last_sign_in.map_or("<", |(c, _)| c.sql());
    let activity = |p: &str| {
        format!("($5 IS NULL OR ({})) AND ($6 IS NULL OR {p}last_sign_in_at {op} $6)", inactive_guest(p, "$5"))
    };
    // A Graph filter's values follow the fixed ones: from $7 when counting, $9 when listing.
    let (plain_odata, binds) = f.odata.map(|e| odata::condition(e, "")).unwrap_or(("1 = 1".into(), Vec::new()));
    let (aliased_odata, _) = f.odata.map(|e| odata::condition(e, "u.")).unwrap_or(("1 = 1".into(), Vec::new()));
    let base = format!("{matches} AND ($2 = '' OR user_type = $2) AND ($3 = '' OR state = $3) AND {}", activity(""));
    let counted = format!("{base} AND {}", odata::numbered(&plain_odata, 7));
    let cond = format!("{base} AND {}", odata::numbered(&plain_odata, 9));
    let unfiltered = f.user_type.is_empty()
        && f.state.is_empty()
        && f.inactive_before.is_none()
        && f.last_sign_in.is_none()
        && f.odata.is_none();
    // FTS5 counts its own hits (one row a user) without fetching a user.
    let count = if fts && unfiltered {
        "SELECT COUNT(*) FROM users_search WHERE users_search MATCH $1 AND $2 = $2 AND $3 = $3 AND $4 = $4 \
         AND $5 IS NULL AND $6 IS NULL"
            .to_string()
    } else {
        format!("SELECT COUNT(*) FROM users WHERE {counted}")
    };
    // SQLite would walk every user newest first looking for the few hits (all 100,000 for a
    // miss): with few hits, fetch those and sort them (CROSS JOIN keeps that order); with
    // many, walking the newest first finds a page soonest.
    let few_hits = || {
        format!(
            "SELECT {} FROM users_search_keys k CROSS JOIN users u ON u.id = k.user_id \
         WHERE k.rowid IN (SELECT rowid FROM users_search WHERE users_search MATCH $1) AND $4 = $4 \
         AND ($2 = '' OR u.user_type = $2) AND ($3 = '' OR u.state = $3) AND {} AND {} \
         ORDER BY u.created_at DESC, u.email LIMIT $7 OFFSET $8",
            columns_of("u"),
            activity("u."),
            odata::numbered(&aliased_odata, 9)
        )
    };
    let newest_first =
        format!("SELECT {COLUMNS} FROM users WHERE {cond} ORDER BY created_at DESC, email LIMIT $7 OFFSET $8");
    let last_sign_in = f.last_sign_in.map(|(_, at)| at);
    run!(c, |e| {
        let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(count))
            .bind(&first)
            .bind(f.user_type)
            .bind(f.state)
            .bind(&fourth)
            .bind(f.inactive_before)
            .bind(last_sign_in);
        for b in &binds {
            q = match b {
                odata::Bind::Text(t) => q.bind(t),
                odata::Bind::Time(t) => q.bind(*t),
            };
        }
        let total: i64 = q.fetch_one(&mut *e).await?;
        let list = if fts && total <= 2_000 { few_hits() } else { newest_first };
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(list))
            .bind(&first)
            .bind(f.user_type)
            .bind(f.state)
            .bind(&fourth)
            .bind(f.inactive_before)
            .bind(last_sign_in)
            .bind(page.size)
            .bind(page.offset());
        for b in &binds {
            q = match b {
                odata::Bind::Text(t) => q.bind(t),
                odata::Bind::Time(t) => q.bind(*t),
            };
        }
        let rows: Vec<User> = q.fetch_all(&mut *e).await?;
        Ok((rows, total))
    })
}

pub async fn count_by(c: Conn<'_>, user_type: &str, state: &str) -> sqlx::Result<i64> {
    run!(c, |e| sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE user_type = $1 AND ($2 = '' OR state = $2)")
        .bind(user_type)
        .bind(state)
        .fetch_one(e)
        .await)
}

/// How many guests are inactive: accepted, without a sign-in (or acceptance) since
/// `before`. Served by the partial index of migration 0027.
pub async fn count_inactive_guests(c: Conn<'_>, before: DateTime<Utc>) -> sqlx::Result<i64> {
    let sql = format!("SELECT COUNT(*) FROM users WHERE {}", inactive_guest("", "$1"));
    run!(c, |e| sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(before).fetch_one(e).await)
}

/// Marks an invited guest as having accepted; returns false if they were not pending.
pub async fn accept(c: Conn<'_>, id: Uuid, terms_version: &str, now: DateTime<Utc>) -> sqlx::Result<bool> {
    run!(c, |e| {
        sqlx::query(
            "UPDATE users SET state = 'accepted', accepted_at = $2, terms_version = $3, terms_accepted_at = $2, \
         last_sign_in_at = $2 \
         WHERE id = $1 AND state = 'pending_acceptance'",
        )
        .bind(id)
        .bind(now)
        .bind(terms_version)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1)
    })
}

/// Records that the user accepted this version of the terms of use now.
pub async fn accept_terms(c: Conn<'_>, id: Uuid, terms_version: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE users SET terms_version = $2, terms_accepted_at = $3 WHERE id = $1")
        .bind(id)
        .bind(terms_version)
        .bind(now)
        .execute(e)
        .await
        .map(|_| ()))
}

/// Guests who can sign in and have not accepted this version of the terms (yet), newest
/// first, a page of them, and how many there are in all (Admin → Users
/// filtered by "not yet accepted the current terms").
pub async fn terms_not_accepted(c: Conn<'_>, terms_version: &str, page: Page) -> sqlx::Result<(Vec<User>, i64)> {
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE user_type = 'guest' AND state = 'accepted' \
         AND (terms_version IS NULL OR terms_version <> $1) ORDER BY created_at DESC, email LIMIT $2 OFFSET $3"
    );
    run!(c, |e| {
        let rows: Vec<User> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(terms_version)
            .bind(page.size)
            .bind(page.offset())
            .fetch_all(&mut *e)
            .await?;
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(TERMS_NOT_ACCEPTED_COUNT))
            .bind(terms_version)
            .fetch_one(&mut *e)
            .await?;
        Ok((rows, total))
    })
}

const TERMS_NOT_ACCEPTED_COUNT: &str = "SELECT COUNT(*) FROM users WHERE user_type = 'guest' AND state = 'accepted' \
    AND (terms_version IS NULL OR terms_version <> $1)";

/// How many guests `terms_not_accepted` lists.
pub async fn count_terms_not_accepted(c: Conn<'_>, terms_version: &str) -> sqlx::Result<i64> {
    run!(c, |e| sqlx::query_scalar(TERMS_NOT_ACCEPTED_COUNT).bind(terms_version).fetch_one(e).await)
}

pub async fn touch_sign_in(c: Conn<'_>, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE users SET last_sign_in_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(e)
        .await
        .map(|_| ()))
}

/// Takes the user's row lock (PostgreSQL) so that two requests of one person queue up; a
/// no-op write on SQLite, whose write transactions are serial anyway.
pub async fn lock(c: Conn<'_>, id: Uuid) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE users SET email = email WHERE id = $1").bind(id).execute(e).await.map(|_| ()))
}

pub async fn set_display_name(c: Conn<'_>, id: Uuid, name: &str) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE users SET display_name = $2 WHERE id = $1")
        .bind(id)
        .bind(name)
        .execute(e)
        .await
        .map(|_| ()))
}

pub async fn make_admin(c: Conn<'_>, id: Uuid) -> sqlx::Result<()> {
    set_admin(c, id, true).await
}

pub async fn set_admin(c: Conn<'_>, id: Uuid, admin: bool) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE users SET is_admin = $2 WHERE id = $1")
        .bind(id)
        .bind(admin)
        .execute(e)
        .await
        .map(|_| ()))
}

pub async fn set_inviter(c: Conn<'_>, id: Uuid, inviter: bool) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE users SET is_inviter = $2 WHERE id = $1")
        .bind(id)
        .bind(inviter)
        .execute(e)
        .await
        .map(|_| ()))
}

/// The admins who can still sign in (not blocked), their rows locked until the transaction
/// ends on PostgreSQL (SQLite's single writer serializes anyway): two admins taking each
/// other's rights at once cannot leave none.
pub async fn active_admins_locked(c: Conn<'_>) -> sqlx::Result<Vec<Uuid>> {
    let lock = if matches!(c, Conn::Postgres(_)) { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT id FROM users WHERE is_admin AND state <> 'blocked' ORDER BY id{lock}");
    run!(c, |e| sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(e).await)
}

/// Sets the state; the flow that calls it ends the user's sessions (`sessions::end_all`).
pub async fn set_state(c: Conn<'_>, id: Uuid, state: UserState) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE users SET state = $2 WHERE id = $1")
        .bind(id)
        .bind(state)
        .execute(e)
        .await
        .map(|_| ()))
}

impl User {
    /// The address with a Unicode domain shown beside its ASCII form.
    pub fn email_for_people(&self) -> String {
        crate::domain::email::for_people(&self.email)
    }
}

pub async fn set_company(c: Conn<'_>, id: Uuid, company: &str) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE users SET company = $2 WHERE id = $1")
        .bind(id)
        .bind(company)
        .execute(e)
        .await
        .map(|_| ()))
}

/// Deletes the account; identities, sessions, invitations, assignments and sponsorships go
/// with it (the foreign keys cascade). The audit trail keeps its address.
pub async fn delete(c: Conn<'_>, user_id: Uuid) -> sqlx::Result<bool> {
    run!(c, |e| sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(user_id)
        .execute(e)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Saves the language a person reads the portal in.
pub async fn set_language(c: Conn<'_>, id: Uuid, language: &str) -> sqlx::Result<()> {
    run!(c, |e| sqlx::query("UPDATE users SET language = $2 WHERE id = $1")
        .bind(id)
        .bind(language)
        .execute(e)
        .await
        .map(|_| ()))
}
