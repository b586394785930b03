//! A SAML IdP's metadata: read from where the admin said (a URL fetched server-side, or
//! pasted), applied to its stored row, read again on its schedule by the worker, and its
//! certificates' end dates for the admin's page.

use chrono::{DateTime, Duration, Utc};

use crate::db::audit::{self, Event};
use crate::db::identity_providers;
use crate::db::saml_idps::{self, SamlIdp};
use crate::domain::audit::{Action, Actor};
use crate::error::AppResult;
use crate::federation::saml::keys::certificate_not_after;
use crate::federation::saml::metadata::{self, IdpMetadata};
use crate::state::AppState;

/// Metadata by URL is read again at least this often, and at most this often.
pub const REFRESH_AT_MOST: Duration = Duration::days(1);
const REFRESH_AT_LEAST: Duration = Duration::hours(1);
/// After a failed refresh the last good metadata stays in use; try again after this.
const RETRY_AFTER: Duration = Duration::hours(1);
/// Certificates that end within this long are pointed out to admins.
pub const EXPIRY_WARNING: Duration = Duration::days(30);

/// Where the partner's metadata comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataSource {
    Url(String),
    Xml(String),
}

/// Metadata read and understood: the document and what it says.
pub struct ReadMetadata {
    pub xml: String,
    pub meta: IdpMetadata,
}

impl ReadMetadata {
    /// `row` with what this metadata says, read `now`; `by_url`: read again on schedule.
    pub fn applied_to(&self, row: SamlIdp, by_url: bool, now: DateTime<Utc>) -> SamlIdp {
        SamlIdp {
            metadata_xml: self.xml.clone(),
            sso_url: self.meta.sso_url.clone(),
            sso_binding: self.meta.sso_binding.as_str().to_string(),
            signing_certs: certs_text(&self.meta),
            metadata_read_at: now,
            metadata_refresh_at: by_url.then(|| refresh_at(&self.meta, now)),
            metadata_problem: String::new(),
            ..row
        }
    }
}

/// Reads the metadata from where the admin said (a URL is fetched now, server-side).
pub async fn read_metadata(state: &AppState, source: &MetadataSource) -> Result<ReadMetadata, String> {
    let xml = match source {
        MetadataSource::Xml(xml) => xml.clone(),
        MetadataSource::Url(url) => metadata::fetch(&state.http, url)
            .await
            .map_err(|e| format!("The metadata could not be read from {url}: {e}"))?,
    };
    let meta = metadata::read_idp(&xml, state.clock.now()).map_err(|e| format!("The metadata cannot be used: {e}."))?;
    let allow_http = state.settings.allow_http_identity_providers;
    let sso_ok =
        url::Url::parse(&meta.sso_url).is_ok_and(|u| u.scheme() == "https" || (allow_http && u.scheme() == "http"));
    if !sso_ok {
        return Err(format!("The metadata's SingleSignOnService ({}) is not an https:// address.", meta.sso_url));
    }
    if meta.entity_id.len() > 1000 {
        return Err("The metadata's entityID is too long.".into());
    }
    Ok(ReadMetadata { xml, meta })
}

/// When metadata read now is read again: its `cacheDuration`, before its `validUntil`,
/// between an hour and a day from now.
pub fn refresh_at(meta: &IdpMetadata, now: DateTime<Utc>) -> DateTime<Utc> {
    let mut next = now + meta.cache_duration.unwrap_or(REFRESH_AT_MOST).min(REFRESH_AT_MOST);
    if let Some(until) = meta.valid_until {
        next = next.min(until - Duration::hours(1));
    }
    next.max(now + REFRESH_AT_LEAST)
}

fn certs_text(meta: &IdpMetadata) -> String {
    use base64::Engine;
    meta.signing_certs
        .iter()
        .map(|c| base64::engine::general_purpose::STANDARD.encode(c))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Worker: reads again the metadata URLs that are due. A failure keeps the last good
/// metadata, is shown to admins and audited, and is tried again in an hour.
pub async fn refresh_due(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now();
    let due = {
        let mut c = state.db.acquire().await?;
        saml_idps::due_for_refresh(c.conn(), now).await?
    };
    let mut refreshed = 0;
    for old in due {
        let source = MetadataSource::Url(old.metadata_url.clone());
        let idp = {
            let mut c = state.db.acquire().await?;
            identity_providers::find(c.conn(), old.idp_id).await?
        };
        let Some(idp) = idp else { continue };
        // Read before the transaction: no connection is held across a request to the partner.
        let outcome = read_metadata(state, &source).await;
        let mut tx = state.db.begin().await?;
        match outcome {
            Ok(read) if read.meta.entity_id == idp.issuer => {
                let new = read.applied_to(old.clone(), true, now);
                saml_idps::save(tx.conn(), &new).await?;
                if new.signing_certs != old.signing_certs || new.sso_url != old.sso_url {
                    let ev =
                        Event::new(Action::IdentityProviderMetadataChanged, "identity_provider", idp.id, &idp.slug)
                            .details("signing certificates or sign-on address changed at the partner");
                    audit::record(tx.conn(), &Actor::system("worker"), &ev, now).await?;
                }
                refreshed += 1;
            }
            outcome => {
                let problem = match outcome {
                    Ok(read) => {
                        format!("The metadata now names another entityID ({}); it was not taken.", read.meta.entity_id)
                    }
                    Err(e) => e,
                };
                saml_idps::note_problem(tx.conn(), idp.id, &problem, now + RETRY_AFTER).await?;
                let ev = Event::new(Action::IdentityProviderMetadataFailed, "identity_provider", idp.id, &idp.slug)
                    .details(problem.chars().take(500).collect::<String>());
                audit::record(tx.conn(), &Actor::system("worker"), &ev, now).await?;
            }
        }
        tx.commit().await?;
    }
    if refreshed > 0 {
        state.csp_sources.forget();
    }
    Ok(refreshed)
}

/// A signing certificate as the admin page shows it.
pub struct CertificateView {
    pub not_after: Option<DateTime<Utc>>,
    pub expires_soon: bool,
}

pub fn certificates(saml: &SamlIdp, now: DateTime<Utc>) -> Vec<CertificateView> {
    saml.signing_certs
        .lines()
        .map(|c| {
            let not_after = certificate_not_after(c);
            CertificateView { not_after, expires_soon: not_after.is_some_and(|t| t - now < EXPIRY_WARNING) }
        })
        .collect()
}
