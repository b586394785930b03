//! Identity providers as configured: a URL-safe slug (it is part of the redirect URI), a
//! kind, and the email domains that home-realm discovery sends to it.

use super::form::InputError;

pub const KINDS: &[(&str, &str)] = &[
    ("oidc", "OpenID Connect (discovery)"),
    ("github", "GitHub"),
    ("google", "Google"),
    ("microsoft", "Microsoft (Entra ID)"),
    ("saml", "SAML 2.0"),
];

/// The slug: 2–40 of `a-z 0-9 -`, starting with a letter.
pub fn parse_slug(input: &str) -> Result<String, InputError> {
    let s = input.trim().to_lowercase();
    let ok = (2..=40).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(s)
    } else {
        Err(InputError::new(
            "The short name must be 2–40 lower-case letters, digits or dashes, starting with a letter.",
        ))
    }
}

/// A kind of the OpenID Connect / OAuth form (a SAML IdP has its own form and flow).
pub fn parse_kind(input: &str) -> Result<&'static str, InputError> {
    KINDS
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| *k != "saml")
        .find(|k| *k == input)
        .ok_or_else(|| InputError::new("Choose a kind of identity provider."))
}

/// The default issuer of a preset kind; generic OIDC needs one given.
pub fn preset_issuer(kind: &str) -> Option<&'static str> {
    match kind {
        // Not an OpenID issuer: GitHub's web origin (its API is at api.github.com).
        "github" => Some("https://github.com"),
        "google" => Some("https://accounts.google.com"),
        // The multi-tenant endpoint: each token's issuer names the user's own tenant.
        "microsoft" => Some("https://login.microsoftonline.com/common/v2.0"),
        _ => None,
    }
}

/// Email domains, separated by commas, spaces or lines; each lower-cased and checked.
pub fn parse_domains(input: &str) -> Result<Vec<String>, InputError> {
    let mut out: Vec<String> = Vec::new();
    for d in input.split(|c: char| c == ',' || c.is_whitespace()).filter(|d| !d.is_empty()) {
        let typed = d.trim_start_matches('@').to_lowercase();
        let d = match super::email::EmailAddress::parse(&format!("x@{typed}")) {
            Ok(probe) => probe.domain().to_string(),
            Err(_) => return Err(InputError::new(format!("“{typed}” is not a domain name like partner.example."))),
        };
        if !out.contains(&d) {
            out.push(d);
        }
    }
    if out.len() > 50 {
        return Err(InputError::new("List at most 50 domains."));
    }
    Ok(out)
}

/// Where Vestibule may send a client secret and fetch keys from: `https://` (plain `http://`
/// only when the operator allowed it for development), and never a link-local or cloud
/// metadata address, whatever the setting (a server-side request to those reads the
/// host's credentials). An IP address inside (loopback, private) only with
/// `allow_internal` (`allow_private_network_targets`); a name is checked when it is
/// resolved, at each request.
pub fn check_issuer(issuer: &str, allow_http: bool, allow_internal: bool) -> Result<(), InputError> {
    let url = url::Url::parse(issuer).map_err(|_| InputError::new("The issuer URL must be a full address."))?;
    if url.scheme() != "https" && !(allow_http && url.scheme() == "http") {
        return Err(InputError::new("The issuer URL must start with https://."));
    }
    let metadata_name = match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.');
            matches!(d, "metadata" | "metadata.google.internal" | "instance-data" | "instance-data.ec2.internal")
        }
        Some(_) => false,
        None => true,
    };
    if metadata_name {
        return Err(InputError::new(
            "The issuer URL points at a link-local or cloud metadata address, which is never allowed.",
        ));
    }
    super::network::check_typed_target(issuer, "The issuer URL", allow_internal)
}

/// Whether an IdP's stored domain list (space separated) names this email's domain.
pub fn serves_domain(domains: &str, email_domain: &str) -> bool {
    domains.split_whitespace().any(|d| d == email_domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_must_be_https_and_never_metadata() {
        assert!(check_issuer("https://login.fabrikam.example", false, false).is_ok());
        assert!(check_issuer("http://login.fabrikam.example", false, false).is_err());
        assert!(check_issuer("http://127.0.0.1:9000", true, true).is_ok(), "a development peer");
        for inside in
            ["http://127.0.0.1:9000", "https://10.0.0.1/", "https://[fd00::1]/", "https://[::ffff:192.168.0.1]/"]
        {
            let e = check_issuer(inside, true, false).unwrap_err();
            assert!(e.0.contains("the portal sends no requests there"), "{inside}: {e}");
        }
        for bad in [
            "https://169.254.169.254/latest",
            "http://169.254.169.254",
            "https://[fe80::1]/",
            "https://metadata.google.internal/",
            "https://100.100.100.200/",
            "https://[fd00:ec2::254]/",
        ] {
            let e = check_issuer(bad, true, true).unwrap_err();
            assert!(e.0.contains("link-local or cloud metadata"), "{bad}: {e}");
        }
    }

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(parse_slug(" Contoso-SSO ").unwrap(), "contoso-sso");
        for bad in ["a", "1abc", "has space", "x/y", "ümlaut"] {
            assert!(parse_slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn domains_are_listed_and_checked() {
        assert_eq!(
            parse_domains("Partner.example, @other.example\nthird.example").unwrap(),
            vec!["partner.example", "other.example", "third.example"]
        );
        assert!(parse_domains("not a domain!").is_err());
        assert!(serves_domain("partner.example other.example", "other.example"));
        assert!(!serves_domain("partner.example", "partner.example.evil"));
    }
}
