//! Generic OpenID Connect by discovery (`openidconnect`): authorization code flow with PKCE.
//! Discovery runs at the start and at the callback, so rotated signing keys are picked up.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

use super::{Authenticated, FederationError, Pending, Provider, Purpose};

async fn discover(http: &reqwest::Client, p: &Provider) -> Result<CoreProviderMetadata, FederationError> {
    let issuer =
        IssuerUrl::new(p.issuer.clone()).map_err(|e| FederationError::Discovery(format!("issuer URL: {e}")))?;
    // `discover_async` also checks that the document names exactly this issuer.
    CoreProviderMetadata::discover_async(issuer, http).await.map_err(|e| FederationError::Discovery(error_chain(&e)))
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
        Some(ClientSecret::new(p.client_secret.clone())),
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
    // Checks signature (JWKS), issuer, audience, expiry and our nonce.
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(pending.nonce.clone()))
        .map_err(|e| FederationError::InvalidToken(error_chain(&e)))?;
    Ok(Authenticated {
        issuer: claims.issuer().as_str().to_string(),
        subject: claims.subject().as_str().to_string(),
        email: claims.email().map(|e| e.as_str().to_string()),
        email_verified: claims.email_verified().unwrap_or(false),
    })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}
