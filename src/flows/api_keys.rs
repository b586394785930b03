//! F10 API keys: an admin makes one (shown once, kept as a SHA-256), lists and revokes
//! them; each API call is authenticated here. A key acts with its creator's rights,
//! narrowed to its scopes: it stops working when its creator is no longer an active admin,
//! and is revoked when they are blocked or lose the rights (it does not come back with them).

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::db::Conn;
use crate::db::api_keys::{self, ApiKey, NewKey};
use crate::db::audit::{self, Event};
use crate::db::users::{self, User};
use crate::domain::BoundedText;
use crate::domain::audit::{Action, Actor};
use crate::domain::user::{SignInVerdict, may_sign_in};
use crate::error::AppResult;
use crate::secrets::{TokenHash, api_key};
use crate::state::AppState;

/// A key just made: the only time its secret is seen.
pub struct Made {
    pub key: ApiKey,
    pub secret: String,
}

pub async fn create(
    state: &AppState,
    admin: &User,
    name: &BoundedText,
    scopes: &[&str],
    days: i64,
    actor: &Actor,
) -> AppResult<Made> {
    let now = state.clock.now();
    let secret = api_key::generate();
    let scopes = scopes.join(" ");
    let new = NewKey {
        name: name.as_str(),
        scopes: &scopes,
        token_hash: &TokenHash::of(&secret).0,
        hint: &api_key::hint(&secret),
        created_by: admin.id,
        expires_at: now + Duration::days(days),
    };
    let mut tx = state.db.begin().await?;
    let id = api_keys::insert(tx.conn(), &new, now).await?;
    let ev =
        Event::new(Action::ApiKeyCreated, "api_key", id, name.as_str()).details(format!("scopes={scopes} days={days}"));
    audit::record(tx.conn(), actor, &ev, now).await?;
    let key = api_keys::find(tx.conn(), id).await?.ok_or_else(|| anyhow::anyhow!("the key just made is gone"))?;
    tx.commit().await?;
    Ok(Made { key, secret })
}

/// `vestibule api-key create`: a key for the admin with this address; no scopes means all.
pub async fn create_from_cli(
    state: &AppState,
    admin_email: &str,
    name: &str,
    scopes: &[String],
    days: i64,
) -> anyhow::Result<Made> {
    use crate::domain::api_key::{SCOPES, parse_days, parse_scopes};
    let fail = |e: crate::domain::form::InputError| anyhow::anyhow!("{e}");
    let name = BoundedText::required(name, "--name", 80).map_err(fail)?;
    let scopes = if scopes.is_empty() {
        SCOPES.iter().map(|(s, _)| *s).collect()
    } else {
        parse_scopes(scopes).map_err(fail)?
    };
    let days = parse_days(&days.to_string()).map_err(fail)?;
    let admin = {
        let mut c = state.db.acquire().await?;
        users::find_by_email(c.conn(), &admin_email.trim().to_lowercase()).await?
    };
    let admin = admin.filter(|u| u.is_admin).ok_or_else(|| anyhow::anyhow!("{admin_email} is not an admin here"))?;
    Ok(create(state, &admin, &name, &scopes, days, &Actor::system("cli")).await?)
}

pub async fn all(state: &AppState) -> AppResult<Vec<ApiKey>> {
    let mut c = state.db.acquire().await?;
    Ok(api_keys::all(c.conn()).await?)
}

/// Revokes a key (audited); false when there is no such key or it was revoked already.
pub async fn revoke(state: &AppState, id: Uuid, actor: &Actor) -> AppResult<bool> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(key) = api_keys::find(tx.conn(), id).await? else { return Ok(false) };
    let revoked = api_keys::revoke(tx.conn(), id, now).await?;
    if revoked {
        audit::record(tx.conn(), actor, &Event::new(Action::ApiKeyRevoked, "api_key", id, &key.name), now).await?;
    }
    tx.commit().await?;
    Ok(revoked)
}

/// Revokes every key `user` made, each audited with `why`, in the caller's transaction: a
/// key dies with its creator's admin rights, so that giving the rights back later does not
/// wake keys that someone may have kept meanwhile (issue 23).
pub(crate) async fn revoke_all_of(
    mut c: Conn<'_>,
    user: &User,
    why: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let revoked = api_keys::revoke_created_by(c.reborrow(), user.id, now).await?;
    for (id, name) in &revoked {
        let ev = Event::new(Action::ApiKeyRevoked, "api_key", *id, name).details(format!("{why}: {}", user.email));
        audit::record(c.reborrow(), actor, &ev, now).await?;
    }
    Ok(revoked.len())
}

/// Who is calling: the key, and the admin it acts for.
pub struct Caller {
    pub key: ApiKey,
    pub user: User,
}

impl Caller {
    /// The audit's actor for a change this call makes: the key, named.
    pub fn actor(&self, ip: &str) -> Actor {
        Actor::api_key(self.key.id, &self.key.name, ip)
    }
}

/// Why a key was not accepted. The answer to the caller does not say which (a guessed
/// key learns nothing), but the log does.
#[derive(Debug, PartialEq, Eq)]
pub enum KeyRefused {
    Malformed,
    Unknown,
    Revoked,
    Expired,
    /// Its creator is gone, blocked, or no longer an admin.
    CreatorInactive,
}

pub async fn authenticate(state: &AppState, presented: &str) -> AppResult<Result<Caller, KeyRefused>> {
    if !api_key::well_formed(presented) {
        return Ok(Err(KeyRefused::Malformed));
    }
    let now = state.clock.now();
    let mut c = state.db.acquire().await?;
    let Some(key) = api_keys::find_by_hash(c.conn(), &TokenHash::of(presented).0).await? else {
        return Ok(Err(KeyRefused::Unknown));
    };
    if key.revoked_at.is_some() {
        return Ok(Err(KeyRefused::Revoked));
    }
    if key.expires_at.is_some_and(|e| e <= now) {
        return Ok(Err(KeyRefused::Expired));
    }
    let user = match key.created_by {
        Some(id) => users::find(c.conn(), id).await?,
        None => None,
    };
    let Some(user) = user.filter(|u| u.is_admin && may_sign_in(u.state, u.expires_at, now) == SignInVerdict::Allowed)
    else {
        return Ok(Err(KeyRefused::CreatorInactive));
    };
    api_keys::touch(c.conn(), key.id, now).await?;
    Ok(Ok(Caller { key, user }))
}
