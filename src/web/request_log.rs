//! One tracing span per request with a request id, and one log line per response. Paths
//! that carry secrets (redemption and sign-in links) are logged with the token cut out.

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
    let path = redact(req.path());
    let span = tracing::info_span!("request", request_id = %request_id, method = %req.method(), path = %path);
    let started = std::time::Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    let _entered = span.enter();
    tracing::info!(status = res.status().as_u16(), ms = started.elapsed().as_millis() as u64, "handled");
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(HeaderName::from_static("x-request-id"), v);
    }
    Ok(res)
}

/// `/redeem/SECRET/code` → `/redeem/…/code`.
pub fn redact(path: &str) -> String {
    let mut out = Vec::new();
    let mut hide_next = false;
    for seg in path.split('/') {
        if hide_next && !seg.is_empty() {
            out.push("…");
            hide_next = false;
            continue;
        }
        hide_next = matches!(seg, "redeem" | "link");
        out.push(seg);
    }
    out.join("/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_cut_from_logged_paths() {
        assert_eq!(super::redact("/redeem/abc123/code"), "/redeem/…/code");
        assert_eq!(super::redact("/signin/link/abc"), "/signin/link/…");
        assert_eq!(super::redact("/admin/users"), "/admin/users");
    }
}
