//! The one HTTP client for the portal's server-side requests: to identity providers
//! (discovery, keys, token, UserInfo, GitHub's API) and to apps (back-channel logout) —
//! addresses an admin typed, or that a discovery document named. Where a request may go is
//! `domain::network`'s rule; here it is enforced (SSRF):
//!
//! - A host name is resolved by our resolver, which hands the connector only the addresses
//!   allowed: the address checked is the address connected to, with no second lookup for a
//!   rebinding DNS server to answer differently.
//! - An IP address in the URL never reaches a resolver (reqwest connects to it directly),
//!   so it is checked before the request is built: `get`/`post` return a request only for
//!   an allowed target, and openidconnect/oauth2 calls go through the same check.
//! - No redirect is followed (each hop would need the check, and a mix-up defence wants
//!   none), and no proxy is used: a proxy resolves the name itself, past the check.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use oauth2::{AsyncHttpClient, HttpClientError, HttpRequest, HttpResponse};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

use crate::config::Settings;
use crate::domain::network::{self, RefusedAddress};

/// Why no request was sent.
#[derive(Debug, thiserror::Error)]
pub enum RefusedTarget {
    #[error("{0:?} is not a URL")]
    NotAUrl(String),
    #[error("no request is sent to {host}: {}", list(.refused))]
    Refused { host: String, refused: Vec<RefusedAddress> },
    #[error("{0} resolves to no address")]
    NoAddress(String),
}

fn list(refused: &[RefusedAddress]) -> String {
    refused.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// The HTTP client for requests the server makes: only to allowed addresses, no redirects
/// followed, bounded time. Cheap to clone (one connection pool).
#[derive(Clone)]
pub struct OutboundHttp {
    client: reqwest::Client,
    allow_internal: bool,
}

impl OutboundHttp {
    /// Built from `allow_private_network_targets` and the test hook `resolve_overrides`.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<OutboundHttp> {
        let overrides =
            settings.resolve_overrides.iter().map(|(host, addrs)| (normalise(host), addrs.clone())).collect();
        let resolver = CheckingResolver { allow_internal: settings.allow_private_network_targets, overrides };
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(resolver))
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(OutboundHttp { client, allow_internal: settings.allow_private_network_targets })
    }

    pub fn get(&self, url: &str) -> Result<reqwest::RequestBuilder, RefusedTarget> {
        Ok(self.client.get(self.check(url)?))
    }

    pub fn post(&self, url: &str) -> Result<reqwest::RequestBuilder, RefusedTarget> {
        Ok(self.client.post(self.check(url)?))
    }

    /// The URL, parsed, once an IP address in it is allowed (a name is checked when it is
    /// resolved, by `CheckingResolver`).
    fn check(&self, url: &str) -> Result<Url, RefusedTarget> {
        let parsed = Url::parse(url).map_err(|_| RefusedTarget::NotAUrl(url.to_string()))?;
        network::check_literal_host(&parsed, self.allow_internal).map_err(|refused| RefusedTarget::Refused {
            host: parsed.host_str().unwrap_or_default().to_string(),
            refused: vec![refused],
        })?;
        Ok(parsed)
    }
}

type OAuthFuture<'c> =
    Pin<Box<dyn Future<Output = Result<HttpResponse, HttpClientError<reqwest::Error>>> + Send + Sync + 'c>>;

/// openidconnect and oauth2 send token and UserInfo requests through this: to endpoints a
/// discovery document named, which may be IP addresses.
impl<'c> AsyncHttpClient<'c> for OutboundHttp {
    type Error = HttpClientError<reqwest::Error>;
    type Future = OAuthFuture<'c>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        if let Err(refused) = self.check(&request.uri().to_string()) {
            return Box::pin(std::future::ready(Err(HttpClientError::Other(refused.to_string()))));
        }
        Box::pin(async move {
            let request = reqwest::Request::try_from(request).map_err(Box::new)?;
            let response = self.client.execute(request).await.map_err(Box::new)?;
            let mut answer = oauth2::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                answer = answer.header(name, value);
            }
            let body = read_limited(response, MAX_RESPONSE).await.map_err(HttpClientError::Other)?;
            answer.body(body).map_err(HttpClientError::Http)
        })
    }
}

/// The largest answer the server reads from another server: discovery documents, key
/// sets, tokens and user info are a few kilobytes; a peer that sends more is refused
/// before it can fill the memory.
pub const MAX_RESPONSE: usize = 1024 * 1024;

/// Reads a response's body, refusing one larger than `max` bytes as it streams in.
pub async fn read_limited(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, String> {
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(format!("the answer is larger than {max} bytes"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > max {
            return Err(format!("the answer is larger than {max} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Resolves a name (the overrides first, then the system's resolver) and keeps only the
/// addresses a request may go to.
struct CheckingResolver {
    allow_internal: bool,
    overrides: HashMap<String, Vec<IpAddr>>,
}

/// `Evil.Example.` and `evil.example` are one name.
fn normalise(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

impl Resolve for CheckingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = normalise(name.as_str());
        let allow_internal = self.allow_internal;
        let overridden = self.overrides.get(&host).cloned();
        Box::pin(async move {
            let found = match overridden {
                Some(addrs) => addrs,
                None => lookup(host.clone()).await?,
            };
            let (allowed, refused): (Vec<IpAddr>, Vec<IpAddr>) =
                found.into_iter().partition(|ip| network::may_connect(*ip, allow_internal));
            if allowed.is_empty() {
                let refused: Vec<RefusedAddress> =
                    refused.into_iter().filter_map(|ip| network::check_address(ip, allow_internal).err()).collect();
                let error = if refused.is_empty() {
                    RefusedTarget::NoAddress(host)
                } else {
                    RefusedTarget::Refused { host, refused }
                };
                return Err(error.into());
            }
            if !refused.is_empty() {
                tracing::warn!(%host, refused = ?refused, "a name resolved to addresses no request is sent to; they are skipped");
            }
            // Port 0: the connector puts in the URL's port (or the scheme's).
            let addrs: Addrs = Box::new(allowed.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// The system's resolver (getaddrinfo), off the async threads.
async fn lookup(host: String) -> std::io::Result<Vec<IpAddr>> {
    tokio::task::spawn_blocking(move || {
        (host.as_str(), 0).to_socket_addrs().map(|addrs| addrs.map(|a| a.ip()).collect())
    })
    .await
    .map_err(std::io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(allow_internal: bool, overrides: &[(&str, &str)]) -> OutboundHttp {
        let mut settings = Settings { allow_private_network_targets: allow_internal, ..Settings::default() };
        for (host, ip) in overrides {
            settings.resolve_overrides.entry(host.to_string()).or_default().push(ip.parse().unwrap());
        }
        OutboundHttp::from_settings(&settings).unwrap()
    }

    #[test]
    fn ip_addresses_in_the_url_are_checked_before_any_request() {
        let http = client(false, &[]);
        for bad in
            ["https://169.254.169.254/latest", "https://10.0.0.1/", "https://[fe80::1]/", "http://127.0.0.1:5432"]
        {
            assert!(matches!(http.post(bad), Err(RefusedTarget::Refused { .. })), "{bad}");
        }
        assert!(http.get("https://idp.example/").is_ok());
        assert!(matches!(http.get("not a url"), Err(RefusedTarget::NotAUrl(_))));
        assert!(client(true, &[]).post("http://127.0.0.1:5432").is_ok());
        assert!(client(true, &[]).post("https://169.254.169.254/").is_err(), "never, whatever the setting");
    }

    #[tokio::test]
    async fn token_and_userinfo_requests_are_checked_too() {
        let request = oauth2::http::Request::builder()
            .method("POST")
            .uri("https://[::ffff:169.254.169.254]/token")
            .body(Vec::new())
            .unwrap();
        let err = client(true, &[]).call(request).await.unwrap_err();
        assert!(err.to_string().contains("is a link-local or cloud metadata address"), "{err}");
    }

    #[tokio::test]
    async fn names_resolving_to_refused_addresses_are_not_connected_to() {
        let http = client(false, &[("evil.example", "169.254.169.254"), ("Mixed.Example", "10.0.0.1")]);
        let resolver = CheckingResolver {
            allow_internal: false,
            overrides: [("evil.example".to_string(), vec!["169.254.169.254".parse().unwrap()])].into(),
        };
        let err = match resolver.resolve("evil.example".parse().unwrap()).await {
            Ok(_) => panic!("resolved"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("169.254.169.254 is a link-local or cloud metadata address"), "{err}");

        let err = http.get("http://mixed.example./x").unwrap().send().await.unwrap_err();
        let chain = crate::federation::error_chain(&err);
        assert!(chain.contains("10.0.0.1 is a private network address"), "{chain}");

        // A name with one public and one refused address keeps only the public one.
        let resolver = CheckingResolver {
            allow_internal: false,
            overrides: [("both.example".to_string(), vec!["10.0.0.1".parse().unwrap(), "8.8.8.8".parse().unwrap()])]
                .into(),
        };
        let kept: Vec<SocketAddr> = resolver.resolve("both.example".parse().unwrap()).await.unwrap().collect();
        assert_eq!(kept, vec!["8.8.8.8:0".parse::<SocketAddr>().unwrap()]);
    }
}
