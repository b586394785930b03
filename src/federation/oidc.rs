//! Generic OpenID Connect by discovery (`openidconnect`): authorization code flow with PKCE.
//! Discovery runs at the start and at the callback, so rotated signing keys are picked up.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet, CoreProviderMetadata};
use openidconnect::{
    AuthenticationContextClass, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use secrecy::ExposeSecret;

use super::{Authenticated, FederationError, Pending, Provider, Purpose, error_chain};

async fn discover(http: &reqwest::Client, p: &Provider) -> Result<CoreProviderMetadata, FederationError> {
    let issuer =
        IssuerUrl::new(p.issuer.clone()).map_err(|e| FederationError::Discovery(format!("issuer URL: {e}")))?;
    match multi_tenant_issuer(p) {
        // `discover_async` also checks that the document names exactly this issuer.
        None => CoreProviderMetadata::discover_async(issuer, http)
            .await
            .map_err(|e| FederationError::Discovery(error_chain(&e))),
        Some(pattern) => discover_multi_tenant(http, &issuer, &pattern).await,
    }
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

async fn discover_multi_tenant(
    http: &reqwest::Client,
    issuer: &IssuerUrl,
    pattern: &str,
) -> Result<CoreProviderMetadata, FederationError> {
    let failed = |e: &dyn std::error::Error| FederationError::Discovery(error_chain(e));
    let url = format!("{}/.well-known/openid-configuration", issuer.as_str().trim_end_matches('/'));
    let meta: CoreProviderMetadata = http
        .get(&url)
        .header("accept", "application/json")
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| failed(&e))?
        .json()
        .await
        .map_err(|e| failed(&e))?;
    if meta.issuer().as_str() != pattern {
        return Err(FederationError::Discovery(format!(
            "unexpected issuer {} in the discovery document of {issuer:?} (expected {pattern})",
            meta.issuer().as_str()
        )));
    }
    let jwks = CoreJsonWebKeySet::fetch_async(meta.jwks_uri(), http).await.map_err(|e| failed(&e))?;
    Ok(meta.set_jwks(jwks))
}

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
    use base64::Engine;
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A client built from the discovery document: authorization endpoint set, token and
/// userinfo endpoints as the document gives them.
type DiscoveredClient =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

async fn client(http: &reqwest::Client, p: &Provider) -> Result<DiscoveredClient, FederationError> {
    let meta = discover(http, p).await?;
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
    http: &reqwest::Client,
    p: &Provider,
    purpose: Purpose,
    login_hint: Option<&str>,
    now: i64,
) -> Result<(String, Pending), FederationError> {
    let client = client(http, p).await?;
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
    http: &reqwest::Client,
    p: &Provider,
    pending: &Pending,
    code: &str,
) -> Result<Authenticated, FederationError> {
    let client = client(http, p).await?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| FederationError::Discovery(format!("no token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
        .request_async(http)
        .await
        .map_err(|e| FederationError::Exchange(error_chain(&e)))?;
    let id_token =
        tokens.id_token().ok_or_else(|| FederationError::InvalidToken("no ID token in the response".into()))?;
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
    Ok(Authenticated {
        issuer: claims.issuer().as_str().to_string(),
        subject: claims.subject().as_str().to_string(),
        email: claims.email().map(|e| e.as_str().to_string()),
        email_verified: claims.email_verified().unwrap_or(false),
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
