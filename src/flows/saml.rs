//! Signing in and redeeming through a partner's SAML 2.0 IdP (issue 25). The browser starts
//! at `/auth/{slug}/start` like for any IdP; the AuthnRequest's ID is kept both in its
//! session (as `Pending::state`) and here in the database. The IdP's answer arrives as a
//! cross-site POST without cookies: it is verified (`federation::saml`), must answer a
//! pending request of this IdP (once), and its Assertion is accepted once; the identity then
//! waits under a one-time handle for the browser's same-site step, which must hold the same
//! request ID in its session. From there on, SAML and OIDC share one path.

use chrono::Duration;

use crate::db::identity_providers::{self, IdentityProvider};
use crate::db::saml_flights::{self, Arrival as Row};
use crate::db::saml_idps::{self, SamlIdp};
use crate::error::{AppError, AppResult};
use crate::federation::saml::accept::{self, AttributeMapping, Expected, NotAccepted};
use crate::federation::saml::metadata::{Binding, sp_metadata};
use crate::federation::saml::request::AuthnRequest;
use crate::federation::saml::sp_key::SpKey;
use crate::federation::saml::{TrustedKey, VerifyOptions, acs_url, sp_entity_id, verify_response_bytes};
use crate::federation::{Authenticated, Departure, FLOW_TTL_SECS, Pending, Purpose};
use crate::secrets::{Token, TokenHash, random_bytes};
use crate::state::AppState;

/// How long a verified answer waits for its browser (one redirect).
const ARRIVAL_TTL: Duration = Duration::minutes(5);
/// The largest `SAMLResponse` form field taken, base64 (`VerifyOptions::max_bytes` of XML).
pub const MAX_POST_BYTES: usize = 400 * 1024;

/// An IdP of kind `saml` with its SAML side.
pub struct SamlProvider {
    pub idp: IdentityProvider,
    pub saml: SamlIdp,
}

impl SamlProvider {
    /// The certificates the admin configured (never one carried in a message).
    pub fn trusted_keys(&self) -> Vec<TrustedKey> {
        self.saml.signing_certs.lines().filter_map(|c| TrustedKey::from_certificate_base64(c).ok()).collect()
    }

    pub fn mapping(&self) -> AttributeMapping {
        let mut m = AttributeMapping::default();
        let names = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        if !self.saml.email_attributes.trim().is_empty() {
            m.email = names(&self.saml.email_attributes);
        }
        if !self.saml.name_attributes.trim().is_empty() {
            m.name = names(&self.saml.name_attributes);
        }
        let persistent = self.saml.persistent_attribute.trim();
        m.persistent_id = (!persistent.is_empty()).then(|| persistent.to_string());
        m
    }
}

/// A SAML IdP by slug, whether or not it is enabled (metadata stays published while an
/// admin pauses the IdP).
pub async fn find(state: &AppState, slug: &str) -> AppResult<Option<SamlProvider>> {
    let mut c = state.db.acquire().await?;
    let Some(idp) = identity_providers::find_by_slug(c.conn(), slug).await?.filter(|i| i.kind == "saml") else {
        return Ok(None);
    };
    let Some(saml) = saml_idps::find(c.conn(), idp.id).await? else { return Ok(None) };
    Ok(Some(SamlProvider { idp, saml }))
}

/// Our SP metadata for this IdP, for its admin to import (with our signing certificate
/// where we sign AuthnRequests for it).
pub async fn our_metadata(state: &AppState, p: &SamlProvider, org_name: &str) -> AppResult<String> {
    let public = &state.settings.public_url;
    let key = if p.saml.sign_requests { Some(sp_key(state).await?) } else { None };
    let cert = key.as_ref().map(|k| k.certificate.as_slice());
    Ok(sp_metadata(&sp_entity_id(public, &p.idp.slug), &acs_url(public, &p.idp.slug), org_name, cert))
}

/// The purpose under which the SP signing key is encrypted at rest.
const SP_KEY_PURPOSE: &str = "saml-sp-key";

/// This installation's SAML signing key, made on first use (every instance then uses the
/// one that was stored first).
pub async fn sp_key(state: &AppState) -> AppResult<SpKey> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let stored = {
        let mut c = state.db.acquire().await?;
        saml_idps::sp_key(c.conn()).await?
    };
    let (key_enc, cert) = match stored {
        Some(row) => row,
        None => {
            let name = url::Url::parse(&state.settings.public_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_else(|| "vestibule".into());
            let now = state.clock.now();
            // RSA key generation takes a while: off the async workers.
            let (key, pkcs8) = tokio::task::spawn_blocking(move || SpKey::generate(&format!("{name} SAML"), now))
                .await
                .map_err(|e| AppError::Internal(e.into()))?
                .map_err(AppError::Internal)?;
            let enc = state.key.encrypt(SP_KEY_PURPOSE, &b64.encode(&pkcs8));
            let mut c = state.db.acquire().await?;
            saml_idps::add_sp_key(c.conn(), &enc, &b64.encode(&key.certificate), now).await?;
            saml_idps::sp_key(c.conn())
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("SP key not stored")))?
        }
    };
    let pkcs8 = state.key.decrypt(SP_KEY_PURPOSE, &key_enc).map_err(AppError::Internal)?;
    let decode = |s: &str| b64.decode(s).map_err(|e| AppError::Internal(e.into()));
    SpKey::from_parts(&decode(&pkcs8)?, decode(&cert)?).map_err(AppError::Internal)
}

/// Starts a sign-in: a new AuthnRequest, remembered for its answer.
pub async fn begin(state: &AppState, p: &SamlProvider, purpose: Purpose) -> AppResult<(Departure, Pending)> {
    let now = state.clock.now();
    let id = format!("_{}", hex::encode(random_bytes::<16>()));
    {
        let mut c = state.db.acquire().await?;
        saml_flights::add_request(c.conn(), &id, p.idp.id, now + Duration::seconds(FLOW_TTL_SECS)).await?;
    }
    let public = &state.settings.public_url;
    let (entity, acs) = (sp_entity_id(public, &p.idp.slug), acs_url(public, &p.idp.slug));
    let request = AuthnRequest {
        id: &id,
        sp_entity_id: &entity,
        acs_url: &acs,
        sso_url: &p.saml.sso_url,
        want_persistent_name_id: p.saml.persistent_attribute.trim().is_empty(),
        now,
    };
    let signer = if p.saml.sign_requests { Some(sp_key(state).await?) } else { None };
    let departure = request.departure(Binding::from_stored(&p.saml.sso_binding), signer.as_ref());
    let pending = Pending {
        slug: p.idp.slug.clone(),
        state: id,
        nonce: String::new(),
        pkce_verifier: String::new(),
        purpose,
        started: now.timestamp(),
    };
    Ok((departure, pending))
}

/// Why an answer was refused. The reason is audited; the browser gets a page by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not verifiable, or not for us: signature, shape, audience, destination, issuer, time.
    Invalid(String),
    /// It answers no request in flight (unknown, expired, already answered) or replays an
    /// Assertion already used.
    Stale(String),
    /// The IdP gave no persistent identifier for the person (a transient NameID only).
    NoPersistentId,
}

impl Refusal {
    pub fn reason(&self) -> String {
        match self {
            Refusal::Invalid(r) | Refusal::Stale(r) => r.clone(),
            Refusal::NoPersistentId => NotAccepted::NoPersistentId.to_string(),
        }
    }
}

/// The IdP's POST to our ACS: on success, the one-time handle the browser brings to the
/// same-site step. Nothing is written for a refused answer but the audit event.
pub async fn receive(
    state: &AppState,
    p: &SamlProvider,
    saml_response: &str,
    relay_state: &str,
    ip: &str,
) -> AppResult<Result<String, Refusal>> {
    let outcome = receive_unaudited(state, p, saml_response, relay_state).await?;
    if let Err(refusal) = &outcome {
        let what = format!("SAML response refused: {}", refusal.reason());
        crate::flows::federated::record_failure(state, &p.idp.slug, &what, ip).await?;
    }
    Ok(outcome)
}

async fn receive_unaudited(
    state: &AppState,
    p: &SamlProvider,
    saml_response: &str,
    relay_state: &str,
) -> AppResult<Result<String, Refusal>> {
    use base64::Engine;
    let invalid = |r: &dyn std::fmt::Display| Err(Refusal::Invalid(r.to_string()));
    let compact: String = saml_response.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let Ok(xml) = base64::engine::general_purpose::STANDARD.decode(compact) else {
        return Ok(invalid(&"the SAMLResponse is not base64"));
    };
    let opts = VerifyOptions { allow_sha1: p.saml.allow_sha1, ..VerifyOptions::default() };
    let verified = match verify_response_bytes(&xml, &p.trusted_keys(), &opts) {
        Ok(v) => v,
        Err(e) => return Ok(invalid(&e)),
    };
    // The request it claims to answer: the Response's InResponseTo, or the bearer
    // confirmation's (signed) one; `accept` checks that both agree with it.
    let claimed = verified
        .response
        .in_response_to
        .clone()
        .or_else(|| verified.subject_confirmations.iter().find_map(|c| c.in_response_to.clone()));
    if claimed.is_none() && !p.saml.allow_idp_initiated {
        return Ok(Err(Refusal::Invalid("an unsolicited (IdP-initiated) response, not allowed for this IdP".into())));
    }
    let now = state.clock.now();
    let public = &state.settings.public_url;
    let (entity, acs, mapping) = (sp_entity_id(public, &p.idp.slug), acs_url(public, &p.idp.slug), p.mapping());
    let expected = Expected {
        idp_entity_id: &p.idp.issuer,
        sp_entity_id: &entity,
        acs_url: &acs,
        request_id: claimed.as_deref(),
        mapping: &mapping,
    };
    let accepted = match accept::accept(&verified, &expected, now) {
        Ok(a) => a,
        Err(NotAccepted::NoPersistentId) => return Ok(Err(Refusal::NoPersistentId)),
        Err(e) => return Ok(invalid(&e)),
    };
    let mut who = accepted.identity;
    who.email_verified = p.saml.email_trusted;
    // A refused answer rolls back: it neither spends the browser's request nor leaves a row.
    let mut tx = state.db.begin().await?;
    if let Some(request_id) = &claimed
        && !saml_flights::take_request(tx.conn(), request_id, p.idp.id, now).await?
    {
        return Ok(Err(Refusal::Stale(
            "it answers no sign-in in progress (unknown, expired or already answered)".into(),
        )));
    }
    if !saml_flights::first_sight(tx.conn(), p.idp.id, &accepted.assertion_id, accepted.replayable_until).await? {
        return Ok(Err(Refusal::Stale("the assertion was already used (a replay)".into())));
    }
    let handle = Token::generate();
    let identity_json = serde_json::to_string(&who).map_err(|e| AppError::Internal(e.into()))?;
    let relay: String = relay_state.chars().take(500).collect();
    let row = Row {
        handle_hash: &handle.hash().0,
        idp_id: p.idp.id,
        request_id: claimed.as_deref().unwrap_or(""),
        relay_state: &relay,
        identity_json: &identity_json,
        expires_at: now + ARRIVAL_TTL,
    };
    saml_flights::add_arrival(tx.conn(), &row).await?;
    tx.commit().await?;
    Ok(Ok(handle.expose().to_string()))
}

/// A verified answer, taken by the browser that brings its handle.
pub struct Arrival {
    /// The AuthnRequest it answers; `None` for an IdP-initiated answer.
    pub request_id: Option<String>,
    pub relay_state: String,
    pub who: Authenticated,
}

/// Takes the answer waiting under `handle`: once, within minutes.
pub async fn arrive(state: &AppState, p: &SamlProvider, handle: &str) -> AppResult<Option<Arrival>> {
    if handle.is_empty() || handle.len() > 100 {
        return Ok(None);
    }
    let taken = {
        let mut c = state.db.acquire().await?;
        saml_flights::take_arrival(c.conn(), &TokenHash::of(handle).0, p.idp.id, state.clock.now()).await?
    };
    let Some((request_id, relay_state, json)) = taken else { return Ok(None) };
    let who: Authenticated = serde_json::from_str(&json).map_err(|e| AppError::Internal(e.into()))?;
    Ok(Some(Arrival { request_id: (!request_id.is_empty()).then_some(request_id), relay_state, who }))
}

/// Whether the browser's session started the request this answer answers.
pub fn started_here(pending: Option<&Pending>, slug: &str, arrival: &Arrival, now: i64) -> bool {
    match (pending, &arrival.request_id) {
        (Some(p), Some(id)) => {
            p.slug == slug && crate::secrets::constant_time_eq(&p.state, id) && now - p.started <= FLOW_TTL_SECS
        }
        _ => false,
    }
}
