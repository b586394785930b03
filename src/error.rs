//! The error *type* of flows and handlers. How an error becomes a page lives in
//! `web::error_page`; this module knows nothing of HTML.

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The CSRF token was missing or wrong.
    #[error("CSRF check failed")]
    Csrf,
    /// Sign in first, then come back to `next`.
    #[error("sign-in required")]
    SignInRequired { next: String },
    /// Signed in with a first factor only where a second one is required: use it (or set
    /// one up) first, then come back to `next`.
    #[error("second factor required")]
    MfaRequired { next: String },
    /// A guest who has not accepted the current terms of use: accept them (or leave)
    /// first, then come back to `next`.
    #[error("terms of use to accept")]
    TermsRequired { next: String },
    /// Changing second factors (or resetting another person's) needs a second step passed
    /// within the last ten minutes: pass it again, then come back to `next`.
    #[error("recent second step required")]
    RecentSecondStepRequired { next: String },
    #[error("too many requests: {0}")]
    TooManyRequests(String),
    /// The database cannot be reached (no connection within the short wait): a 503 with
    /// `Retry-After`, not a hang and a 500.
    #[error("the database is unavailable")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) {
            database_down(&e);
            return AppError::Unavailable;
        }
        AppError::Internal(anyhow::Error::new(e).context("database"))
    }
}

impl AppError {
    /// The database could not be reached, whether said so (`Unavailable`) or found in the
    /// cause chain of an internal error (a `?` that passed through `anyhow`).
    pub fn is_unavailable(&self) -> bool {
        match self {
            AppError::Unavailable => true,
            AppError::Internal(e) => e.chain().any(|c| c.downcast_ref::<sqlx::Error>().is_some_and(is_unavailable)),
            _ => false,
        }
    }
}

/// No connection could be had (the server is down or restarting, or refuses connections to
/// the database), or it went away under the query (PostgreSQL's "connection exception"
/// 08xxx and "operator intervention" 57Pxx, such as a shutdown or a terminated backend):
/// the request may be tried again in a moment.
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            is_disk_full(e)
                || db.code().is_some_and(|c| {
                    // 55000 also when an operator stopped connections to the database (maintenance).
                    c.starts_with("08")
                        || c.starts_with("57P")
                        || (c == "55000" && db.message().contains("accepting connections"))
                })
        }
        _ => false,
    }
}

/// The disk holding the database is full (SQLite's SQLITE_FULL, PostgreSQL's 53100): no
/// write can be kept until space is freed, and the transaction was rolled back whole.
fn is_disk_full(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.code().is_some_and(|c| c == "13" || c == "53100"),
        _ => false,
    }
}

/// Seconds a client is asked to wait when the database is unavailable.
pub const RETRY_AFTER_SECS: u32 = 5;

/// Says once (at most every 30 s for each of the two faults) that the database cannot be
/// reached or that its disk is full, rather than once per request while it lasts.
fn database_down(e: &sqlx::Error) {
    use std::sync::atomic::{AtomicI64, Ordering};
    static UNREACHABLE: AtomicI64 = AtomicI64::new(0);
    static DISK_FULL: AtomicI64 = AtomicI64::new(0);
    let disk_full = is_disk_full(e);
    let said = if disk_full { &DISK_FULL } else { &UNREACHABLE };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let last = said.load(Ordering::Relaxed);
    if now - last < 30 || said.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_err() {
        return;
    }
    if disk_full {
        tracing::error!(error = %e, "the database's disk is full; changes answer 503 until space is freed");
    } else {
        tracing::error!(error = %e, "the database cannot be reached; requests answer 503 until it is back");
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e).context("rendering a template"))
    }
}

pub type AppResult<T> = Result<T, AppError>;
