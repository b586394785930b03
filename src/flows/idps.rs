//! Identity providers: create, edit, delete (admin pages) and sync from the config file.

use secrecy::ExposeSecret;
use uuid::Uuid;

use crate::config::{IdpConfig, Settings};
use crate::db::audit::{self, Event};
use crate::db::identity_providers::{self, IdentityProvider, IdpFields};
use crate::domain::audit::{Action, Actor};
use crate::domain::idp::{check_issuer, parse_domains, parse_kind, parse_slug, preset_issuer};
use crate::domain::url::WebUrl;
use crate::domain::{BoundedText, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::federation::SECRET_PURPOSE;
use crate::state::AppState;

/// An IdP as typed into the admin form (or the config file), parsed.
pub struct IdpInput {
    pub slug: String,
    pub kind: &'static str,
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    /// `None`: keep the stored secret (editing without retyping it).
    pub client_secret: Option<String>,
    pub scopes: String,
    pub domains: String,
    pub enabled: bool,
    pub is_workforce: bool,
    pub trust_mfa: bool,
    /// Space-separated.
    pub trusted_acr: String,
}

pub struct RawIdp<'a> {
    pub slug: &'a str,
    pub kind: &'a str,
    pub display_name: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub scopes: &'a str,
    pub domains: &'a str,
    pub enabled: bool,
    pub is_workforce: bool,
    pub trust_mfa: bool,
    pub trusted_acr: &'a str,
}

impl IdpInput {
    /// `secret_required`: creating needs a secret; editing may leave it blank (but see
    /// `update`). The issuer may be `http://` or a private address only where the
    /// operator's `allow_http_identity_providers` and `allow_private_network_targets` say so.
    pub fn parse(raw: &RawIdp<'_>, secret_required: bool, settings: &Settings) -> Result<IdpInput, FieldErrors> {
        let (allow_http, allow_internal) =
            (settings.allow_http_identity_providers, settings.allow_private_network_targets);
        let mut errors = FieldErrors::default();
        let slug = errors.take("slug", parse_slug(raw.slug));
        let kind = errors.take("kind", parse_kind(raw.kind));
        let display_name = errors.take("display_name", BoundedText::required(raw.display_name, "A display name", 60));
        // Presets may leave the issuer empty (their public default is used at sign-in).
        let issuer = match kind.and_then(preset_issuer) {
            Some(_) if raw.issuer.trim().is_empty() => Some(String::new()),
            _ => errors.take(
                "issuer",
                WebUrl::parse(raw.issuer, "The issuer URL")
                    .map(|u| u.as_str().trim_end_matches('/').to_string())
                    .and_then(|u| check_issuer(&u, allow_http, allow_internal).map(|()| u)),
            ),
        };
        let client_id = errors.take("client_id", BoundedText::required(raw.client_id, "A client ID", 500));
        let secret = raw.client_secret.trim();
        let client_secret = match (secret.is_empty(), secret_required) {
            (true, true) => {
                errors.add("client_secret", "Enter the client secret.");
                None
            }
            (true, false) => Some(None),
            (false, _) if secret.len() > 2000 => {
                errors.add("client_secret", "The client secret is too long.");
                None
            }
            (false, _) => Some(Some(secret.to_string())),
        };
        let scopes = errors.take("scopes", BoundedText::parse(raw.scopes, "The scopes", 300, false));
        let domains = errors.take("domains", parse_domains(raw.domains));
        let trusted_acr = errors.take("trusted_acr", BoundedText::parse(raw.trusted_acr, "The acr values", 500, true));
        match (slug, kind, display_name, issuer, client_id, client_secret, scopes, domains) {
            (
                Some(slug),
                Some(kind),
                Some(name),
                Some(issuer),
                Some(client_id),
                Some(client_secret),
                Some(scopes),
                Some(domains),
            ) if errors.is_empty() => {
                let scopes =
                    if scopes.as_str().is_empty() { default_scopes(kind).to_string() } else { scopes.into_string() };
                Ok(IdpInput {
                    slug,
                    kind,
                    display_name: name.into_string(),
                    issuer,
                    client_id: client_id.into_string(),
                    client_secret,
                    scopes,
                    domains: domains.join(" "),
                    enabled: raw.enabled,
                    is_workforce: raw.is_workforce,
                    trust_mfa: raw.trust_mfa,
                    trusted_acr: trusted_acr
                        .map(|a| a.as_str().split_whitespace().collect::<Vec<_>>().join(" "))
                        .unwrap_or_default(),
                })
            }
            _ => Err(errors),
        }
    }
}

fn default_scopes(kind: &str) -> &'static str {
    if kind == "github" { "read:user user:email" } else { "openid email profile" }
}

fn fields<'a>(i: &'a IdpInput, secret_enc: Option<&'a str>, managed: bool) -> IdpFields<'a> {
    IdpFields {
        slug: &i.slug,
        kind: i.kind,
        display_name: &i.display_name,
        issuer: &i.issuer,
        client_id: &i.client_id,
        client_secret_enc: secret_enc,
        scopes: &i.scopes,
        domains: &i.domains,
        enabled: i.enabled,
        is_workforce: i.is_workforce,
        trust_mfa: i.trust_mfa,
        trusted_acr: &i.trusted_acr,
        managed_by_config: managed,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IdpRefused {
    #[error("Another identity provider already uses this short name.")]
    SlugTaken,
    #[error("This identity provider is managed by the configuration file; change it there.")]
    Managed,
    #[error("Enter the client secret again: the issuer changed, and the stored secret is never sent to another one.")]
    SecretNeeded,
}

impl IdpRefused {
    /// The form field the refusal is shown next to.
    pub fn field(&self) -> &'static str {
        match self {
            IdpRefused::SecretNeeded => "client_secret",
            IdpRefused::SlugTaken | IdpRefused::Managed => "slug",
        }
    }
}

pub async fn create(
    state: &AppState,
    input: &IdpInput,
    actor: &Actor,
) -> AppResult<Result<IdentityProvider, IdpRefused>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if identity_providers::find_by_slug(tx.conn(), &input.slug).await?.is_some() {
        return Ok(Err(IdpRefused::SlugTaken));
    }
    let enc = input.client_secret.as_deref().map(|s| state.key.encrypt(SECRET_PURPOSE, s));
    let row = identity_providers::insert(tx.conn(), &fields(input, enc.as_deref(), false), now).await?;
    audit::record(
        tx.conn(),
        actor,
        &Event::new(Action::IdentityProviderCreated, "identity_provider", row.id, &row.slug),
        now,
    )
    .await?;
    tx.commit().await?;
    state.csp_sources.forget();
    Ok(Ok(row))
}

pub async fn update(state: &AppState, id: Uuid, input: &IdpInput, actor: &Actor) -> AppResult<Result<(), IdpRefused>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // A SAML IdP is edited on its own form (`flows::saml_idps`).
    let row = identity_providers::find(tx.conn(), id).await?.filter(|r| r.kind != "saml").ok_or(AppError::NotFound)?;
    if row.managed_by_config {
        return Ok(Err(IdpRefused::Managed));
    }
    if let Some(other) = identity_providers::find_by_slug(tx.conn(), &input.slug).await?
        && other.id != id
    {
        return Ok(Err(IdpRefused::SlugTaken));
    }
    // The stored secret belongs to the issuer it was given for: a new issuer (or kind, which
    // decides the endpoints) gets it only when the admin types it again.
    if (row.issuer != input.issuer || row.kind != input.kind) && input.client_secret.is_none() {
        return Ok(Err(IdpRefused::SecretNeeded));
    }
    let enc = input.client_secret.as_deref().map(|s| state.key.encrypt(SECRET_PURPOSE, s));
    identity_providers::update(tx.conn(), id, &fields(input, enc.as_deref(), false), now).await?;
    audit::record(
        tx.conn(),
        actor,
        &Event::new(Action::IdentityProviderUpdated, "identity_provider", id, &input.slug),
        now,
    )
    .await?;
    tx.commit().await?;
    state.csp_sources.forget();
    Ok(Ok(()))
}

pub async fn delete(state: &AppState, id: Uuid, actor: &Actor) -> AppResult<Result<(), IdpRefused>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let row = identity_providers::find(tx.conn(), id).await?.ok_or(AppError::NotFound)?;
    if row.managed_by_config {
        return Ok(Err(IdpRefused::Managed));
    }
    identity_providers::delete(tx.conn(), id).await?;
    audit::record(
        tx.conn(),
        actor,
        &Event::new(Action::IdentityProviderDeleted, "identity_provider", id, &row.slug),
        now,
    )
    .await?;
    tx.commit().await?;
    state.csp_sources.forget();
    Ok(Ok(()))
}

/// Creates or updates the IdPs declared in the config file, marked as managed by it.
pub async fn sync_from_config(state: &AppState, declared: &[IdpConfig]) -> anyhow::Result<()> {
    let now = state.clock.now();
    let actor = Actor::system("configuration");
    for d in declared {
        if d.kind == "saml" {
            crate::flows::saml_idps::sync_declared(state, d).await?;
            continue;
        }
        let raw = RawIdp {
            slug: &d.slug,
            kind: &d.kind,
            display_name: &d.display_name,
            issuer: &d.issuer,
            client_id: &d.client_id,
            client_secret: d.client_secret.as_ref().map_or("", |s| s.expose_secret()),
            scopes: &d.scopes.join(" "),
            domains: &d.domains.join(" "),
            enabled: d.enabled,
            is_workforce: d.workforce,
            trust_mfa: d.trust_mfa,
            trusted_acr: &d.trusted_acr.join(" "),
        };
        let input = IdpInput::parse(&raw, true, &state.settings)
            .map_err(|e| anyhow::anyhow!("identity provider {:?} in the config file: {e}", d.slug))?;
        let enc = input.client_secret.as_deref().map(|s| state.key.encrypt(SECRET_PURPOSE, s));
        let mut tx = state.db.begin().await?;
        let action = match identity_providers::find_by_slug(tx.conn(), &input.slug).await? {
            Some(row) => {
                identity_providers::update(tx.conn(), row.id, &fields(&input, enc.as_deref(), true), now).await?;
                Action::IdentityProviderConfigured
            }
            None => {
                identity_providers::insert(tx.conn(), &fields(&input, enc.as_deref(), true), now).await?;
                Action::IdentityProviderCreated
            }
        };
        audit::record(tx.conn(), &actor, &Event::new(action, "identity_provider", &input.slug, &input.slug), now)
            .await?;
        tx.commit().await?;
    }
    state.csp_sources.forget();
    Ok(())
}
