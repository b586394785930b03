//! `AppState`: what every handler, flow and job can reach (settings, database, clock, keys,
//! mailer, caches). It imports neither `web` nor `flows`: it is below both (and of the
//! provider only the key ring's type, whose module takes no `AppState`).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::settings::PortalSettings;
use crate::mail::transport::Mailer;
use crate::secrets::InstanceKey;

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
    pub portal: Arc<Cached<PortalSettings>>,
    /// The origins the CSP admits, read through `flows::settings::csp_sources`.
    pub csp_sources: Arc<Cached<CspSources>>,
    /// The OpenID Provider's signing keys, read through `provider::key_ring`.
    pub signing_keys: Arc<Cached<crate::provider::keys::KeyRing>>,
    /// The apps that are OIDC clients, read through `provider::client`.
    pub clients: Arc<Cached<Vec<crate::db::apps::App>>>,
}

impl AppState {
    /// Connects and migrates the database, loads the instance key, sets up mail.
    pub async fn connect(settings: Settings, clock: Clock) -> anyhow::Result<AppState> {
        let key = InstanceKey::load(settings.secret_key.as_ref().map(|k| k.expose_secret()), &settings.data_dir)?;
        let db = Db::connect(&settings.database_url).await?;
        db.migrate().await?;
        let mailer = Mailer::from_config(settings.mail.expose_secret(), &settings.mail_from)?;
        Ok(AppState {
            settings: Arc::new(settings),
            db,
            clock,
            key,
            mailer: Arc::new(mailer),
            http: crate::federation::http_client()?,
            portal: Arc::default(),
            csp_sources: Arc::default(),
            signing_keys: Arc::default(),
            clients: Arc::default(),
        })
    }

    /// The portal's addresses that mail carries.
    pub fn links(&self) -> crate::mail::links::Links<'_> {
        crate::mail::links::Links::new(&self.settings.public_url)
    }
}

/// Origins beyond the portal's own that pages may use: images (the logo, app icons) and
/// form targets (the enabled identity providers, where the federation start redirects).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CspSources {
    pub images: Vec<String>,
    pub forms: Vec<String>,
}

/// How long one instance trusts its copy; another instance's change shows within this.
const FRESH_FOR: Duration = Duration::from_secs(5);

/// One instance's short-lived copy of something every page needs (the brand, the IdPs'
/// origins for the CSP), so that a page does not query it each time.
pub struct Cached<T>(RwLock<Option<(Instant, Arc<T>)>>);

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Cached(RwLock::new(None))
    }
}

impl<T> Cached<T> {
    pub fn fresh(&self) -> Option<Arc<T>> {
        let guard = self.0.read().ok()?;
        guard.as_ref().filter(|(at, _)| at.elapsed() < FRESH_FOR).map(|(_, s)| s.clone())
    }

    pub fn store(&self, s: Arc<T>) {
        if let Ok(mut guard) = self.0.write() {
            *guard = Some((Instant::now(), s));
        }
    }

    /// Forgets the copy: this instance changed the data and reads it anew.
    pub fn forget(&self) {
        if let Ok(mut guard) = self.0.write() {
            *guard = None;
        }
    }
}
