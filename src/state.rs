//! `AppState`: what every handler, flow and job can reach (settings, database, clock, keys,
//! mailer, caches). It imports neither `web` nor `flows`: it is below both (and of the
//! provider only the key ring's type, whose module takes no `AppState`).

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;
use crate::domain::settings::PortalSettings;
use crate::error::AppResult;
use crate::mail::transport::Mailer;
use crate::secrets::InstanceKey;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub clock: Clock,
    pub key: InstanceKey,
    pub mailer: Arc<Mailer>,
    /// For every request the server makes (identity providers, apps' back-channel logout):
    /// only to the addresses `allow_private_network_targets` allows.
    pub http: crate::federation::outbound::OutboundHttp,
    /// The identity providers' discovery documents and keys (`federation::oidc`).
    pub idp_metadata: Arc<crate::federation::oidc::MetadataCache>,
    /// The settings page's values, read through `flows::settings::current`.
    pub portal: Arc<Cached<PortalSettings>>,
    /// The origins the CSP admits, read through `flows::settings::csp_sources`.
    pub csp_sources: Arc<Cached<CspSources>>,
    /// The OpenID Provider's signing keys, read through `provider::key_ring`.
    pub signing_keys: Arc<Cached<crate::provider::keys::KeyRing>>,
    /// The apps that are OIDC clients, read through `provider::client`.
    pub clients: Arc<Cached<Vec<crate::db::apps::App>>>,
    /// Calls each API key may make (in this instance's memory).
    pub api_limits: Arc<ApiLimits>,
    /// Woken when a bulk invitation job starts, so the worker begins at once.
    pub bulk_wake: Arc<tokio::sync::Notify>,
    /// Set when the process is asked to stop: workers finish what they hold, then end.
    pub shutdown: Arc<Shutdown>,
}

/// The process is stopping (SIGTERM): workers finish the message or row in hand and take
/// no new one.
#[derive(Default)]
pub struct Shutdown {
    begun: AtomicBool,
    notify: tokio::sync::Notify,
}

impl Shutdown {
    pub fn begin(&self) {
        self.begun.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    pub fn begun(&self) -> bool {
        self.begun.load(Ordering::Acquire)
    }

    /// Returns once `begin` was called.
    pub async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            // Registered before the check, so a `begin` between the two is not missed.
            notified.as_mut().enable();
            if self.begun() {
                return;
            }
            notified.await;
        }
    }
}

/// Per API key: `api_calls_per_minute` (settings), in bursts of up to a third of it.
pub type ApiLimits = governor::DefaultKeyedRateLimiter<uuid::Uuid>;

/// The burst an API key may make at once, for `per_minute` calls a minute.
pub fn api_burst(per_minute: u32) -> u32 {
    (per_minute / 3).max(1)
}

fn api_limits(per_minute: u32) -> ApiLimits {
    use std::num::NonZeroU32;
    let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(api_burst(per_minute)).unwrap_or(NonZeroU32::MIN);
    governor::RateLimiter::keyed(governor::Quota::per_minute(rate).allow_burst(burst))
}

impl AppState {
    /// Connects and migrates the database, loads the instance key, sets up mail.
    pub async fn connect(settings: Settings, clock: Clock) -> anyhow::Result<AppState> {
        let key = InstanceKey::load(settings.secret_key.as_ref().map(|k| k.expose_secret()), &settings.data_dir)?;
        let db = Db::connect(&settings.database_url).await?;
        db.migrate().await?;
        let mailer = Mailer::from_config(settings.mail.expose_secret(), &settings.mail_from)?;
        let api_limits = Arc::new(api_limits(settings.api_calls_per_minute));
        let http = crate::federation::outbound::OutboundHttp::from_settings(&settings)?;
        Ok(AppState {
            settings: Arc::new(settings),
            db,
            clock,
            key,
            mailer: Arc::new(mailer),
            http,
            idp_metadata: Arc::default(),
            portal: Arc::default(),
            csp_sources: Arc::default(),
            signing_keys: Arc::default(),
            clients: Arc::default(),
            api_limits,
            bulk_wake: Arc::default(),
            shutdown: Arc::default(),
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
    /// Read with the same rows: whether guests can sign in with their own account (mail says so).
    pub any_idp_enabled: bool,
}

/// How long one instance trusts its copy; another instance's change shows within this.
const FRESH_FOR: Duration = Duration::from_secs(5);

/// One instance's short-lived copy of something many requests need (the brand, the CSP's
/// origins, the signing keys, the OIDC clients), so that a request does not query it each
/// time. Read it through `AppState::cached`.
pub struct Cached<T> {
    slot: RwLock<Option<(Instant, Arc<T>)>>,
    /// Set while one caller reloads a stale copy, so the others keep using it meanwhile.
    reloading: AtomicBool,
    /// Counts this instance's own changes (`replace`, `forget`). A load that began before
    /// one read the data as it was, and must not be stored over the change: a reload that
    /// was under way while an admin saved the settings put the old ones back for 5 s, and
    /// a guest signed in without the second step just turned on (the browser suite caught it).
    changes: AtomicU64,
}

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Cached { slot: RwLock::new(None), reloading: AtomicBool::new(false), changes: AtomicU64::new(0) }
    }
}

impl<T> Cached<T> {
    /// The copy, however old, and whether the caller should reload it (it is stale and
    /// nobody else is reloading it).
    fn read(&self) -> Option<(Arc<T>, bool)> {
        let guard = self.slot.read().ok()?;
        let (at, value) = guard.as_ref()?;
        let reload = at.elapsed() >= FRESH_FOR && !self.reloading.swap(true, Ordering::AcqRel);
        Some((value.clone(), reload))
    }

    /// Which of this instance's changes a load about to begin will see.
    fn seen(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// Keeps a copy loaded after change `seen`, unless another change came since.
    fn store_loaded(&self, seen: u64, s: Arc<T>) {
        if let Ok(mut guard) = self.slot.write()
            && self.changes.load(Ordering::Acquire) == seen
        {
            *guard = Some((Instant::now(), s));
        }
        self.reloading.store(false, Ordering::Release);
    }

    /// This instance changed the data: the new copy.
    pub fn replace(&self, s: Arc<T>) {
        if let Ok(mut guard) = self.slot.write() {
            self.changes.fetch_add(1, Ordering::AcqRel);
            *guard = Some((Instant::now(), s));
        }
    }

    /// Forgets the copy: this instance changed the data and reads it anew.
    pub fn forget(&self) {
        if let Ok(mut guard) = self.slot.write() {
            self.changes.fetch_add(1, Ordering::AcqRel);
            *guard = None;
        }
    }
}

impl AppState {
    /// The settings page's values (cached; `flows::settings::save` forgets them). Here, not
    /// in `flows`, so that the session check below the flows can read the MFA policy.
    pub async fn portal_settings(&self) -> crate::error::AppResult<Arc<PortalSettings>> {
        self.cached(
            |s| &s.portal,
            |state: AppState| async move {
                let mut c = state.db.acquire().await?;
                let pairs = crate::db::settings::all(c.conn()).await?;
                Ok(PortalSettings::from_pairs(state.settings.portal_defaults(), &pairs))
            },
        )
        .await
    }

    /// Reads through one of the caches. A fresh copy is returned as is; a stale one too,
    /// while one caller reloads it in the background; only an empty cache waits for the
    /// database. So a caller holding a transaction never waits here for a second pool
    /// connection once the cache is warm — under load, that wait could exhaust the pool
    /// while the transaction blocks everyone (it did, on SQLite: a 10-second stall).
    pub async fn cached<T, L, Fut>(&self, pick: fn(&AppState) -> &Cached<T>, load: L) -> AppResult<Arc<T>>
    where
        T: Send + Sync + 'static,
        L: FnOnce(AppState) -> Fut + Send + 'static,
        Fut: Future<Output = AppResult<T>> + Send + 'static,
    {
        match pick(self).read() {
            Some((value, false)) => Ok(value),
            Some((value, true)) => {
                let state = self.clone();
                let seen = pick(self).seen();
                tokio::spawn(async move {
                    match load(state.clone()).await {
                        Ok(fresh) => pick(&state).store_loaded(seen, Arc::new(fresh)),
                        Err(e) => {
                            tracing::warn!(error = %e, "reloading a cached copy failed; the old one stays");
                            pick(&state).reloading.store(false, Ordering::Release);
                        }
                    }
                });
                Ok(value)
            }
            None => {
                let seen = pick(self).seen();
                let fresh = Arc::new(load(self.clone()).await?);
                pick(self).store_loaded(seen, fresh.clone());
                Ok(fresh)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_loaded_before_a_change_is_not_kept_over_it() {
        let cache = Cached::<&str>::default();
        let seen = cache.seen();
        cache.replace(Arc::new("saved"));
        cache.store_loaded(seen, Arc::new("read before the save"));
        assert_eq!(*cache.read().unwrap().0, "saved");

        let seen = cache.seen();
        cache.forget();
        cache.store_loaded(seen, Arc::new("read before the change"));
        assert!(cache.read().is_none(), "forgotten, to be read anew");

        let seen = cache.seen();
        cache.store_loaded(seen, Arc::new("read after"));
        assert_eq!(*cache.read().unwrap().0, "read after");
    }
}
