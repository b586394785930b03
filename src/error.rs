//! The error type of the web layer and how each error becomes a friendly page. The person
//! sees a safe message; the log gets the cause chain once, here at the boundary.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpResponse, ResponseError};

use crate::web::page::{ErrorPage, render_with_status};

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

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message): (&str, String) = match self {
            AppError::NotFound => (
                "Page not found",
                "There is nothing at this address. Check the link, or start again from the home page.".into(),
            ),
            AppError::Forbidden => (
                "Not allowed",
                "Your account cannot open this page. If you think it should, ask an administrator.".into(),
            ),
            AppError::BadRequest(why) => ("Something is wrong with that request", why.clone()),
            AppError::Csrf => (
                "This form has expired",
                "For your safety the form could not be accepted. Go back, reload the page and try again.".into(),
            ),
            AppError::SignInRequired { next } => {
                let target = format!(
                    "/signin?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                return HttpResponse::SeeOther().insert_header((LOCATION, target)).finish();
            }
            AppError::TooManyRequests(why) => ("Please wait a moment", why.clone()),
            AppError::Internal(err) => {
                tracing::error!(error = %format!("{err:#}"), "internal error");
                ("Something went wrong on our side", "The problem was logged. Try again in a moment.".into())
            }
        };
        render_with_status(self.status_code(), &ErrorPage::new(title, &message))
    }
}

pub type AppResult<T> = Result<T, AppError>;
