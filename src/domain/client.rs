//! Apps as OpenID Connect clients of the portal (SPEC F9): client ids, redirect URIs
//! (registered exactly, compared exactly: RFC 9700 §4.1.3), the ID-token algorithm, and
//! the scopes and PKCE values an authorization request carries.

use url::Url;

use super::form::InputError;

stored_states! {
    /// Confidential clients authenticate with a secret; public ones (single-page and native
    /// apps) only prove possession of the PKCE verifier.
    pub enum ClientType {
        Confidential = "confidential",
        Public = "public",
    }
}

impl ClientType {
    pub fn label(self) -> &'static str {
        match self {
            ClientType::Confidential => "Confidential (a server-side app with a client secret)",
            ClientType::Public => "Public (a browser or mobile app: PKCE only, no secret)",
        }
    }
}

stored_states! {
    /// How the app's ID tokens are signed. RS256 is the default: every relying party can
    /// verify it (mod_auth_openidc cannot verify EdDSA).
    pub enum SigningAlg {
        Rs256 = "RS256",
        Es256 = "ES256",
        EdDsa = "EdDSA",
    }
}

/// Most URIs one app may register in one list.
const MAX_URIS: usize = 10;

/// A client id: 1–64 characters of letters, digits and `-._~` (safe in a URL unescaped).
pub fn parse_client_id(input: &str) -> Result<String, InputError> {
    let s = input.trim();
    if s.is_empty() || s.len() > 64 || !s.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)) {
        return Err(InputError::new("The client ID must be 1 to 64 letters, digits, dots, dashes or underscores."));
    }
    Ok(s.to_string())
}

/// A client id made from the app's name: `Team Wiki` → `team-wiki`.
pub fn client_id_from_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').chars().take(48).collect::<String>();
    if out.is_empty() { "app".into() } else { out }
}

/// One URI per line. Each is absolute, without a fragment or credentials, and https —
/// or http on a loopback host (RFC 8252 §7.3, OAuth 2.1 §2.3.1). No wildcards: what is
/// registered is compared character for character.
pub fn parse_uri_list(input: &str, what: &str) -> Result<Vec<String>, InputError> {
    let uris: Vec<String> = input.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
    if uris.len() > MAX_URIS {
        return Err(InputError::new(format!("{what}: at most {MAX_URIS} addresses.")));
    }
    for uri in &uris {
        parse_app_uri(uri, what)?;
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(twice) = uris.iter().find(|u| !seen.insert(u.as_str())) {
        return Err(InputError::new(format!("{what}: {twice} is listed twice.")));
    }
    Ok(uris)
}

/// A single optional URI with the same rules (back-channel logout, initiate login).
pub fn parse_optional_uri(input: &str, what: &str) -> Result<Option<String>, InputError> {
    let s = input.trim();
    if s.is_empty() { Ok(None) } else { parse_app_uri(s, what).map(|_| Some(s.to_string())) }
}

fn parse_app_uri(uri: &str, what: &str) -> Result<Url, InputError> {
    if uri.len() > 2000 {
        return Err(InputError::new(format!("{what}: an address is too long.")));
    }
    let url = Url::parse(uri).map_err(|_| InputError::new(format!("{what}: {uri} is not a full address.")))?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err(InputError::new(format!("{what}: {uri} must not contain a # fragment.")));
    }
    if uri.contains('*') {
        return Err(InputError::new(format!("{what}: wildcards are not allowed; list each address.")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(InputError::new(format!("{what}: {uri} must not contain a user name or password.")));
    }
    match url.scheme() {
        "https" if url.host_str().is_some() => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(InputError::new(format!("{what}: {uri} must use https:// (http:// only for localhost)."))),
        _ => Err(InputError::new(format!("{what}: {uri} must start with https://."))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether `uri` is exactly one of `registered` (no normalisation: `/cb/` ≠ `/cb`).
pub fn is_registered(uri: &str, registered: &[String]) -> bool {
    registered.iter().any(|r| r == uri)
}

/// The scopes the portal understands; others in a request are ignored (RFC 6749 §3.3).
pub const SCOPES: &[&str] = &["openid", "profile", "email", "groups"];

/// The granted scope for a requested one: the known scopes, in a stable order, or `None`
/// when `openid` is missing (this is an OpenID Provider only).
pub fn granted_scope(requested: &str) -> Option<String> {
    let asked: Vec<&str> = requested.split(' ').filter(|s| !s.is_empty()).collect();
    if !asked.contains(&"openid") {
        return None;
    }
    Some(SCOPES.iter().copied().filter(|s| asked.contains(s)).collect::<Vec<_>>().join(" "))
}

/// A PKCE value (verifier or S256 challenge): 43–128 unreserved characters (RFC 7636 §4.1).
pub fn is_pkce_value(s: &str) -> bool {
    (43..=128).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_exact_https_or_loopback() {
        let ok =
            parse_uri_list("https://app.example/cb\n\nhttp://127.0.0.1:9000/cb\nhttp://localhost/cb", "R").unwrap();
        assert_eq!(ok.len(), 3);
        for bad in [
            "http://app.example/cb",
            "https://app.example/cb#x",
            "https://*.example/cb",
            "https://u:p@app.example/cb",
            "javascript:alert(1)",
            "/cb",
        ] {
            assert!(parse_uri_list(bad, "R").is_err(), "{bad}");
        }
        assert!(parse_uri_list("https://a.example/cb\nhttps://a.example/cb", "R").is_err());
        let reg = vec!["https://app/cb".to_string()];
        assert!(is_registered("https://app/cb", &reg));
        for near in ["https://app/cb/", "https://app/cb/../evil", "https://app:444/cb", "https://APP/cb"] {
            assert!(!is_registered(near, &reg), "{near}");
        }
    }

    #[test]
    fn scopes_need_openid_and_drop_unknown_ones() {
        assert_eq!(granted_scope("email openid foo").as_deref(), Some("openid email"));
        assert_eq!(granted_scope("profile email"), None);
    }

    #[test]
    fn client_ids_from_names() {
        assert_eq!(client_id_from_name("Team Wiki!"), "team-wiki");
        assert_eq!(client_id_from_name("日本"), "app");
        assert!(parse_client_id("team wiki").is_err());
        assert_eq!(parse_client_id(" wiki.v2 ").unwrap(), "wiki.v2");
    }
}
