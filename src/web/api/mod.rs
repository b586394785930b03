//! `/api/v1` (F10): JSON for integrations, authenticated by API keys (`Authorization:
//! Bearer vst_…`), each key rate-limited and scoped. Handlers call the same flows as the
//! pages. Every error is RFC 9457 `application/problem+json`, never an HTML page.

pub mod apps;
pub mod audit;
pub mod bulk;
pub mod directory;
pub mod group_changes;
pub mod groups;
pub mod idempotency;
pub mod invitations;
pub mod openapi;
mod openapi_rules;
pub mod problem_doc;
pub mod requests;
pub mod reviews;
pub mod users;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use serde_json::json;

use crate::domain::FieldErrors;
use crate::error::AppError;
use crate::flows::api_keys::{self, Caller};
use crate::state::AppState;

/// An RFC 9457 problem: what went wrong, for a program and for the developer reading it.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
    /// For validation errors: each field (as the API names it) and why.
    pub errors: Vec<(String, String)>,
    retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Problem {
        Problem { status, title, detail: detail.into(), errors: Vec::new(), retry_after: None }
    }

    pub fn not_found() -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "Not found", "There is no such resource.")
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "Malformed request", detail)
    }

    /// One field the call cannot take as sent (400), named by its JSON path.
    pub fn bad_field(field: &str, why: impl Into<String>) -> Problem {
        let why = why.into();
        let mut p = Problem::bad_request(format!("{field}: {why}"));
        p.errors.push((field.to_string(), why));
        p
    }

    /// One field refused, and why (422).
    /// A 404 for something the body names that is not there (Graph's answer to a member
    /// reference to nobody), naming the field.
    pub fn unknown_reference(field: &str, why: impl Into<String>) -> Problem {
        let why = why.into();
        let mut p = Problem::new(StatusCode::NOT_FOUND, "Not found", why.clone());
        p.errors.push((field.to_string(), why));
        p
    }

    pub fn invalid_field(field: &str, why: impl Into<String>) -> Problem {
        let why = why.into();
        let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid fields", why.clone());
        p.errors.push((field.to_string(), why));
        p
    }

    /// Validation errors, the flows' field names turned into the API's by `rename`.
    pub fn invalid(errors: &FieldErrors, rename: fn(&str) -> &str) -> Problem {
        let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid fields", "Some fields were not accepted.");
        p.errors = errors.iter().map(|(f, why)| (rename(f).to_string(), why.to_string())).collect();
        // One field: its reason is the whole story (and what Graph's `error.message` says).
        if let [(_, why)] = p.errors.as_slice() {
            p.detail = why.clone();
        }
        p
    }

    pub fn body(&self) -> serde_json::Value {
        // RFC 9457's members, and Graph's `error` (code and message) beside them for code
        // written against Microsoft Graph.
        let mut body = json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
            "error": { "code": graph_code(self.status), "message": self.detail },
        });
        if !self.errors.is_empty() {
            body["errors"] =
                self.errors.iter().map(|(field, detail)| json!({ "field": field, "detail": detail })).collect();
        }
        body
    }
}

/// Graph's error code for a status.
fn graph_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BadRequest",
        401 => "InvalidAuthenticationToken",
        403 => "Authorization_RequestDenied",
        404 => "Request_ResourceNotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        413 => "RequestEntityTooLarge",
        415 => "UnsupportedMediaType",
        422 => "UnprocessableEntity",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        _ if status.is_server_error() => "InternalServerError",
        _ => "BadRequest",
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.title, self.detail)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut r = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            r.insert_header((WWW_AUTHENTICATE, "Bearer realm=\"vestibule\""));
        }
        // Every 429 says when to come back (a minute, unless the refusal knows better).
        let retry_after = self.retry_after.or((self.status == StatusCode::TOO_MANY_REQUESTS).then_some(60));
        if let Some(secs) = retry_after {
            r.insert_header((RETRY_AFTER, secs.to_string()));
        }
        r.content_type("application/problem+json").body(self.body().to_string())
    }
}

/// Errors from the flows: a missing row is a 404; anything else was logged and is a 500
/// that says no more.
impl From<AppError> for Problem {
    fn from(e: AppError) -> Problem {
        match e {
            AppError::NotFound => Problem::not_found(),
            AppError::Forbidden => Problem::new(StatusCode::FORBIDDEN, "Forbidden", "This key may not do that."),
            AppError::BadRequest(why) => Problem::bad_request(why),
            AppError::TooManyRequests(why) => Problem::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests", why),
            e if e.is_unavailable() => {
                let mut p = Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service unavailable",
                    "The database cannot be reached just now; nothing was changed. Try again.",
                );
                p.retry_after = Some(crate::error::RETRY_AFTER_SECS.into());
                p
            }
            other => {
                tracing::error!(error = %format!("{other:#}"), "internal error in the API");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "The problem was logged. Try again.")
            }
        }
    }
}

impl From<anyhow::Error> for Problem {
    fn from(e: anyhow::Error) -> Problem {
        AppError::Internal(e).into()
    }
}

impl From<sqlx::Error> for Problem {
    fn from(e: sqlx::Error) -> Problem {
        AppError::from(e).into()
    }
}

pub type ApiResult<T> = Result<T, Problem>;

/// The key behind this call, checked and within its rate.
pub struct ApiCaller(pub Caller);

impl ApiCaller {
    /// Refuses the call unless the key has `scope`.
    pub fn require(&self, scope: &str) -> ApiResult<()> {
        if self.0.key.has_scope(scope) {
            Ok(())
        } else {
            Err(Problem::new(StatusCode::FORBIDDEN, "Missing scope", format!("This API key lacks the scope {scope}.")))
        }
    }

    pub fn actor(&self, req: &HttpRequest) -> crate::domain::audit::Actor {
        self.0.actor(&crate::web::client_ip(req))
    }
}

impl FromRequest for ApiCaller {
    type Error = Problem;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = ApiResult<ApiCaller>>>>;

    /// The key the route's audience check (`web::audience`) already authenticated, so a
    /// call is checked and counted against its rate once.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            // No key checked here means the route declared no API audience: refuse rather
            // than authenticate without a scope (fail closed).
            let checked = req.extensions_mut().remove::<ApiCaller>();
            checked.ok_or_else(|| {
                tracing::error!(
                    path = req.match_pattern().unwrap_or_default(),
                    "an API handler without an API audience"
                );
                Problem::new(StatusCode::FORBIDDEN, "Forbidden", "This address takes no API key.")
            })
        })
    }
}

/// The key presented with the call, checked and within its rate.
pub async fn authenticate(req: &HttpRequest) -> ApiResult<ApiCaller> {
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| AppError::Internal(anyhow::anyhow!("state")))?;
    let unauthorized = |detail: &str| Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail);
    let presented = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| unauthorized("Send an API key: Authorization: Bearer vst_…"))?;
    let caller = match api_keys::authenticate(state, presented).await? {
        Ok(caller) => caller,
        Err(why) => {
            tracing::info!(reason = ?why, "API key refused");
            return Err(unauthorized("This API key is not valid: unknown, revoked or expired."));
        }
    };
    if let Err(not_until) = state.api_limits.check_key(&caller.key.id) {
        use governor::clock::{Clock, DefaultClock};
        let wait = not_until.wait_time_from(DefaultClock::default().now()).as_secs() + 1;
        let mut p = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            format!("This key made too many calls. Try again in {wait} seconds."),
        );
        p.retry_after = Some(wait);
        return Err(p);
    }
    Ok(ApiCaller(caller))
}

/// Reads a JSON body; what serde says is wrong becomes a 400 problem.
pub fn json_body<T: serde::de::DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> ApiResult<T> {
    let json =
        req.headers().get(actix_web::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
            let ct = ct.to_ascii_lowercase();
            ct.starts_with("application/json") || ct.contains("+json")
        });
    if !json {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            "Send the body as application/json.",
        ));
    }
    let value = serde_json::from_slice::<serde_json::Value>(body)
        .map_err(|e| Problem::bad_request(format!("The body is not JSON: {e}")))?;
    // serde would read a struct from an array of its fields too: the bodies are objects.
    if !value.is_object() {
        return Err(Problem::bad_request("The body is not what this call takes: a JSON object."));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        let why = e.into_inner().to_string();
        let mut p = Problem::bad_request(format!("The body is not what this call takes: {field}: {why}"));
        p.errors.push((field, why));
        p
    })
}

/// For a field holding an object (`#[serde(default, deserialize_with = "...")]`): an
/// object or null, never an array (which serde would read as the struct's fields in order).
/// The object is read through the same map, so an error inside it keeps its whole path.
pub fn object_or_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct ObjectOrNull<T>(std::marker::PhantomData<T>);
    impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for ObjectOrNull<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object or null")
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }
    d.deserialize_any(ObjectOrNull(std::marker::PhantomData))
}

/// For a list field: a list, or null read as an empty one.
pub fn list_or_null<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<Vec<T>> as serde::Deserialize>::deserialize(d).map(Option::unwrap_or_default)
}

/// `$top`: a page size from 1 to `max`, `default` when absent.
pub fn page_size(top: Option<&str>, default: i64, max: i64) -> ApiResult<i64> {
    match top {
        None => Ok(default),
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| Problem::bad_request(format!("$top must be a number from 1 to {max}."))),
    }
}

/// The id in a path; anything that is not one names nothing here: 404.
pub fn id_of(path: &str) -> ApiResult<uuid::Uuid> {
    uuid::Uuid::parse_str(path).map_err(|_| Problem::not_found())
}

/// A value as JSON.
pub fn to_json(v: &impl serde::Serialize) -> ApiResult<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| anyhow::anyhow!("serializing: {e}").into())
}

/// A 200 answer with `v` as JSON.
pub fn ok_json(v: &impl serde::Serialize) -> ApiResult<HttpResponse> {
    Ok(json(StatusCode::OK, &to_json(v)?))
}

/// The `@odata.nextLink` of a list: `path` on this portal with the filters that were given
/// and the next page's `$top` and `$skiptoken`.
pub fn next_link(state: &AppState, path: &str, filters: &[(&str, Option<&str>)], top: i64, skiptoken: &str) -> String {
    let mut url = format!("{}{path}?", state.settings.public_url);
    let mut pairs = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in filters {
        if let Some(v) = v {
            pairs.append_pair(k, v);
        }
    }
    pairs.append_pair("$top", &top.to_string()).append_pair("$skiptoken", skiptoken);
    url.push_str(&pairs.finish());
    url
}

/// A JSON answer.
pub fn json(status: StatusCode, body: &serde_json::Value) -> HttpResponse {
    HttpResponse::build(status).content_type("application/json").body(body.to_string())
}

/// Anything under `/api/v1` that is not a route.
pub async fn no_route() -> HttpResponse {
    Problem::not_found().error_response()
}
