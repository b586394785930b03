//! URLs people give us: app launch URLs and icons (absolute http/https) and redirect
//! targets, which may only be same-origin paths or registered apps (no open redirect).

use url::Url;

use super::form::InputError;

/// An absolute http(s) URL, at most 2,000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl(String);

impl WebUrl {
    pub fn parse(input: &str, what: &str) -> Result<WebUrl, InputError> {
        let s = input.trim();
        if s.len() > 2000 {
            return Err(InputError::new(format!("{what} is too long.")));
        }
        let url = Url::parse(s)
            .map_err(|_| InputError::new(format!("{what} must be a full address starting with https://.")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(InputError::new(format!("{what} must start with https:// or http://.")));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(InputError::new(format!("{what} must not contain a user name or password.")));
        }
        Ok(WebUrl(url.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn origin(&self) -> String {
        origin_of(&self.0).unwrap_or_default()
    }
}

pub fn origin_of(url: &str) -> Option<String> {
    Url::parse(url).ok().map(|u| u.origin().ascii_serialization())
}

/// A same-origin path such as `/apps?x=1`: no scheme, no host, no `//` or `/\` tricks.
pub fn is_local_path(s: &str) -> bool {
    s.starts_with('/')
        && !s.starts_with("//")
        && !s.starts_with("/\\")
        && !s.chars().any(|c| c.is_control() || c == '\\')
        && s.len() <= 2000
}

/// Where a browser may be sent after an invitation is redeemed: a path on this portal,
/// or an address on the origin of one of the registered apps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectTarget(String);

impl RedirectTarget {
    pub fn parse(input: &str, public_origin: &str, app_origins: &[String]) -> Result<RedirectTarget, InputError> {
        let s = input.trim();
        if is_local_path(s) {
            return Ok(RedirectTarget(s.to_string()));
        }
        let url = WebUrl::parse(s, "The redirect URL")?;
        let origin = url.origin();
        if origin == public_origin || app_origins.iter().any(|o| o == &origin) {
            Ok(RedirectTarget(url.0))
        } else {
            Err(InputError::new(
                "The redirect URL must be a page of this portal, of one of its registered apps, or of an address \
                 listed under Settings → Other addresses guests may be sent to.",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "https://portal.example";

    #[test]
    fn local_paths_and_app_origins_are_allowed() {
        let apps = vec!["https://wiki.example".to_string()];
        assert!(RedirectTarget::parse("/apps", ORIGIN, &apps).is_ok());
        assert!(RedirectTarget::parse("https://wiki.example/page", ORIGIN, &apps).is_ok());
        assert!(RedirectTarget::parse("https://portal.example/profile", ORIGIN, &apps).is_ok());
    }

    #[test]
    fn other_places_are_open_redirects() {
        let apps = vec!["https://wiki.example".to_string()];
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "https://wiki.example.evil.example/",
        ] {
            assert!(RedirectTarget::parse(bad, ORIGIN, &apps).is_err(), "{bad}");
        }
    }

    #[test]
    fn web_urls_must_be_http() {
        assert!(WebUrl::parse("https://a.example/x", "URL").is_ok());
        assert!(WebUrl::parse("ftp://a.example", "URL").is_err());
        assert!(WebUrl::parse("https://user:pw@a.example", "URL").is_err());
        assert!(WebUrl::parse("not a url", "URL").is_err());
    }
}
