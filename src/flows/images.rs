//! Images admins upload: an app's icon and the organization's logo. Each upload is a new
//! row, so its address is new and browsers may keep it for good; the image it replaces is
//! deleted in the same transaction as the change and its audit event.

use std::sync::Arc;

use uuid::Uuid;

use crate::db::apps::{self, App};
use crate::db::audit::{self, Event};
use crate::db::images::{self, StoredImage};
use crate::db::settings as rows;
use crate::domain::audit::{Action, Actor};
use crate::domain::image::Image;
use crate::domain::settings::PortalSettings;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The settings key that names the uploaded logo's row.
const LOGO_KEY: &str = "logo_image";

/// What the audit log says of an image.
fn described(id: Uuid, image: &Image) -> String {
    format!("image={id} {} {}×{} {} bytes", image.kind, image.width, image.height, image.bytes.len())
}

/// An uploaded image, to serve.
pub async fn find(state: &AppState, id: Uuid) -> AppResult<Option<StoredImage>> {
    let mut c = state.db.acquire().await?;
    Ok(images::find(c.conn(), id).await?)
}

/// The app's icon is now `image` (an app the config file manages is changed there).
pub async fn set_app_icon(state: &AppState, app_id: Uuid, image: &Image, actor: &Actor) -> AppResult<App> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let app = editable_app(&mut tx, app_id).await?;
    let id = images::insert(tx.conn(), image, now).await?;
    if let Some(old) = apps::set_icon(tx.conn(), app_id, Some(id)).await? {
        images::delete(tx.conn(), old).await?;
    }
    let ev = Event::new(Action::AppIconUploaded, "app", app_id, &app.name).details(described(id, image));
    audit::record(tx.conn(), actor, &ev, now).await?;
    tx.commit().await?;
    Ok(app)
}

/// The app's tile shows its icon URL or its initial again. False when it had no upload.
pub async fn remove_app_icon(state: &AppState, app_id: Uuid, actor: &Actor) -> AppResult<bool> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let app = editable_app(&mut tx, app_id).await?;
    let Some(old) = apps::set_icon(tx.conn(), app_id, None).await? else {
        return Ok(false);
    };
    images::delete(tx.conn(), old).await?;
    let ev = Event::new(Action::AppIconRemoved, "app", app_id, &app.name).details(format!("image={old}"));
    audit::record(tx.conn(), actor, &ev, now).await?;
    tx.commit().await?;
    Ok(true)
}

async fn editable_app(tx: &mut crate::db::Tx, app_id: Uuid) -> AppResult<App> {
    let app = apps::find(tx.conn(), app_id).await?.ok_or(AppError::NotFound)?;
    if app.managed_by_config {
        return Err(AppError::BadRequest(super::apps::MANAGED.into()));
    }
    Ok(app)
}

/// The organization's logo is now `image`, in pages and mail.
pub async fn set_logo(state: &AppState, image: &Image, actor: &Actor) -> AppResult<()> {
    let org = state.portal_settings().await?.org_name.clone();
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let old = stored_logo(&mut tx).await?;
    let id = images::insert(tx.conn(), image, now).await?;
    rows::put(tx.conn(), LOGO_KEY, &id.to_string(), now).await?;
    if let Some(old) = old {
        images::delete(tx.conn(), old).await?;
    }
    let ev = Event::new(Action::SettingsLogoUploaded, "settings", "portal", &org).details(described(id, image));
    audit::record(tx.conn(), actor, &ev, now).await?;
    tx.commit().await?;
    changed_logo(state, Some(id)).await
}

/// Pages and mail show the logo URL or the initial again. False when there was no upload.
pub async fn remove_logo(state: &AppState, actor: &Actor) -> AppResult<bool> {
    let org = state.portal_settings().await?.org_name.clone();
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(old) = stored_logo(&mut tx).await? else {
        return Ok(false);
    };
    rows::put(tx.conn(), LOGO_KEY, "", now).await?;
    images::delete(tx.conn(), old).await?;
    let ev = Event::new(Action::SettingsLogoRemoved, "settings", "portal", &org).details(format!("image={old}"));
    audit::record(tx.conn(), actor, &ev, now).await?;
    tx.commit().await?;
    changed_logo(state, None).await?;
    Ok(true)
}

/// The logo's row as the database has it now (not the cached settings: another instance
/// may have changed it within the cache's few seconds), its setting locked first so that
/// two uploads at once each see the logo the other replaced.
async fn stored_logo(tx: &mut crate::db::Tx) -> AppResult<Option<Uuid>> {
    rows::lock(tx.conn(), LOGO_KEY).await?;
    let pairs = rows::all(tx.conn()).await?;
    Ok(pairs.iter().find(|(k, _)| k == LOGO_KEY).and_then(|(_, v)| Uuid::parse_str(v).ok()))
}

/// This instance's copy of the settings, with the new logo.
async fn changed_logo(state: &AppState, logo_image: Option<Uuid>) -> AppResult<()> {
    let current = state.portal_settings().await?;
    state.portal.replace(Arc::new(PortalSettings { logo_image, ..(*current).clone() }));
    Ok(())
}
