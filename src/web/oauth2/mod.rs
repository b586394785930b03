//! The HTTP of the portal's OpenID Provider (`provider/` holds the protocol): discovery
//! and keys here; authorize (with its refusal and consent pages), token, userinfo and
//! logout in a file each.

pub mod authorize;
pub mod logout;
pub mod token;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::error::AppResult;
use crate::provider::{self, OAuthError, discovery};
use crate::state::AppState;

/// JSON for apps: never cached (RFC 6749 §5.1), readable from any origin (CORS) since
/// browser-based apps call discovery, keys, token and userinfo.
fn json_response(status: StatusCode, body: &serde_json::Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .json(body)
}

/// The parameters of a request that may come as a query (GET) or a form (POST): the
/// authorization and end-session endpoints take both (OIDC Core §3.1.2.1, RP-Initiated
/// Logout §2).
fn query_or_form(req: &actix_web::HttpRequest, body: &[u8]) -> String {
    if req.method() == actix_web::http::Method::POST {
        String::from_utf8_lossy(body).into_owned()
    } else {
        req.query_string().to_string()
    }
}

/// An OAuth error as JSON (RFC 6749 §5.2).
fn oauth_error(status: StatusCode, e: &OAuthError) -> HttpResponse {
    json_response(status, &json!({ "error": e.code, "error_description": e.description }))
}

pub async fn discovery_document(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let metadata = discovery::metadata(&state)?;
    let body = serde_json::to_value(&metadata).map_err(|e| anyhow::anyhow!("discovery: {e}"))?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .json(body))
}

pub async fn jwks(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let ring = provider::key_ring(&state).await?;
    // Short caching: a relying party sees a rotation's new key within minutes (and the
    // next key is published long before it signs anything).
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .content_type("application/jwk-set+json")
        .body(ring.jwks().to_string()))
}
