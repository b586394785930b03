//! The portal settings in effect: read through a short cache (every page needs the brand),
//! saved by admins with an audit event.

use std::sync::Arc;

use crate::db::audit::{self, Event};
use crate::db::identity_providers;
use crate::db::settings as rows;
use crate::domain::FieldErrors;
use crate::domain::audit::{Action, Actor};
use crate::domain::idp::preset_issuer;
use crate::domain::settings::PortalSettings;
use crate::domain::url::origin_of;
use crate::error::AppResult;
use crate::mail::Branding;
use crate::state::{AppState, CspSources};

pub async fn current(state: &AppState) -> AppResult<Arc<PortalSettings>> {
    state.portal_settings().await
}

/// Saves every setting; the audit event names the ones that changed. Requiring the
/// workforce IdP for members is refused while there is no enabled one. The uploaded logo
/// is not the form's: it stays as it is.
pub async fn save(state: &AppState, new: PortalSettings, actor: &Actor) -> AppResult<Result<(), FieldErrors>> {
    let old = current(state).await?;
    let new = PortalSettings { logo_image: old.logo_image, ..new };
    let changed: Vec<&str> =
        new.to_pairs().iter().zip(old.to_pairs()).filter(|(n, o)| n.1 != o.1).map(|(n, _)| n.0).collect();
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if new.members_require_workforce && identity_providers::enabled_workforce(tx.conn()).await?.is_none() {
        let mut e = FieldErrors::default();
        e.add("members_require_workforce", "Add and enable a workforce identity provider first.");
        return Ok(Err(e));
    }
    for (key, value) in new.to_pairs() {
        rows::put(tx.conn(), key, &value, now).await?;
    }
    let ev = Event::new(Action::SettingsUpdated, "settings", "portal", &new.org_name).details(changed.join(", "));
    audit::record(tx.conn(), actor, &ev, now).await?;
    tx.commit().await?;
    state.portal.replace(Arc::new(new));
    state.csp_sources.forget();
    Ok(Ok(()))
}

/// The brand for mail, as the settings page has it now.
pub async fn branding(state: &AppState) -> AppResult<Branding> {
    let s = current(state).await?;
    // From the cached copy: this runs inside transactions, which must not wait for a
    // second connection.
    let work_accounts = csp_sources(state).await?.any_idp_enabled;
    Ok(Branding {
        org_name: s.org_name.clone(),
        logo_url: match s.logo_image {
            Some(id) => state.links().image(id),
            None => s.logo_url.clone(),
        },
        accent: s.accent.clone(),
        public_url: state.settings.public_url.clone(),
        work_accounts,
    })
}

/// The origins the CSP admits beyond the portal's own: the logo's and the apps' icons'
/// (`img-src`), and the enabled identity providers' (`form-action`: the federation start
/// POST redirects there, and browsers check redirects too). Cached like the settings.
pub async fn csp_sources(state: &AppState) -> AppResult<Arc<CspSources>> {
    state.cached(|s| &s.csp_sources, |state: AppState| async move { load_csp_sources(&state).await }).await
}

async fn load_csp_sources(state: &AppState) -> AppResult<CspSources> {
    let portal = current(state).await?;
    let (idps, apps, saml_sso) = {
        let mut c = state.db.acquire().await?;
        let sso = crate::db::saml_idps::enabled_sso_urls(c.conn()).await?;
        (identity_providers::all(c.conn()).await?, crate::db::apps::all(c.conn()).await?, sso)
    };
    let mut images: Vec<String> = std::iter::once(portal.logo_url.as_str())
        .chain(apps.iter().filter_map(|a| a.icon_url.as_deref()))
        .filter_map(origin_of)
        .collect();
    let mut forms: Vec<String> = idps
        .iter()
        .filter(|idp| idp.enabled && idp.kind != "saml")
        .filter_map(|idp| origin_of(if idp.issuer.is_empty() { preset_issuer(&idp.kind)? } else { &idp.issuer }))
        .collect();
    // A SAML IdP's entityID need not be an address: its SingleSignOnService is where we go.
    forms.extend(saml_sso.iter().filter_map(|u| origin_of(u)));
    // A form on the portal (sign-in, consent, sign-out) may end in a redirect to an app:
    // browsers hold such redirects to `form-action` too.
    forms.extend(
        apps.iter()
            .filter(|a| a.client_id.is_some())
            .flat_map(|a| a.redirect_uri_list().into_iter().chain(a.post_logout_uri_list()))
            .filter_map(|u| origin_of(&u)),
    );
    for list in [&mut images, &mut forms] {
        list.sort();
        list.dedup();
    }
    Ok(CspSources { images, forms, any_idp_enabled: idps.iter().any(|i| i.enabled) })
}

/// How mail is signed off: the From a partner sees (`Name <address>`, the name being
/// `org_name` unless the operator chose one in `mail_from`), and whether the address is a
/// placeholder their mail filters will distrust.
pub fn mail_sender(state: &AppState, org_name: &str) -> (String, bool) {
    crate::mail::transport::described(&state.settings.mail_from, org_name)
}
