//! `Idempotency-Key` on POST: the first answer to a key and body is kept (encrypted: it
//! may hold a redemption link) and replayed for 24 hours; the same key with another body
//! is a 422; a retry while the first is still running is a 409.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use chrono::Duration;
use sha2::{Digest, Sha256};

use super::{ApiCaller, ApiResult, Problem, json};
use crate::db::api_keys;
use crate::state::AppState;

/// How long an answer is replayed.
pub const KEPT: Duration = Duration::hours(24);
/// A claim older than this with no answer was left by a request that died: it is dropped.
const ABANDONED: Duration = Duration::minutes(2);
const PURPOSE: &str = "api-idempotency";
const HEADER: &str = "Idempotency-Key";

/// Runs `call` once per idempotency key (when the request has one) and answers with what
/// it returned, or with the kept answer of the first request.
pub async fn once<F, Fut>(
    req: &HttpRequest,
    state: &AppState,
    caller: &ApiCaller,
    body: &[u8],
    call: F,
) -> ApiResult<HttpResponse>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ApiResult<(StatusCode, serde_json::Value)>>,
{
    let Some(header) = req.headers().get(HEADER) else {
        return answer(call().await);
    };
    let key = header
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .ok_or_else(|| Problem::bad_request("Idempotency-Key must be 1 to 255 visible ASCII characters."))?
        .to_string();
    let hash = {
        let mut h = Sha256::new();
        h.update(req.method().as_str().as_bytes());
        h.update(b" ");
        h.update(req.path().as_bytes());
        h.update(b"\n");
        h.update(body);
        hex::encode(h.finalize())
    };
    let key_id = caller.0.key.id;
    let now = state.clock.now();
    let mut c = state.db.acquire().await?;
    if !api_keys::claim_idempotency(c.conn(), key_id, &key, &hash, now).await? {
        match api_keys::remembered(c.conn(), key_id, &key, now - KEPT).await? {
            Some(first) if first.request_hash != hash => {
                return Err(Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Idempotency key reused",
                    "This Idempotency-Key was used with another request. Use a new key for a new request.",
                ));
            }
            Some(first) if first.status != 0 => {
                let body = state.key.decrypt(PURPOSE, &first.response)?;
                let status = StatusCode::from_u16(first.status as u16).unwrap_or(StatusCode::OK);
                let mut r = HttpResponse::build(status);
                r.insert_header(("Idempotent-Replayed", "true"));
                let ct = if status.is_success() { "application/json" } else { "application/problem+json" };
                return Ok(r.content_type(ct).body(body));
            }
            // A claim still unanswered after `ABANDONED` belongs to a request that died.
            Some(first) if first.created_at > now - ABANDONED => {
                return Err(Problem::new(
                    StatusCode::CONFLICT,
                    "Request in progress",
                    "A request with this Idempotency-Key is still being answered. Retry in a moment.",
                ));
            }
            // Too old to count, or abandoned: this request takes the key over.
            _ => {
                api_keys::forget(c.conn(), key_id, &key).await?;
                if !api_keys::claim_idempotency(c.conn(), key_id, &key, &hash, now).await? {
                    return Err(Problem::new(StatusCode::CONFLICT, "Request in progress", "Retry in a moment."));
                }
            }
        }
    }
    drop(c);
    let outcome = call().await;
    let mut c = state.db.acquire().await?;
    match &outcome {
        Err(p) if p.status.is_server_error() || p.status == StatusCode::TOO_MANY_REQUESTS => {
            api_keys::forget(c.conn(), key_id, &key).await?;
        }
        Ok((status, body)) => {
            let sealed = state.key.encrypt(PURPOSE, &body.to_string());
            api_keys::remember(c.conn(), key_id, &key, i64::from(status.as_u16()), &sealed).await?;
        }
        Err(p) => {
            let sealed = state.key.encrypt(PURPOSE, &p.body().to_string());
            api_keys::remember(c.conn(), key_id, &key, i64::from(p.status.as_u16()), &sealed).await?;
        }
    }
    answer(outcome)
}

fn answer(outcome: ApiResult<(StatusCode, serde_json::Value)>) -> ApiResult<HttpResponse> {
    outcome.map(|(status, body)| json(status, &body))
}
