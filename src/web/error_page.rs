//! How an `AppError` becomes a friendly page. The person sees a safe message; the log gets
//! the cause chain once, here at the boundary.
//!
//! `error_response` has no request, so it only marks the response with what to say
//! (`ErrorParts`); the `render_errors` middleware, which has the request, renders the page
//! with the organization's name and logo.

use actix_web::Error;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpResponse, ResponseError};
use askama::Template;

use crate::error::AppError;
use crate::web::page::{PageCtx, render_with_status};

/// What an error page says, carried on the response until `render_errors` renders it.
#[derive(Clone)]
struct ErrorParts {
    title: &'static str,
    message: String,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::SignInRequired { .. }
            | AppError::MfaRequired { .. }
            | AppError::TermsRequired { .. }
            | AppError::RecentSecondStepRequired { .. } => StatusCode::SEE_OTHER,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) if self.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message): (&'static str, String) = match self {
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
            AppError::SignInRequired { next } => return see_other_with_next("/signin", next),
            AppError::MfaRequired { next } => return see_other_with_next("/mfa", next),
            AppError::TermsRequired { next } => return see_other_with_next("/terms", next),
            AppError::RecentSecondStepRequired { next } => return see_other_with_next("/mfa?again=1&", next),
            AppError::TooManyRequests(why) => ("Please wait a moment", why.clone()),
            AppError::Unavailable => unavailable(),
            AppError::Internal(_) if self.is_unavailable() => unavailable(),
            AppError::Internal(err) => {
                tracing::error!(error = %format!("{err:#}"), "internal error");
                ("Something went wrong on our side", "The problem was logged. Try again in a moment.".into())
            }
        };
        let mut res = HttpResponse::build(self.status_code());
        if self.is_unavailable() {
            res.insert_header((actix_web::http::header::RETRY_AFTER, crate::error::RETRY_AFTER_SECS.to_string()));
        }
        let mut res = res.content_type("text/html; charset=utf-8").finish();
        res.extensions_mut().insert(ErrorParts { title, message });
        res
    }
}

fn unavailable() -> (&'static str, String) {
    (
        "The portal is briefly unavailable",
        "It cannot reach its database just now. Nothing you sent was saved; try again in a few seconds.".into(),
    )
}

/// A redirect to `page` that brings the person back to `next` afterwards.
fn see_other_with_next(page: &str, next: &str) -> HttpResponse {
    let sep = if page.ends_with('&') { "" } else { "?" };
    let target =
        format!("{page}{sep}next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
    HttpResponse::SeeOther().insert_header((LOCATION, target)).finish()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: PageCtx,
    title: String,
    message: String,
}

/// An error the framework answered itself under `/api/` (a body over the size limit, say)
/// comes as plain text: the API still answers it as a problem.
fn api_problem_for_framework_error(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let is_problem = res
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(b"application/problem+json"));
    if !res.request().path().starts_with("/api/")
        || is_problem
        || !(status.is_client_error() || status.is_server_error())
    {
        return res;
    }
    let title = status.canonical_reason().unwrap_or("Error");
    let detail = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "The body is larger than this endpoint accepts.".to_string()
    } else {
        format!("The request was refused ({}).", status.as_u16())
    };
    let (req, original) = res.into_parts();
    let mut problem = crate::web::api::Problem::new(status, title, detail).error_response();
    // What the framework said besides, such as a 405's `Allow`, stays.
    keep_headers(&original, &mut problem);
    ServiceResponse::new(req, problem)
}

/// Copies the headers of the response being replaced that the new one does not set.
fn keep_headers(from: &HttpResponse, into: &mut HttpResponse) {
    for (name, value) in from.headers() {
        if !into.headers().contains_key(name) {
            into.headers_mut().insert(name.clone(), value.clone());
        }
    }
}

/// Renders the page of an error response, with the branding the request's portal has.
pub async fn render_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let Some(parts) = res.response().extensions().get::<ErrorParts>().cloned() else {
        return Ok(api_problem_for_framework_error(res));
    };
    let (req, res) = res.into_parts();
    // The API answers every error as a problem (RFC 9457), never with a page.
    if req.path().starts_with("/api/") {
        let problem = crate::web::api::Problem::new(res.status(), parts.title, parts.message);
        let mut answer = problem.error_response();
        keep_headers(&res, &mut answer);
        return Ok(ServiceResponse::new(req, answer));
    }
    let ctx = match PageCtx::extract(&req).await {
        Ok(ctx) => ctx,
        // The database may be what failed: say it without the brand rather than not at all.
        Err(_) => PageCtx::bare(),
    };
    let page = ErrorPage { ctx, title: parts.title.into(), message: parts.message };
    let mut rendered = render_with_status(res.status(), &page);
    keep_headers(&res, &mut rendered);
    Ok(ServiceResponse::new(req, rendered))
}
