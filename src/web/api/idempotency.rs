//! `Idempotency-Key` on POST: the first answer to a key and body is kept (encrypted: it
//! may hold a redemption link) and replayed for 24 hours; the same key with another body
//! is a 422.
//!
//! The key is claimed, and the answer kept, in the same transaction as the change the
//! request makes: either both are in the database or neither is. A retry after a crash
//! therefore replays the answer (the change happened) or runs the request afresh (it did
//! not) — never the change twice. A retry while the first request is still running waits
//! for its transaction (the claim's row is locked until then) and then replays its answer.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use chrono::Duration;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{ApiCaller, ApiResult, Problem, json};
use crate::db::{Tx, api_keys};
use crate::state::AppState;

/// How long an answer is replayed.
pub const KEPT: Duration = Duration::hours(24);
const PURPOSE: &str = "api-idempotency";
const HEADER: &str = "Idempotency-Key";

/// What a request answers: a status and a JSON body.
pub type Answer = ApiResult<(StatusCode, Value)>;

/// The key a request came with, and what identifies its request (method, path, body).
struct Key {
    api_key: Uuid,
    key: String,
    hash: String,
}

/// Runs a POST once per idempotency key (when the request has one). `prepare` reads and
/// checks the request without writing; `change` makes the change in the transaction it is
/// given and hands it back with the answer, which is committed with it when it is a success.
/// A refusal (4xx) rolls the change back and is kept on its own; a failure on our side
/// (5xx, 429) is not kept, so that a retry runs again.
pub async fn once<T, P, PF, C, CF>(
    req: &HttpRequest,
    state: &AppState,
    caller: &ApiCaller,
    body: &[u8],
    prepare: P,
    change: C,
) -> ApiResult<HttpResponse>
where
    P: FnOnce() -> PF,
    PF: Future<Output = ApiResult<T>>,
    C: FnOnce(Tx, T) -> CF,
    CF: Future<Output = (Tx, Answer)>,
{
    let key = match req.headers().get(HEADER) {
        None => None,
        Some(header) => Some(Key::of(req, caller, header.to_str().ok(), body)?),
    };
    if let Some(key) = &key
        && let Some(kept) = key.kept(state, req.path()).await?
    {
        return kept;
    }
    let prepared = match prepare().await {
        Ok(prepared) => prepared,
        Err(p) => return refused(state, req.path(), key.as_ref(), p).await,
    };
    let mut tx = state.db.begin().await?;
    if let Some(key) = &key
        && !api_keys::claim_idempotency(tx.conn(), key.api_key, &key.key, &key.hash, state.clock.now()).await?
    {
        // Another request with this key committed while this one prepared (or while its
        // claim waited on that request's lock): answer as it did.
        drop(tx);
        return match key.kept(state, req.path()).await? {
            Some(kept) => kept,
            None => Err(Problem::new(StatusCode::CONFLICT, "Request in progress", "Retry in a moment.")),
        };
    }
    let (mut tx, answer) = change(tx, prepared).await;
    match answer {
        Ok((status, body)) => {
            if let Some(key) = &key {
                let sealed = state.key.encrypt(PURPOSE, &body.to_string());
                api_keys::remember(tx.conn(), key.api_key, &key.key, i64::from(status.as_u16()), &sealed).await?;
            }
            tx.commit().await?;
            let mut answer = json(status, &body);
            locate(req.path(), status, &body, &mut answer);
            Ok(answer)
        }
        Err(p) => {
            drop(tx);
            refused(state, req.path(), key.as_ref(), p).await
        }
    }
}

impl Key {
    fn of(req: &HttpRequest, caller: &ApiCaller, header: Option<&str>, body: &[u8]) -> ApiResult<Key> {
        let key = header
            .filter(|k| !k.is_empty() && k.len() <= 255)
            .ok_or_else(|| Problem::bad_request("Idempotency-Key must be 1 to 255 visible ASCII characters."))?;
        let mut h = Sha256::new();
        h.update(req.method().as_str().as_bytes());
        h.update(b" ");
        h.update(req.path().as_bytes());
        h.update(b"\n");
        // The same JSON sent again, re-serialised with other spacing or key order, is the
        // same request; a body that is not JSON is compared as it came.
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(v) => h.update(canonical(&v).as_bytes()),
            Err(_) => h.update(body),
        }
        Ok(Key { api_key: caller.0.key.id, key: key.to_string(), hash: hex::encode(h.finalize()) })
    }

    /// The kept answer to this key, replayed; a 422 if the key came with another request.
    /// A claim too old to count (or left unanswered by an earlier version) is dropped.
    async fn kept(&self, state: &AppState, path: &str) -> ApiResult<Option<ApiResult<HttpResponse>>> {
        let mut c = state.db.acquire().await?;
        let Some(first) = api_keys::remembered(c.conn(), self.api_key, &self.key).await? else { return Ok(None) };
        if first.created_at <= state.clock.now() - KEPT || first.status == 0 {
            api_keys::forget(c.conn(), self.api_key, &self.key, first.created_at).await?;
            return Ok(None);
        }
        if first.request_hash != self.hash {
            return Ok(Some(Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Idempotency key reused",
                "This Idempotency-Key was used with another request. Use a new key for a new request.",
            ))));
        }
        let body = state.key.decrypt(PURPOSE, &first.response)?;
        let status = StatusCode::from_u16(first.status as u16).unwrap_or(StatusCode::OK);
        let ct = if status.is_success() { "application/json" } else { "application/problem+json" };
        let located = serde_json::from_str::<Value>(&body).unwrap_or(Value::Null);
        let mut replay =
            HttpResponse::build(status).insert_header(("Idempotent-Replayed", "true")).content_type(ct).body(body);
        locate(path, status, &located, &mut replay);
        Ok(Some(Ok(replay)))
    }
}

/// A request that changed nothing: a refusal (4xx) is kept for the key, as a success would
/// be; a failure on our side or a rate limit is not, so that a retry runs again. When the
/// key was taken meanwhile, its answer is the answer.
async fn refused(state: &AppState, path: &str, key: Option<&Key>, p: Problem) -> ApiResult<HttpResponse> {
    let Some(key) = key.filter(|_| p.status.is_client_error() && p.status != StatusCode::TOO_MANY_REQUESTS) else {
        return Err(p);
    };
    let sealed = state.key.encrypt(PURPOSE, &p.body().to_string());
    let status = i64::from(p.status.as_u16());
    let kept = {
        let mut c = state.db.acquire().await?;
        api_keys::keep_refusal(c.conn(), key.api_key, &key.key, &key.hash, status, &sealed, state.clock.now()).await?
    };
    if !kept && let Some(first) = key.kept(state, path).await? {
        return first;
    }
    Err(p)
}

/// A 201 (made) or 202 (work accepted, as a bulk list is) says where to find or follow
/// it: `Location` is the request's path (a collection) and the answer's `id`.
fn locate(path: &str, status: StatusCode, body: &Value, answer: &mut HttpResponse) {
    let made = status == StatusCode::CREATED || status == StatusCode::ACCEPTED;
    let Some(id) = body.get("id").and_then(Value::as_str).filter(|_| made) else { return };
    if let Ok(at) = actix_web::http::header::HeaderValue::from_str(&format!("{}/{id}", path.trim_end_matches('/'))) {
        answer.headers_mut().insert(actix_web::http::header::LOCATION, at);
    }
}

/// JSON written one way whatever its spacing and key order: objects' keys sorted.
fn canonical(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> =
                keys.into_iter().map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&map[k]))).collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(canonical).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn the_same_json_reads_the_same_whatever_its_order_and_spacing() {
        let a: serde_json::Value = serde_json::from_str(r#"{"b": [1, {"y": 2, "x": 1}], "a": "z"}"#).unwrap();
        let b: serde_json::Value = serde_json::from_str(r#"{"a":"z","b":[1,{"x":1,"y":2}]}"#).unwrap();
        assert_eq!(canonical(&a), canonical(&b));
        let c: serde_json::Value = serde_json::from_str(r#"{"a":"z","b":[{"x":1,"y":2},1]}"#).unwrap();
        assert_ne!(canonical(&a), canonical(&c), "array order counts");
    }
}
