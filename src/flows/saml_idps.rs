//! SAML 2.0 identity providers: created and edited from the admin pages or the config file,
//! from the partner's metadata (by URL, read again on its schedule, or pasted). What the
//! metadata says — entityID, where AuthnRequests go, every signing certificate — is stored
//! with it (`flows::saml_metadata` reads and refreshes it); the rest is the admin's choice
//! per IdP.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::config::Settings;
use crate::db::audit::{self, Event};
use crate::db::identity_providers::{self, IdentityProvider, IdpFields};
use crate::db::saml_idps::{self, SamlIdp};
use crate::domain::audit::{Action, Actor};
use crate::domain::idp::{check_issuer, parse_domains, parse_slug};
use crate::domain::url::WebUrl;
use crate::domain::{BoundedText, FieldErrors};
use crate::error::{AppError, AppResult};
use crate::federation::saml::metadata;
use crate::flows::saml_metadata::{MetadataSource, ReadMetadata, read_metadata};
use crate::state::AppState;

/// A SAML IdP as typed into its admin form (or the config file), parsed.
pub struct SamlIdpInput {
    pub slug: String,
    pub display_name: String,
    pub domains: String,
    pub enabled: bool,
    pub trust_mfa: bool,
    /// AuthnContextClassRef values that count as MFA, space-separated (REFEDS MFA always does).
    pub trusted_acr: String,
    /// `None` when editing without a new URL or document: the stored metadata stays.
    pub metadata: Option<MetadataSource>,
    pub email_trusted: bool,
    pub allow_sha1: bool,
    pub allow_idp_initiated: bool,
    pub sign_requests: bool,
    pub email_attributes: String,
    pub name_attributes: String,
    pub persistent_attribute: String,
}

pub struct RawSamlIdp<'a> {
    pub slug: &'a str,
    pub display_name: &'a str,
    pub domains: &'a str,
    pub enabled: bool,
    pub trust_mfa: bool,
    pub trusted_acr: &'a str,
    pub metadata_url: &'a str,
    pub metadata_xml: &'a str,
    pub email_trusted: bool,
    pub allow_sha1: bool,
    pub allow_idp_initiated: bool,
    pub sign_requests: bool,
    pub email_attributes: &'a str,
    pub name_attributes: &'a str,
    pub persistent_attribute: &'a str,
}

/// Space-separated names, each a URI, OID or plain name without spaces or markup.
fn attribute_names(input: &str, what: &str) -> Result<String, crate::domain::form::InputError> {
    let text = BoundedText::parse(input, what, 1000, true)?;
    let names: Vec<&str> =
        text.as_str().split(|c: char| c == ',' || c.is_whitespace()).filter(|n| !n.is_empty()).collect();
    if names.iter().any(|n| n.chars().any(|c| c.is_control() || "<>\"'".contains(c))) {
        return Err(crate::domain::form::InputError::new(format!("{what}: names cannot hold < > or quotes.")));
    }
    Ok(names.join(" "))
}

impl SamlIdpInput {
    /// `metadata_required`: creating needs a URL or a document; editing may keep the stored.
    pub fn parse(
        raw: &RawSamlIdp<'_>,
        metadata_required: bool,
        settings: &Settings,
    ) -> Result<SamlIdpInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let slug = errors.take("slug", parse_slug(raw.slug));
        let display_name = errors.take("display_name", BoundedText::required(raw.display_name, "A display name", 60));
        let domains = errors.take("domains", parse_domains(raw.domains));
        let trusted_acr = errors.take("trusted_acr", attribute_names(raw.trusted_acr, "The authentication contexts"));
        let email_attributes =
            errors.take("email_attributes", attribute_names(raw.email_attributes, "The email attributes"));
        let name_attributes =
            errors.take("name_attributes", attribute_names(raw.name_attributes, "The name attributes"));
        let persistent_attribute =
            errors.take("persistent_attribute", attribute_names(raw.persistent_attribute, "The identifier attribute"));
        if persistent_attribute.as_deref().is_some_and(|p| p.contains(' ')) {
            errors.add("persistent_attribute", "Name one attribute.");
        }
        let (url, xml) = (raw.metadata_url.trim(), raw.metadata_xml.trim());
        let metadata = match (url.is_empty(), xml.is_empty()) {
            (false, false) => {
                errors.add("metadata_url", "Give the metadata's URL or paste the document, not both.");
                None
            }
            (false, true) => {
                let (allow_http, allow_internal) =
                    (settings.allow_http_identity_providers, settings.allow_private_network_targets);
                errors
                    .take(
                        "metadata_url",
                        WebUrl::parse(url, "The metadata URL")
                            .and_then(|u| check_issuer(u.as_str(), allow_http, allow_internal).map(|()| u)),
                    )
                    .map(|u| Some(MetadataSource::Url(u.as_str().to_string())))
            }
            (true, false) if xml.len() > metadata::MAX_METADATA_BYTES => {
                errors.add("metadata_xml", "The metadata is too large.");
                None
            }
            (true, false) => Some(Some(MetadataSource::Xml(xml.to_string()))),
            (true, true) if metadata_required => {
                errors.add("metadata_url", "Give the partner's metadata URL, or paste its metadata below.");
                None
            }
            (true, true) => Some(None),
        };
        match (
            slug,
            display_name,
            domains,
            trusted_acr,
            email_attributes,
            name_attributes,
            persistent_attribute,
            metadata,
        ) {
            (
                Some(slug),
                Some(name),
                Some(domains),
                Some(acr),
                Some(email),
                Some(names),
                Some(persistent),
                Some(metadata),
            ) if errors.is_empty() => Ok(SamlIdpInput {
                slug,
                display_name: name.into_string(),
                domains: domains.join(" "),
                enabled: raw.enabled,
                trust_mfa: raw.trust_mfa,
                trusted_acr: acr,
                metadata,
                email_trusted: raw.email_trusted,
                allow_sha1: raw.allow_sha1,
                allow_idp_initiated: raw.allow_idp_initiated,
                sign_requests: raw.sign_requests,
                email_attributes: email,
                name_attributes: names,
                persistent_attribute: persistent,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SamlIdpRefused {
    #[error("Another identity provider already uses this short name.")]
    SlugTaken,
    #[error("Another identity provider already has this entityID ({0}).")]
    EntityTaken(String),
    #[error("This identity provider is managed by the configuration file; change it there.")]
    Managed,
    #[error("{0}")]
    Metadata(String),
}

impl SamlIdpRefused {
    /// The form field the refusal is shown next to.
    pub fn field(&self) -> &'static str {
        match self {
            SamlIdpRefused::SlugTaken | SamlIdpRefused::Managed => "slug",
            SamlIdpRefused::EntityTaken(_) | SamlIdpRefused::Metadata(_) => "metadata_url",
        }
    }
}

fn idp_fields<'a>(i: &'a SamlIdpInput, entity_id: &'a str, managed: bool) -> IdpFields<'a> {
    IdpFields {
        slug: &i.slug,
        kind: "saml",
        display_name: &i.display_name,
        issuer: entity_id,
        client_id: "",
        client_secret_enc: Some(""),
        scopes: "",
        domains: &i.domains,
        enabled: i.enabled,
        is_workforce: false,
        trust_mfa: i.trust_mfa,
        trusted_acr: &i.trusted_acr,
        managed_by_config: managed,
    }
}

fn saml_row(
    idp_id: Uuid,
    i: &SamlIdpInput,
    read: Option<&ReadMetadata>,
    kept: Option<&SamlIdp>,
    now: DateTime<Utc>,
) -> SamlIdp {
    let mut row = match (read, kept) {
        (Some(r), _) => {
            let by_url = matches!(i.metadata, Some(MetadataSource::Url(_)));
            let metadata_url = match &i.metadata {
                Some(MetadataSource::Url(u)) => u.clone(),
                _ => String::new(),
            };
            r.applied_to(SamlIdp { metadata_url, ..SamlIdp::blank(idp_id, now) }, by_url, now)
        }
        (None, Some(k)) => k.clone(),
        (None, None) => SamlIdp::blank(idp_id, now),
    };
    row.email_trusted = i.email_trusted;
    row.allow_sha1 = i.allow_sha1;
    row.allow_idp_initiated = i.allow_idp_initiated;
    row.sign_requests = i.sign_requests;
    row.email_attributes = i.email_attributes.clone();
    row.name_attributes = i.name_attributes.clone();
    row.persistent_attribute = i.persistent_attribute.clone();
    row
}

impl SamlIdp {
    pub(super) fn blank(idp_id: Uuid, now: DateTime<Utc>) -> SamlIdp {
        SamlIdp {
            idp_id,
            metadata_url: String::new(),
            metadata_xml: String::new(),
            sso_url: String::new(),
            sso_binding: "redirect".into(),
            signing_certs: String::new(),
            email_trusted: false,
            allow_sha1: false,
            allow_idp_initiated: false,
            sign_requests: false,
            email_attributes: String::new(),
            name_attributes: String::new(),
            persistent_attribute: String::new(),
            metadata_read_at: now,
            metadata_refresh_at: None,
            metadata_problem: String::new(),
        }
    }
}

/// Another IdP (not `except`) that already has this entityID: identities are keyed by it.
async fn entity_taken(state: &AppState, entity_id: &str, except: Option<Uuid>) -> AppResult<bool> {
    let mut c = state.db.acquire().await?;
    let all = identity_providers::all(c.conn()).await?;
    Ok(all.iter().any(|i| i.kind == "saml" && i.issuer == entity_id && Some(i.id) != except))
}

pub async fn create(
    state: &AppState,
    input: &SamlIdpInput,
    actor: &Actor,
    managed: bool,
) -> AppResult<Result<IdentityProvider, SamlIdpRefused>> {
    let Some(source) = &input.metadata else {
        return Ok(Err(SamlIdpRefused::Metadata("Give the partner's metadata.".into())));
    };
    let read = match read_metadata(state, source).await {
        Ok(r) => r,
        Err(e) => return Ok(Err(SamlIdpRefused::Metadata(e))),
    };
    if entity_taken(state, &read.meta.entity_id, None).await? {
        return Ok(Err(SamlIdpRefused::EntityTaken(read.meta.entity_id)));
    }
    if input.sign_requests {
        // Made now, so the metadata the admin hands over already carries its certificate.
        crate::flows::saml::sp_key(state).await?;
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if identity_providers::find_by_slug(tx.conn(), &input.slug).await?.is_some() {
        return Ok(Err(SamlIdpRefused::SlugTaken));
    }
    let row = identity_providers::insert(tx.conn(), &idp_fields(input, &read.meta.entity_id, managed), now).await?;
    saml_idps::save(tx.conn(), &saml_row(row.id, input, Some(&read), None, now)).await?;
    let ev = Event::new(Action::IdentityProviderCreated, "identity_provider", row.id, &row.slug)
        .details(format!("SAML 2.0, entityID {}", read.meta.entity_id));
    audit::record(tx.conn(), actor, &ev, now).await?;
    tx.commit().await?;
    state.csp_sources.forget();
    Ok(Ok(row))
}

pub async fn update(
    state: &AppState,
    id: Uuid,
    input: &SamlIdpInput,
    actor: &Actor,
    by_config: bool,
) -> AppResult<Result<(), SamlIdpRefused>> {
    let read = match &input.metadata {
        Some(source) => match read_metadata(state, source).await {
            Ok(r) => Some(r),
            Err(e) => return Ok(Err(SamlIdpRefused::Metadata(e))),
        },
        None => None,
    };
    if let Some(r) = &read
        && entity_taken(state, &r.meta.entity_id, Some(id)).await?
    {
        return Ok(Err(SamlIdpRefused::EntityTaken(r.meta.entity_id.clone())));
    }
    if input.sign_requests {
        crate::flows::saml::sp_key(state).await?;
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let row = identity_providers::find(tx.conn(), id).await?.filter(|r| r.kind == "saml").ok_or(AppError::NotFound)?;
    if row.managed_by_config && !by_config {
        return Ok(Err(SamlIdpRefused::Managed));
    }
    if let Some(other) = identity_providers::find_by_slug(tx.conn(), &input.slug).await?
        && other.id != id
    {
        return Ok(Err(SamlIdpRefused::SlugTaken));
    }
    let kept = saml_idps::find(tx.conn(), id).await?;
    let entity_id = read.as_ref().map(|r| r.meta.entity_id.clone()).unwrap_or_else(|| row.issuer.clone());
    identity_providers::update(tx.conn(), id, &idp_fields(input, &entity_id, by_config), now).await?;
    saml_idps::save(tx.conn(), &saml_row(id, input, read.as_ref(), kept.as_ref(), now)).await?;
    let what = if by_config { Action::IdentityProviderConfigured } else { Action::IdentityProviderUpdated };
    audit::record(tx.conn(), actor, &Event::new(what, "identity_provider", id, &input.slug), now).await?;
    tx.commit().await?;
    state.csp_sources.forget();
    Ok(Ok(()))
}

/// A SAML IdP declared in `vestibule.toml` (`flows::idps::sync_from_config`): created or
/// updated at start, managed by the file.
pub async fn sync_declared(state: &AppState, d: &crate::config::IdpConfig) -> anyhow::Result<()> {
    let named = |what: String| anyhow::anyhow!("identity provider {:?} in the config file: {what}", d.slug);
    let xml = match &d.metadata_file {
        Some(path) => std::fs::read_to_string(path).map_err(|e| named(format!("{}: {e}", path.display())))?,
        None => String::new(),
    };
    let raw = RawSamlIdp {
        slug: &d.slug,
        display_name: &d.display_name,
        domains: &d.domains.join(" "),
        enabled: d.enabled,
        trust_mfa: d.trust_mfa,
        trusted_acr: &d.trusted_acr.join(" "),
        metadata_url: &d.metadata_url,
        metadata_xml: &xml,
        email_trusted: d.email_trusted,
        allow_sha1: d.allow_sha1,
        allow_idp_initiated: d.allow_idp_initiated,
        sign_requests: d.sign_requests,
        email_attributes: &d.email_attributes.join(" "),
        name_attributes: &d.name_attributes.join(" "),
        persistent_attribute: &d.persistent_attribute,
    };
    let input = SamlIdpInput::parse(&raw, true, &state.settings).map_err(|e| named(e.to_string()))?;
    let actor = Actor::system("configuration");
    let existing = {
        let mut c = state.db.acquire().await?;
        identity_providers::find_by_slug(c.conn(), &input.slug).await?
    };
    let outcome = match existing {
        Some(row) if row.kind == "saml" => update(state, row.id, &input, &actor, true).await?,
        Some(_) => return Err(named("another kind of identity provider already has this slug".into())),
        None => create(state, &input, &actor, true).await?.map(|_| ()),
    };
    outcome.map_err(|e| named(e.to_string()))
}
