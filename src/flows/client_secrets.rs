//! An app's client secret over its life: how long a new one works, making one while the
//! previous one goes on working for a while (rotation without downtime), and stopping the
//! previous one early. Each change is audited; the provider's client cache is dropped.

use chrono::{Duration, Months};
use uuid::Uuid;

use super::apps::MANAGED;
use crate::db::apps::{self, App};
use crate::db::audit::{self, Event};
use crate::domain::audit::{Action, Actor};
use crate::domain::audit_details;
use crate::domain::client::ClientType;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// How long a new client secret may work, and how long the one it replaces may go on
/// working (so the app's configuration can be changed without downtime).
pub struct SecretTerms {
    pub valid_months: u32,
    /// 0: the old secret stops at once.
    pub keep_previous_days: i64,
}

impl SecretTerms {
    /// The choices the form offers: 6, 12 or 24 months; the old one 0, 7 or 30 days more.
    pub fn parse(months: &str, keep: &str) -> Option<SecretTerms> {
        let valid_months = months.parse().ok().filter(|m| [6, 12, 24].contains(m))?;
        let keep_previous_days = keep.parse().ok().filter(|d| [0, 7, 30].contains(d))?;
        Some(SecretTerms { valid_months, keep_previous_days })
    }
}

/// A new client secret for a confidential client; the old one stops working at once or
/// after the days `terms` give.
pub async fn regenerate_secret(
    state: &AppState,
    id: Uuid,
    terms: &SecretTerms,
    actor: &Actor,
) -> AppResult<(App, String)> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let app = apps::find(tx.conn(), id).await?.ok_or(AppError::NotFound)?;
    if app.managed_by_config {
        return Err(AppError::BadRequest(MANAGED.into()));
    }
    if app.client_id.is_none() || app.client_type != ClientType::Confidential {
        return Err(AppError::BadRequest("Only a confidential OpenID Connect client has a secret.".into()));
    }
    let (secret, hash) = crate::provider::token::new_client_secret();
    let ends = now + Months::new(terms.valid_months);
    // An old secret that no longer works is not kept on.
    let old_works = app.client_secret_expires_at.is_none_or(|e| now < e);
    let previous_until =
        (terms.keep_previous_days > 0 && old_works).then(|| now + Duration::days(terms.keep_previous_days));
    apps::set_client_secret(tx.conn(), id, &hash, Some(ends), previous_until).await?;
    let mut details = audit_details::pair("until", &ends.format("%Y-%m-%d").to_string());
    if let Some(t) = previous_until {
        details = format!("{details} {}", audit_details::pair("previous_until", &t.format("%Y-%m-%d").to_string()));
    }
    let ev = Event::new(Action::AppSecretRegenerated, "app", id, &app.name).details(details);
    audit::record(tx.conn(), actor, &ev, now).await?;
    tx.commit().await?;
    state.clients.forget();
    Ok((app, secret))
}

/// The previous client secret stops working now (the app uses the new one).
pub async fn drop_previous_secret(state: &AppState, id: Uuid, actor: &Actor) -> AppResult<bool> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let app = apps::find(tx.conn(), id).await?.ok_or(AppError::NotFound)?;
    if !apps::drop_previous_secret(tx.conn(), id).await? {
        return Ok(false);
    }
    let ev = Event::new(Action::AppPreviousSecretRemoved, "app", id, &app.name);
    audit::record(tx.conn(), actor, &ev, now).await?;
    tx.commit().await?;
    state.clients.forget();
    Ok(true)
}
