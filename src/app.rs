//! Builds the server: shared state, middleware and the route table.

use std::net::TcpListener;
use std::sync::Arc;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpServer, web};

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;
use crate::mail::Branding;
use crate::mail::transport::Mailer;
use crate::secrets::InstanceKey;

/// What every handler and job can reach.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub clock: Clock,
    pub key: InstanceKey,
    pub mailer: Arc<Mailer>,
    /// For talking to identity providers.
    pub http: reqwest::Client,
    /// The settings page's values, read through `flows::settings::current`.
    pub portal: Arc<crate::flows::settings::SettingsCache>,
}

impl AppState {
    /// Connects and migrates the database, loads the instance key, sets up mail.
    pub async fn open(settings: Settings, clock: Clock) -> anyhow::Result<AppState> {
        let key = InstanceKey::load(settings.secret_key.as_deref(), &settings.data_dir)?;
        let db = Db::connect(&settings.database_url).await?;
        db.migrate().await?;
        let mailer = Mailer::from_config(&settings.mail, &settings.mail_from)?;
        crate::web::page::set_org_name(&settings.org_name);
        let state = AppState {
            settings: Arc::new(settings),
            db,
            clock,
            key,
            mailer: Arc::new(mailer),
            http: crate::federation::http_client()?,
            portal: Arc::default(),
        };
        crate::web::page::set_org_name(&crate::flows::settings::current(&state).await?.org_name);
        crate::flows::idps::sync_from_config(&state, &state.settings.identity_providers).await?;
        Ok(state)
    }

    /// The brand for mail, as the settings page has it now.
    pub async fn branding(&self) -> crate::error::AppResult<Branding> {
        let s = crate::flows::settings::current(self).await?;
        Ok(Branding {
            org_name: s.org_name.clone(),
            logo_url: s.logo_url.clone(),
            accent: s.accent.clone(),
            public_url: self.settings.public_url.clone(),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.settings.public_url, path)
    }
}

/// Starts serving on `listener`; the future runs until shutdown.
pub fn serve(state: AppState, listener: TcpListener) -> anyhow::Result<Server> {
    let https = state.settings.is_https();
    let key = Key::from(&state.key.cookie_key_material());
    let cookie_name = if https { "__Host-vestibule" } else { "vestibule" }.to_string();
    let workers = state.settings.http_workers;
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        let mut headers = DefaultHeaders::new()
            .add((
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; \
                 object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
            ))
            .add(("Referrer-Policy", "no-referrer"))
            .add(("X-Content-Type-Options", "nosniff"))
            .add(("X-Frame-Options", "DENY"))
            .add(("Cross-Origin-Opener-Policy", "same-origin"))
            // Pages carry tokens and personal data: no caching (static files set their own).
            .add(("Cache-Control", "no-store"));
        if https {
            headers = headers.add(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"));
        }
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
            .wrap(sessions)
            .wrap(headers)
            .wrap(actix_web::middleware::from_fn(crate::web::request_log::trace_request))
            .configure(crate::web::routes)
    })
    .workers(if workers == 0 { std::thread::available_parallelism().map_or(2, |n| n.get()) } else { workers })
    .listen(listener)?
    .run();
    Ok(server)
}
