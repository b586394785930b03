//! `AppState`: what every handler, flow and job can reach (settings, database, clock, keys,
//! mailer, caches). It imports neither `web` nor `flows`: it is below both.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

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
    pub portal: Arc<SettingsCache>,
}

impl AppState {
    /// Connects and migrates the database, loads the instance key, sets up mail.
    pub async fn connect(settings: Settings, clock: Clock) -> anyhow::Result<AppState> {
        let key = InstanceKey::load(settings.secret_key.as_deref(), &settings.data_dir)?;
        let db = Db::connect(&settings.database_url).await?;
        db.migrate().await?;
        let mailer = Mailer::from_config(&settings.mail, &settings.mail_from)?;
        Ok(AppState {
            settings: Arc::new(settings),
            db,
            clock,
            key,
            mailer: Arc::new(mailer),
            http: crate::federation::http_client()?,
            portal: Arc::default(),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.settings.public_url, path)
    }
}

/// How long one instance trusts its copy of the settings; another instance's save shows
/// within this.
const FRESH_FOR: Duration = Duration::from_secs(5);

/// One instance's short-lived copy of the portal settings (every page needs the brand).
#[derive(Default)]
pub struct SettingsCache(RwLock<Option<(Instant, Arc<PortalSettings>)>>);

impl SettingsCache {
    pub fn fresh(&self) -> Option<Arc<PortalSettings>> {
        let guard = self.0.read().ok()?;
        guard.as_ref().filter(|(at, _)| at.elapsed() < FRESH_FOR).map(|(_, s)| s.clone())
    }

    pub fn store(&self, s: Arc<PortalSettings>) {
        if let Ok(mut guard) = self.0.write() {
            *guard = Some((Instant::now(), s));
        }
    }
}
