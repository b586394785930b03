//! Builds the server: shared state, middleware and the route table.

use std::net::TcpListener;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};

use crate::clock::Clock;
use crate::config::Settings;
pub use crate::state::AppState;

/// The state of a running portal: `AppState` connected, and the identity providers and apps
/// of the configuration file created or updated.
pub async fn open(settings: Settings, clock: Clock) -> anyhow::Result<AppState> {
    let state = AppState::connect(settings, clock).await?;
    crate::flows::idps::sync_from_config(&state, &state.settings.identity_providers).await?;
    crate::flows::apps::sync_from_config(&state, &state.settings.apps).await?;
    Ok(state)
}

/// Starts serving on `listener`; the future runs until shutdown.
pub fn serve(state: AppState, listener: TcpListener) -> anyhow::Result<Server> {
    crate::telemetry::install();
    let https = state.settings.is_https();
    let key = Key::from(&state.key.cookie_key_material());
    let cookie_name = if https { "__Host-vestibule" } else { "vestibule" }.to_string();
    let workers = state.settings.http_workers;
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
            .cookie_name(cookie_name.clone())
            .cookie_secure(https)
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .cookie_path("/".into())
            .cookie_content_security(CookieContentSecurity::Private)
            .session_lifecycle(BrowserSession::default())
            .build();
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(256 * 1024))
            .app_data(web::FormConfig::default().limit(256 * 1024))
            .app_data(web::PathConfig::default().error_handler(|_, _| crate::error::AppError::NotFound.into()))
            .app_data(web::QueryConfig::default().error_handler(|e, _| {
                crate::error::AppError::BadRequest(format!("The address has a malformed query: {e}")).into()
            }))
            .wrap(actix_web::middleware::from_fn(crate::web::routes::head_as_get))
            .wrap(actix_web::middleware::from_fn(crate::web::input_guard::refuse_bad_bytes))
            .wrap(actix_web::middleware::from_fn(crate::web::error_page::render_errors))
            // A device cookie for a browser whose session the handler found complete.
            .wrap(actix_web::middleware::from_fn(crate::web::device::remember_device))
            .wrap(sessions)
            .wrap(actix_web::middleware::from_fn(crate::web::headers::security_headers))
            .wrap(actix_web::middleware::from_fn(crate::web::request_log::trace_request))
            .configure(crate::web::routes::table)
    })
    .workers(if workers == 0 { std::thread::available_parallelism().map_or(2, |n| n.get()) } else { workers })
    // `main` handles SIGTERM itself (a graceful stop that lets the workers finish).
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}
