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
    /// Changing second factors (or resetting another person's) needs a second step passed
    /// within the last ten minutes: pass it again, then come back to `next`.
    #[error("recent second step required")]
    RecentSecondStepRequired { next: String },
    #[error("too many requests: {0}")]
    TooManyRequests(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e).context("database"))
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e).context("rendering a template"))
    }
}

pub type AppResult<T> = Result<T, AppError>;
