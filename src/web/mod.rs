//! HTTP only: one module per area, the extractors they share, and the route table.

pub mod admin;
pub mod api;
pub mod audience;
pub mod csrf;
pub mod csv_download;
pub mod dates;
pub mod decision;
pub mod device;
pub mod error_page;
pub mod headers;
pub mod health;
pub mod images;
pub mod input_guard;
pub mod language;
pub mod mfa;
pub mod oauth2;
pub mod page;
pub mod panel;
pub mod public;
pub mod request_log;
pub mod review_page;
pub mod routes;
pub mod static_files;

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse};

use crate::domain::audit::Actor;

/// 303 See Other: where a browser goes after a POST.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((LOCATION, location)).finish()
}

/// The client's address: the peer's, or behind a configured proxy the one it forwards
/// (`auth::client_ip`). Anyone else's forwarded headers are not believed.
pub fn client_ip(req: &HttpRequest) -> String {
    crate::auth::client_ip(req)
}

pub fn actor(req: &HttpRequest, user: &crate::db::users::User) -> Actor {
    Actor::user(user.id, &user.email, &client_ip(req))
}

/// The ids ticked in a checkbox list, each once, in a stable order.
pub fn chosen(ids: &[uuid::Uuid]) -> Vec<uuid::Uuid> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    ids
}

/// The access package chosen in a form's select (empty: none), or `Err` for a value the
/// form never offered.
pub fn chosen_package(raw: &str) -> Result<Option<uuid::Uuid>, &'static str> {
    match raw.trim() {
        "" => Ok(None),
        id => uuid::Uuid::parse_str(id).map(Some).map_err(|_| "Choose a package from the list."),
    }
}

/// Keeps what was typed, cut to a sane length, to show it again with the errors.
pub fn kept(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}
