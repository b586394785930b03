//! `/healthz`: the process is up. `/readyz`: and its database takes a write.

use actix_web::{HttpResponse, web};

use crate::state::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    // Within a second: a load balancer should take the instance out promptly. A write, not
    // a read: after a full disk, reads worked while every write failed.
    let check = state.db.check_writable(state.clock.now());
    match tokio::time::timeout(std::time::Duration::from_secs(1), check).await {
        Ok(Ok(())) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        outcome => {
            let why = match outcome {
                Ok(Err(e)) => e.to_string(),
                _ => "no answer within a second".into(),
            };
            tracing::warn!(error = %why, "database not ready");
            HttpResponse::ServiceUnavailable()
                .insert_header((actix_web::http::header::RETRY_AFTER, crate::error::RETRY_AFTER_SECS.to_string()))
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}

/// `/metrics` in Prometheus text format, for a scraper holding `metrics_token`. Without the
/// setting the page does not exist (404); a wrong or missing token is a 401.
pub async fn metrics(req: actix_web::HttpRequest, state: web::Data<AppState>) -> crate::error::AppResult<HttpResponse> {
    use secrecy::ExposeSecret;
    let Some(token) = &state.settings.metrics_token else {
        return Err(crate::error::AppError::NotFound);
    };
    let presented = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !crate::secrets::constant_time_eq(presented, token.expose_secret()) {
        return Ok(HttpResponse::Unauthorized()
            .insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\""))
            .content_type("text/plain")
            .body("A bearer token is needed."));
    }
    let body = crate::flows::metrics::scrape(&state).await?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(body))
}
