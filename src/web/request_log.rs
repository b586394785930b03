//! One tracing span per request with a request id, one log line per response, and the
//! request counted for `/metrics` by its route pattern. The path
//! is logged by its route: every `{token}` segment stays a pattern (redemption, approval,
//! sign-up status and sign-in links carry secrets), other parameters are filled in, and a
//! path that matched no route is not logged at all (it may be a mistyped link).

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

pub async fn trace_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        path = tracing::field::Empty
    );
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let mut res = next.call(req).instrument(span.clone()).await?;
    let pattern = res.request().match_pattern();
    crate::telemetry::http_request(
        method.as_str(),
        pattern.as_deref().unwrap_or("(no route)"),
        res.status().as_u16(),
        started.elapsed(),
    );
    let path = logged_path(pattern.as_deref(), res.request().match_info().iter());
    span.record("path", path.as_str());
    let _entered = span.enter();
    tracing::info!(status = res.status().as_u16(), ms = started.elapsed().as_millis() as u64, "handled");
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(HeaderName::from_static("x-request-id"), v);
    }
    Ok(res)
}

/// The route parameters that are secrets: they are logged as their pattern.
const SECRET_PARAMS: &[&str] = &["token"];
/// The longest parameter value logged.
const PARAM_MAX: usize = 64;

/// `/redeem/{token}/code` stays as it is; `/admin/users/{id}` becomes `/admin/users/4f…`.
fn logged_path<'a>(pattern: Option<&str>, params: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let Some(pattern) = pattern else {
        return "(no route)".into();
    };
    let mut path = pattern.to_string();
    for (name, value) in params {
        if !SECRET_PARAMS.contains(&name) {
            // Ids and slugs are short; an attacker's 8,000-character slug is not logged whole.
            let value: String = value.chars().take(PARAM_MAX).collect();
            path = path.replace(&format!("{{{name}}}"), &value);
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::logged_path;

    #[test]
    fn secret_segments_are_logged_as_their_pattern() {
        let params = [("token", "s3cret")];
        assert_eq!(logged_path(Some("/approve/{token}"), params.into_iter()), "/approve/{token}");
        let params = [("id", "42")];
        assert_eq!(logged_path(Some("/admin/users/{id}"), params.into_iter()), "/admin/users/42");
        assert_eq!(logged_path(None, std::iter::empty()), "(no route)");
        let long = "x".repeat(8000);
        let logged = logged_path(Some("/auth/{slug}/start"), [("slug", long.as_str())].into_iter());
        assert_eq!(logged.len(), "/auth//start".len() + 64);
    }
}
