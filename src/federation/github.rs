//! GitHub: plain OAuth 2.0 (`oauth2`), no ID token. The identity is GitHub's numeric user
//! id (logins can be renamed and reused); the email is the account's primary address, and
//! only when GitHub's emails API says it is verified.
//!
//! The provider's issuer is the GitHub web origin: `https://github.com`, whose API lives at
//! `https://api.github.com`, or a GitHub Enterprise Server origin, whose API lives at
//! `{origin}/api/v3`.

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::outbound::OutboundHttp;
use super::{Authenticated, FederationError, Pending, Provider, Purpose, error_chain};

fn api_base(issuer: &str) -> String {
    if issuer == "https://github.com" { "https://api.github.com".to_string() } else { format!("{issuer}/api/v3") }
}

type GithubClient = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

fn client(p: &Provider) -> Result<GithubClient, FederationError> {
    let bad = |what: &str, e: url::ParseError| FederationError::Discovery(format!("{what}: {e}"));
    Ok(BasicClient::new(ClientId::new(p.client_id.clone()))
        .set_client_secret(ClientSecret::new(p.client_secret.expose_secret().to_string()))
        .set_auth_uri(AuthUrl::new(format!("{}/login/oauth/authorize", p.issuer)).map_err(|e| bad("authorize URL", e))?)
        .set_token_uri(
            TokenUrl::new(format!("{}/login/oauth/access_token", p.issuer)).map_err(|e| bad("token URL", e))?,
        )
        .set_redirect_uri(RedirectUrl::new(p.redirect_uri.clone()).map_err(|e| bad("redirect URI", e))?))
}

/// GitHub has no login hint by email (its `login` parameter takes a user name).
pub fn start(p: &Provider, purpose: Purpose, now: i64) -> Result<(String, Pending), FederationError> {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let client = client(p)?;
    let mut request = client.authorize_url(CsrfToken::new_random).set_pkce_challenge(challenge);
    for scope in p.scopes.split_whitespace() {
        request = request.add_scope(Scope::new(scope.to_string()));
    }
    let (url, state) = request.url();
    let pending = Pending {
        slug: p.slug.clone(),
        state: state.secret().clone(),
        nonce: String::new(),
        pkce_verifier: verifier.secret().clone(),
        purpose,
        started: now,
    };
    Ok((url.to_string(), pending))
}

#[derive(Deserialize)]
struct GithubUser {
    id: u64,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct GithubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

pub async fn finish(
    http: &OutboundHttp,
    p: &Provider,
    pending: &Pending,
    code: &str,
) -> Result<Authenticated, FederationError> {
    let tokens = client(p)?
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
        .request_async(http)
        .await
        .map_err(|e| FederationError::Exchange(error_chain(&e)))?;
    let access = tokens.access_token().secret();
    let api = api_base(&p.issuer);
    let user: GithubUser = api_get(http, &format!("{api}/user"), access).await?;
    let emails: Vec<GithubEmail> = api_get(http, &format!("{api}/user/emails"), access).await?;
    let primary = emails.into_iter().find(|e| e.primary);
    Ok(Authenticated {
        issuer: p.issuer.clone(),
        subject: user.id.to_string(),
        email_verified: primary.as_ref().is_some_and(|e| e.verified),
        email: primary.map(|e| e.email),
        name: user.name,
        amr: Vec::new(),
        acr: None,
        auth_time: None,
    })
}

async fn api_get<T: serde::de::DeserializeOwned>(
    http: &OutboundHttp,
    url: &str,
    access_token: &str,
) -> Result<T, FederationError> {
    let failed = |e: reqwest::Error| FederationError::Exchange(format!("{url}: {}", error_chain(&e)));
    let response = http
        .get(url)
        .map_err(|e| FederationError::Exchange(format!("{url}: {e}")))?
        .bearer_auth(access_token)
        .header("accept", "application/vnd.github+json")
        .header("user-agent", "vestibule")
        .send()
        .await
        .map_err(failed)?
        .error_for_status()
        .map_err(failed)?;
    let body = super::outbound::read_limited(response, super::outbound::MAX_RESPONSE)
        .await
        .map_err(|e| FederationError::Exchange(format!("{url}: {e}")))?;
    serde_json::from_slice(&body).map_err(|e| FederationError::Exchange(format!("{url}: {e}")))
}
