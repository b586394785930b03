//! Who is signed in: sessions checked against the database on every request.

pub mod ending;
pub mod session;

pub use session::{AdminUser, CurrentUser};

/// The client's address: the peer's, or — when the peer is one of `trusted_proxies` — the
/// one its `X-Forwarded-For` names (`domain::forwarded`). Rate limits and the audit use it.
pub fn client_ip(req: &actix_web::HttpRequest) -> String {
    let trusted = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .map(|s| s.settings.trusted_proxies.as_slice())
        .unwrap_or_default();
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    crate::domain::forwarded::client_address(req.peer_addr().map(|a| a.ip()), forwarded, trusted)
}
