//! Generic OpenID Connect by discovery (`openidconnect`): authorization code flow with PKCE.
//! The discovery document and key set are kept per issuer as long as their `Cache-Control`
//! allows (10 minutes when it says nothing); an ID token signed with a key the kept set
//! does not know fetches them again once, so rotated signing keys are picked up. Where the
//! ID token leaves out the email, UserInfo is asked, and believed only about the same `sub`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet, CoreProviderMetadata};
use openidconnect::{
    AuthenticationContextClass, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, JsonWebKey, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    Scope, TokenResponse,
};
use secrecy::ExposeSecret;

use super::outbound::OutboundHttp;
use super::{Authenticated, FederationError, Pending, Provider, Purpose, error_chain};

/// The IdPs' discovery documents with their key sets, by kind and issuer.
#[derive(Default)]
pub struct MetadataCache {
    entries: Mutex<HashMap<String, (Instant, CoreProviderMetadata)>>,
}

/// How long a document whose `Cache-Control` says nothing is kept, and the longest any is.
const DEFAULT_TTL: Duration = Duration::from_secs(600);
const MAX_TTL: Duration = Duration::from_secs(86_400);

/// The IdP's discovery document and keys: the kept copy, or (with `refresh`, or none kept
/// or too old) fetched anew.
async fn discover(
    http: &OutboundHttp,
    cache: &MetadataCache,
    p: &Provider,
    refresh: bool,
) -> Result<CoreProviderMetadata, FederationError> {
    let key = format!("{} {}", p.kind, p.issuer);
    if !refresh
        && let Some((until, meta)) = cache.entries.lock().ok().and_then(|e| e.get(&key).cloned())
        && until > Instant::now()
    {
        return Ok(meta);
    }
    let (meta, ttl) = fetch_metadata(http, p).await?;
    crate::telemetry::idp_metadata_fetch(&p.issuer);
    if let Ok(mut entries) = cache.entries.lock() {
        if ttl.is_zero() {
            entries.remove(&key);
        } else {
            entries.insert(key, (Instant::now() + ttl, meta.clone()));
        }
    }
    Ok(meta)
}

/// Fetches the discovery document, checks its issuer (exactly, or a multi-tenant pattern),
/// then its key set; with the shorter of the two lifetimes their `Cache-Control` gives.
async fn fetch_metadata(
    http: &OutboundHttp,
    p: &Provider,
) -> Result<(CoreProviderMetadata, Duration), FederationError> {
    let issuer =
        IssuerUrl::new(p.issuer.clone()).map_err(|e| FederationError::Discovery(format!("issuer URL: {e}")))?;
    let url = format!("{}/.well-known/openid-configuration", issuer.as_str().trim_end_matches('/'));
    let (meta, ttl): (CoreProviderMetadata, _) = get_json(http, &url).await?;
    let expected = multi_tenant_issuer(p).unwrap_or_else(|| issuer.as_str().to_string());
    if meta.issuer().as_str() != expected {
        return Err(FederationError::Discovery(format!(
            "unexpected issuer {} in the discovery document of {issuer:?} (expected {expected})",
            meta.issuer().as_str()
        )));
    }
    let (jwks, jwks_ttl): (CoreJsonWebKeySet, _) = get_json(http, meta.jwks_uri().url().as_str()).await?;
    Ok((meta.set_jwks(jwks), ttl.min(jwks_ttl)))
}

async fn get_json<T: serde::de::DeserializeOwned>(
    http: &OutboundHttp,
    url: &str,
) -> Result<(T, Duration), FederationError> {
    let failed = |e: &dyn std::error::Error| FederationError::Discovery(format!("{url}: {}", error_chain(e)));
    let res = http
        .get(url)
        .map_err(|e| failed(&e))?
        .header("accept", "application/json")
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| failed(&e))?;
    let ttl = lifetime(res.headers().get(reqwest::header::CACHE_CONTROL).and_then(|v| v.to_str().ok()));
    let body = super::outbound::read_limited(res, super::outbound::MAX_RESPONSE)
        .await
        .map_err(|e| FederationError::Discovery(format!("{url}: {e}")))?;
    let value = serde_json::from_slice(&body).map_err(|e| failed(&e))?;
    Ok((value, ttl))
}

/// How long a response may be kept, by its `Cache-Control`: `no-store`/`no-cache` not at
/// all, `max-age` as said (at most a day), else 10 minutes.
fn lifetime(cache_control: Option<&str>) -> Duration {
    let Some(cc) = cache_control else { return DEFAULT_TTL };
    let mut ttl = DEFAULT_TTL;
    for directive in cc.split(',').map(|d| d.trim().to_ascii_lowercase()) {
        if directive == "no-store" || directive == "no-cache" {
            return Duration::ZERO;
        }
        if let Some(secs) = directive.strip_prefix("max-age=").and_then(|v| v.trim_matches('"').parse::<u64>().ok()) {
            ttl = Duration::from_secs(secs);
        }
    }
    ttl.min(MAX_TTL)
}

/// Microsoft's multi-tenant authorities (`…/common/v2.0`, `…/organizations/v2.0`) publish a
/// discovery document whose issuer is a pattern, `…/{tenantid}/v2.0`: each ID token's issuer
/// names the user's own tenant. Returns that pattern for such a provider.
fn multi_tenant_issuer(p: &Provider) -> Option<String> {
    if p.kind != "microsoft" {
        return None;
    }
    let url = url::Url::parse(&p.issuer).ok()?;
    let mut segments = url.path_segments()?;
    let tenant = segments.next()?;
    if !matches!(tenant, "common" | "organizations") {
        return None;
    }
    let rest: Vec<&str> = segments.collect();
    Some(format!("{}/{TENANT_PLACEHOLDER}/{}", url.origin().ascii_serialization(), rest.join("/")))
}

const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// The issuer check for a multi-tenant provider: the signed token's `iss` must be the pattern
/// with its own `tid` claim (a tenant GUID) filled in.
fn check_tenant_issuer(pattern: &str, iss: &str, id_token: &str) -> Result<(), FederationError> {
    let tid = jwt_payload(id_token)
        .and_then(|claims| claims.get("tid").and_then(|t| t.as_str()).map(str::to_string))
        .ok_or_else(|| FederationError::InvalidToken("no tenant (tid) in the ID token".into()))?;
    let is_guid = tid.len() == 36 && tid.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if !is_guid || pattern.replace(TENANT_PLACEHOLDER, &tid) != iss {
        return Err(FederationError::InvalidToken(format!("issuer {iss} does not belong to tenant {tid}")));
    }
    Ok(())
}

/// The claims of a JWT whose signature has already been verified.
fn jwt_payload(jwt: &str) -> Option<serde_json::Value> {
    jwt_part(jwt, 1)
}

/// One part of a JWT, decoded (0: the header, 1: the claims); nothing verified.
fn jwt_part(jwt: &str, n: usize) -> Option<serde_json::Value> {
    use base64::Engine;
    let part = jwt.split('.').nth(n)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Whether the key set has the key the token names (a token naming none may use any).
fn knows_key(meta: &CoreProviderMetadata, jwt: &str) -> bool {
    let Some(kid) = jwt_part(jwt, 0).and_then(|h| h.get("kid").and_then(|k| k.as_str()).map(str::to_string)) else {
        return true;
    };
    meta.jwks().keys().iter().any(|k| k.key_id().is_some_and(|id| id.as_str() == kid))
}

/// A client built from the discovery document: authorization endpoint set, token and
/// userinfo endpoints as the document gives them.
type DiscoveredClient =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

fn client(p: &Provider, meta: CoreProviderMetadata) -> Result<DiscoveredClient, FederationError> {
    let redirect = RedirectUrl::new(p.redirect_uri.clone())
        .map_err(|e| FederationError::Discovery(format!("redirect URI: {e}")))?;
    Ok(CoreClient::from_provider_metadata(
        meta,
        ClientId::new(p.client_id.clone()),
        Some(ClientSecret::new(p.client_secret.expose_secret().to_string())),
    )
    .set_redirect_uri(redirect))
}

pub async fn start(
    http: &OutboundHttp,
    cache: &MetadataCache,
    p: &Provider,
    purpose: Purpose,
    login_hint: Option<&str>,
    now: i64,
) -> Result<(String, Pending), FederationError> {
    let client = client(p, discover(http, cache, p, false).await?)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .set_pkce_challenge(challenge);
    for scope in p.scopes.split_whitespace().filter(|s| *s != "openid") {
        request = request.add_scope(Scope::new(scope.to_string()));
    }
    if let Some(hint) = login_hint {
        request = request.add_extra_param("login_hint", hint.to_string());
    }
    if p.trust_mfa {
        let max_age = crate::domain::mfa::PARTNER_MFA_MAX_AGE.num_seconds().unsigned_abs();
        request = request.set_max_age(std::time::Duration::from_secs(max_age));
        for acr in p.trusted_acr.split_whitespace() {
            request = request.add_auth_context_value(AuthenticationContextClass::new(acr.to_string()));
        }
    }
    let (url, state, nonce) = request.url();
    let pending = Pending {
        slug: p.slug.clone(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        purpose,
        started: now,
    };
    Ok((url.to_string(), pending))
}

pub async fn finish(
    http: &OutboundHttp,
    cache: &MetadataCache,
    p: &Provider,
    pending: &Pending,
    code: &str,
) -> Result<Authenticated, FederationError> {
    let meta = discover(http, cache, p, false).await?;
    let tokens = client(p, meta.clone())?
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| FederationError::Discovery(format!("no token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
        .request_async(http)
        .await
        .map_err(|e| FederationError::Exchange(error_chain(&e)))?;
    let id_token =
        tokens.id_token().ok_or_else(|| FederationError::InvalidToken("no ID token in the response".into()))?;
    // A key the kept set does not know: the IdP rotated its keys; fetch them once more.
    let meta = if knows_key(&meta, &id_token.to_string()) { meta } else { discover(http, cache, p, true).await? };
    let client = client(p, meta)?;
    // Checks signature (JWKS), issuer, audience, expiry and our nonce; a multi-tenant
    // provider's issuer is checked against its pattern right after.
    let tenant_pattern = multi_tenant_issuer(p);
    let verifier = client.id_token_verifier().require_issuer_match(tenant_pattern.is_none());
    let claims = id_token
        .claims(&verifier, &Nonce::new(pending.nonce.clone()))
        .map_err(|e| FederationError::InvalidToken(error_chain(&e)))?;
    if let Some(pattern) = &tenant_pattern {
        check_tenant_issuer(pattern, claims.issuer().as_str(), &id_token.to_string())?;
    }
    let mut email = claims.email().map(|e| e.as_str().to_string());
    let mut email_verified = claims.email_verified();
    // Only UserInfo says the email (OIDC Core §5.4 lets an IdP keep it there): ask, about
    // this very `sub` — a UserInfo answer about anyone else is refused (§5.3.2).
    if (email.is_none() || email_verified.is_none())
        && let Ok(request) = client.user_info(tokens.access_token().clone(), Some(claims.subject().clone()))
    {
        let info: openidconnect::core::CoreUserInfoClaims = request
            .request_async(http)
            .await
            .map_err(|e| FederationError::InvalidToken(format!("UserInfo: {}", error_chain(&e))))?;
        let info_email = info.email().map(|e| e.as_str().to_string());
        match &email {
            None => (email, email_verified) = (info_email, info.email_verified()),
            Some(said) if info_email.as_deref() == Some(said.as_str()) => {
                email_verified = email_verified.or(info.email_verified());
            }
            Some(_) => {}
        }
    }
    Ok(Authenticated {
        issuer: claims.issuer().as_str().to_string(),
        subject: claims.subject().as_str().to_string(),
        email,
        email_verified: email_verified.unwrap_or(false),
        name: claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string()),
        amr: claims.auth_method_refs().into_iter().flatten().map(|m| m.as_str().to_string()).collect(),
        acr: claims.auth_context_ref().map(|a| a.as_str().to_string()),
        auth_time: claims.auth_time(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(kind: &str, issuer: &str) -> Provider {
        Provider {
            slug: "x".into(),
            kind: kind.into(),
            issuer: issuer.into(),
            client_id: "c".into(),
            client_secret: "s".into(),
            scopes: String::new(),
            redirect_uri: "https://portal.example/auth/x/callback".into(),
            trust_mfa: false,
            trusted_acr: String::new(),
        }
    }

    #[test]
    fn documents_are_kept_as_long_as_cache_control_says() {
        assert_eq!(lifetime(None), DEFAULT_TTL);
        assert_eq!(lifetime(Some("public, max-age=300")), Duration::from_secs(300));
        assert_eq!(lifetime(Some("max-age=0")), Duration::ZERO);
        assert_eq!(lifetime(Some("no-store")), Duration::ZERO);
        assert_eq!(lifetime(Some("private, no-cache")), Duration::ZERO);
        assert_eq!(lifetime(Some("max-age=99999999")), MAX_TTL);
        assert_eq!(lifetime(Some("public")), DEFAULT_TTL);
    }

    #[test]
    fn only_microsoft_common_and_organizations_are_multi_tenant() {
        let common = provider("microsoft", "https://login.microsoftonline.com/common/v2.0");
        assert_eq!(multi_tenant_issuer(&common).unwrap(), "https://login.microsoftonline.com/{tenantid}/v2.0");
        let single =
            provider("microsoft", "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0");
        assert!(multi_tenant_issuer(&single).is_none());
        assert!(multi_tenant_issuer(&provider("oidc", "https://idp.example/common/v2.0")).is_none());
    }

    fn jwt_with(claims: &str) -> String {
        use base64::Engine;
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.sig", b.encode("{}"), b.encode(claims))
    }

    #[test]
    fn tenant_issuer_must_match_the_tokens_own_tenant() {
        let pattern = "https://login.microsoftonline.com/{tenantid}/v2.0";
        let tid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        let iss = format!("https://login.microsoftonline.com/{tid}/v2.0");
        let token = jwt_with(&format!(r#"{{"tid":"{tid}"}}"#));
        assert!(check_tenant_issuer(pattern, &iss, &token).is_ok());
        let other = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0";
        assert!(check_tenant_issuer(pattern, other, &token).is_err(), "issuer of another tenant");
        assert!(check_tenant_issuer(pattern, &iss, &jwt_with("{}")).is_err(), "no tid");
        let evil = jwt_with(r#"{"tid":"evil.example/x"}"#);
        assert!(check_tenant_issuer(pattern, "https://login.microsoftonline.com/evil.example/x/v2.0", &evil).is_err());
    }
}
