//! The token, revocation and userinfo endpoints: called by apps, not browsers, so they
//! answer JSON (RFC 6749 §5, RFC 7009, OIDC Core §5.3) and take no CSRF token.

use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{json_response, oauth_error};
use crate::db::apps::App;
use crate::provider::token::{self as tokens, BasicAuth, TokenForm};
use crate::provider::{OAuthError, ProviderError, userinfo as info};
use crate::state::AppState;

/// The largest token or revocation request read.
const MAX_BODY: usize = 16 * 1024;

fn failure(e: ProviderError, basic_used: bool) -> HttpResponse {
    match e {
        ProviderError::OAuth(e) if e.code == "invalid_client" => {
            let mut r = oauth_error(StatusCode::UNAUTHORIZED, &e);
            if basic_used {
                r.headers_mut().insert(
                    actix_web::http::header::WWW_AUTHENTICATE,
                    actix_web::http::header::HeaderValue::from_static("Basic realm=\"vestibule\""),
                );
            }
            r
        }
        ProviderError::OAuth(e) => oauth_error(StatusCode::BAD_REQUEST, &e),
        ProviderError::Internal(e) => {
            tracing::error!(error = %format!("{e:#}"), "token endpoint failed");
            let e = OAuthError::new("server_error", "the portal could not answer; try again");
            oauth_error(StatusCode::INTERNAL_SERVER_ERROR, &e)
        }
    }
}

/// The form of a token or revocation request: form-encoded, each parameter once (RFC 6749
/// §3.2), and the client's Basic credentials if it sent them.
fn read(req: &HttpRequest, body: &[u8]) -> Result<(TokenForm, Option<BasicAuth>), ProviderError> {
    let bad = |d: &str| ProviderError::oauth("invalid_request", d);
    let form_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
    });
    if !form_type {
        return Err(bad("send the parameters as application/x-www-form-urlencoded"));
    }
    if body.len() > MAX_BODY {
        return Err(bad("the request is too large"));
    }
    let form: TokenForm =
        serde_urlencoded::from_bytes(body).map_err(|_| bad("the parameters are malformed or repeated"))?;
    let basic = match req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(h) => {
            Some(parse_basic(h).ok_or_else(|| ProviderError::oauth("invalid_client", "malformed Basic credentials"))?)
        }
    };
    Ok((form, basic))
}

/// `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1).
fn parse_basic(header: &str) -> Option<BasicAuth> {
    let (scheme, value) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(value.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| -> String {
        url::form_urlencoded::parse(format!("v={s}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
    };
    Some(BasicAuth { client_id: unescape(id), client_secret: unescape(secret) })
}

/// Reads the form and authenticates the client: what the token and revocation endpoints
/// do first. A failure comes back as the response to send.
async fn client_request(req: &HttpRequest, state: &AppState, body: &[u8]) -> Result<(App, TokenForm), HttpResponse> {
    let (form, basic) = read(req, body).map_err(|e| failure(e, false))?;
    let basic_used = basic.is_some();
    match tokens::authenticate(state, &form, basic).await {
        Ok(app) => Ok((app, form)),
        Err(e) => Err(failure(e, basic_used)),
    }
}

pub async fn token(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let (app, form) = match client_request(&req, &state, &body).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    match tokens::grant(&state, &app, &form).await {
        Ok(t) => json_response(StatusCode::OK, &serde_json::to_value(t).unwrap_or_default()),
        Err(e) => failure(e, false),
    }
}

pub async fn revoke(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let (app, form) = match client_request(&req, &state, &body).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    match tokens::revoke(&state, &app, &form).await {
        Ok(()) => HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).finish(),
        Err(e) => failure(e, false),
    }
}

/// GET or POST with `Authorization: Bearer` (RFC 6750 §2.1).
pub async fn userinfo(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let bearer = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.split_once(' ').filter(|(s, _)| s.eq_ignore_ascii_case("bearer")).map(|(_, t)| t.trim()));
    match info::userinfo(&state, bearer).await {
        Ok(claims) => json_response(StatusCode::OK, &claims),
        Err(ProviderError::OAuth(e)) => {
            let mut r = oauth_error(StatusCode::UNAUTHORIZED, &e);
            let challenge = format!("Bearer error=\"{}\", error_description=\"{}\"", e.code, e.description);
            if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&challenge) {
                r.headers_mut().insert(actix_web::http::header::WWW_AUTHENTICATE, v);
            }
            r
        }
        Err(ProviderError::Internal(e)) => failure(ProviderError::Internal(e), false),
    }
}
