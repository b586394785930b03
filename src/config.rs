//! One `Settings` struct: defaults in code, then `vestibule.toml` (or `VESTIBULE_CONFIG`),
//! then `VESTIBULE_*` environment variables, which win.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::domain::settings::{DEFAULT_ACCENT, DomainPolicy, EndOfAccess, PortalSettings};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `sqlite:./var/vestibule.db` or `postgres://…`.
    pub database_url: String,
    pub bind: String,
    /// The URL people use to reach the portal; links in mail are built from it.
    pub public_url: String,
    /// `file:DIR`, `smtp://host:port` or `smtps://user:pass@host:port`. A secret: it may
    /// carry the SMTP password. Print it with `mail_for_people`.
    pub mail: SecretString,
    pub mail_from: String,
    /// Base64 of 32 random bytes. Unset: generated into `data_dir/instance.key`.
    pub secret_key: Option<SecretString>,
    pub data_dir: PathBuf,
    pub org_name: String,
    pub privacy_url: String,
    pub terms_text: String,
    pub terms_version: String,
    /// Days an invitation stays valid.
    pub invitation_ttl_days: i64,
    /// Run the background worker (mail delivery, expiry) inside `serve`.
    pub worker: bool,
    /// Seconds between two passes of the worker.
    pub worker_interval_secs: u64,
    /// HTTP worker threads; 0 means one per CPU.
    pub http_workers: usize,
    /// Accept `http://` issuers for identity providers: for development and tests only.
    pub allow_http_identity_providers: bool,
    /// Let server-side requests (identity providers, apps' back-channel logout) go to
    /// loopback and private network addresses: for development and test peers only.
    /// Link-local and cloud-metadata addresses stay refused either way.
    pub allow_private_network_targets: bool,
    /// Host names answered from here before DNS is asked, their addresses checked like any
    /// (tests: "evil.example resolves to 169.254.169.254"). Not read from the file or the
    /// environment.
    #[serde(skip)]
    pub resolve_overrides: std::collections::HashMap<String, Vec<std::net::IpAddr>>,
    /// Development tools (`vestibule dev seed`) may run: never on a production database.
    pub dev_mode: bool,
    /// Calls each API key may make per minute (bursts of a third of it at once).
    pub api_calls_per_minute: u32,
    /// `/metrics` (Prometheus text) answers only with `Authorization: Bearer` and this token;
    /// unset, `/metrics` is not served at all.
    pub metrics_token: Option<SecretString>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (their own addresses).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Identity providers declared here are created or updated at start.
    pub identity_providers: Vec<IdpConfig>,
    /// Apps declared here are created or updated at start (SPEC §5).
    pub apps: Vec<AppConfig>,
}

/// `[[apps]]` in `vestibule.toml`: an app, and with `client_id` an OpenID Connect client of
/// the portal. Field meanings as on the admin form.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub launch_url: String,
    #[serde(default)]
    pub icon_url: String,
    #[serde(default = "yes")]
    pub visible_in_panel: bool,
    /// A second step before the app opens.
    #[serde(default)]
    pub mfa_required: bool,
    pub client_id: Option<String>,
    /// With a secret the client is confidential; without one, public (PKCE only).
    pub client_secret: Option<SecretString>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    pub backchannel_logout_uri: String,
    #[serde(default)]
    pub initiate_login_uri: String,
    #[serde(default = "rs256")]
    pub id_token_alg: String,
    #[serde(default)]
    pub consent_required: bool,
    #[serde(default)]
    pub pairwise_subject: bool,
}

fn rs256() -> String {
    "RS256".into()
}

/// `[[identity_providers]]` in `vestibule.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpConfig {
    pub slug: String,
    #[serde(default = "oidc")]
    pub kind: String,
    pub display_name: String,
    #[serde(default)]
    pub issuer: String,
    /// OpenID Connect and OAuth kinds only.
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<SecretString>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The host's own (workforce) IdP, through which members sign in.
    #[serde(default)]
    pub workforce: bool,
    /// Accept the MFA this IdP did (`amr`, or an `acr` listed in `trusted_acr`; for SAML the
    /// REFEDS MFA context or an AuthnContextClassRef listed there).
    #[serde(default)]
    pub trust_mfa: bool,
    #[serde(default)]
    pub trusted_acr: Vec<String>,
    /// `kind = "saml"`: the partner's metadata, by URL or from a file.
    #[serde(default)]
    pub metadata_url: String,
    #[serde(default)]
    pub metadata_file: Option<std::path::PathBuf>,
    /// `kind = "saml"`: trust the email attribute (SAML has no `email_verified`).
    #[serde(default)]
    pub email_trusted: bool,
    #[serde(default)]
    pub allow_sha1: bool,
    #[serde(default)]
    pub allow_idp_initiated: bool,
    /// `kind = "saml"`: sign our AuthnRequests (our metadata then carries the certificate).
    #[serde(default)]
    pub sign_requests: bool,
    #[serde(default)]
    pub persistent_attribute: String,
    #[serde(default)]
    pub email_attributes: Vec<String>,
    #[serde(default)]
    pub name_attributes: Vec<String>,
}

fn oidc() -> String {
    "oidc".into()
}

fn yes() -> bool {
    true
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: "sqlite:./var/vestibule.db".into(),
            bind: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            mail: "file:./var/mail".to_string().into(),
            mail_from: "Vestibule <no-reply@vestibule.localhost>".into(),
            secret_key: None,
            data_dir: PathBuf::from("./var"),
            org_name: "Vestibule".into(),
            privacy_url: String::new(),
            terms_text: "Use the shared applications only for the collaboration you were invited for. \
                         Do not share your access with anyone else."
                .into(),
            terms_version: "1".into(),
            invitation_ttl_days: 30,
            worker: true,
            worker_interval_secs: 2,
            http_workers: 0,
            allow_http_identity_providers: false,
            allow_private_network_targets: false,
            resolve_overrides: std::collections::HashMap::new(),
            dev_mode: false,
            api_calls_per_minute: 300,
            metrics_token: None,
            trusted_proxies: Vec::new(),
            identity_providers: Vec::new(),
            apps: Vec::new(),
        }
    }
}

impl Settings {
    /// Reads the config file (if any) and the environment.
    pub fn load() -> anyhow::Result<Settings> {
        let path = std::env::var("VESTIBULE_CONFIG").ok().map(PathBuf::from);
        let mut settings = match &path {
            Some(p) => Self::from_file(p)?,
            None if Path::new("vestibule.toml").exists() => Self::from_file(Path::new("vestibule.toml"))?,
            None => Settings::default(),
        };
        settings.apply_env(|k| std::env::var(k).ok())?;
        settings.check()?;
        Ok(settings)
    }

    fn from_file(path: &Path) -> anyhow::Result<Settings> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        let text = |k: &str, slot: &mut String| {
            if let Some(v) = var(k) {
                *slot = v;
            }
        };
        text("VESTIBULE_DATABASE_URL", &mut self.database_url);
        text("VESTIBULE_BIND", &mut self.bind);
        text("VESTIBULE_PUBLIC_URL", &mut self.public_url);
        if let Some(v) = var("VESTIBULE_MAIL") {
            self.mail = v.into();
        }
        text("VESTIBULE_MAIL_FROM", &mut self.mail_from);
        text("VESTIBULE_ORG_NAME", &mut self.org_name);
        text("VESTIBULE_PRIVACY_URL", &mut self.privacy_url);
        if let Some(v) = var("VESTIBULE_SECRET_KEY") {
            self.secret_key = Some(v.into());
        }
        if let Some(v) = var("VESTIBULE_METRICS_TOKEN") {
            self.metrics_token = Some(v.into());
        }
        if let Some(v) = var("VESTIBULE_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| p.parse().with_context(|| format!("VESTIBULE_TRUSTED_PROXIES: {p:?} is not an IP address")))
                .collect::<anyhow::Result<_>>()?;
        }
        if let Some(v) = var("VESTIBULE_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        let flag = |v: String| matches!(v.as_str(), "1" | "true" | "yes" | "on");
        if let Some(v) = var("VESTIBULE_WORKER") {
            self.worker = flag(v);
        }
        if let Some(v) = var("VESTIBULE_ALLOW_HTTP_IDENTITY_PROVIDERS") {
            self.allow_http_identity_providers = flag(v);
        }
        if let Some(v) = var("VESTIBULE_ALLOW_PRIVATE_NETWORK_TARGETS") {
            self.allow_private_network_targets = flag(v);
        }
        if let Some(v) = var("VESTIBULE_DEV_MODE") {
            self.dev_mode = flag(v);
        }
        if let Some(v) = var("VESTIBULE_API_CALLS_PER_MINUTE") {
            self.api_calls_per_minute = v.parse().context("VESTIBULE_API_CALLS_PER_MINUTE is not a number")?;
        }
        Ok(())
    }

    fn check(&mut self) -> anyhow::Result<()> {
        let url = Url::parse(&self.public_url).context("VESTIBULE_PUBLIC_URL is not a URL")?;
        if !matches!(url.scheme(), "http" | "https") {
            bail!("VESTIBULE_PUBLIC_URL must be http(s)");
        }
        self.public_url = self.public_url.trim_end_matches('/').to_string();
        if self.invitation_ttl_days < 1 {
            bail!("invitation_ttl_days must be at least 1");
        }
        if self.api_calls_per_minute < 3 {
            bail!("api_calls_per_minute must be at least 3");
        }
        if self.metrics_token.as_ref().is_some_and(|t| t.expose_secret().len() < 16) {
            bail!("metrics_token must be at least 16 characters");
        }
        Ok(())
    }

    /// The portal settings before any admin saved the settings page: from this file.
    pub fn portal_defaults(&self) -> PortalSettings {
        PortalSettings {
            org_name: self.org_name.clone(),
            logo_url: String::new(),
            logo_image: None,
            accent: DEFAULT_ACCENT.into(),
            privacy_url: self.privacy_url.clone(),
            terms_text: self.terms_text.clone(),
            terms_version: self.terms_version.clone(),
            invitation_ttl_days: self.invitation_ttl_days,
            signup_ttl_days: 14,
            domain_policy: DomainPolicy::AllowAll,
            domains: Vec::new(),
            members_require_workforce: false,
            org_domains: Vec::new(),
            redirect_origins: Vec::new(),
            invite_policy: crate::domain::settings::InvitePolicy::Members,
            guest_lifetime_days: 0,
            guests_mfa: false,
            members_mfa: false,
            inactive_after_days: 90,
            end_of_access: EndOfAccess::BlockThenDelete,
            audit_retention_days: 365,
            mail_retention_days: 30,
        }
    }

    /// Where mail goes, with any password in the SMTP URL masked: for logs and the console.
    pub fn mail_for_people(&self) -> String {
        let spec = self.mail.expose_secret();
        match Url::parse(spec) {
            Ok(mut url) if url.password().is_some() => {
                url.set_password(Some("***")).ok();
                url.to_string()
            }
            _ => spec.to_string(),
        }
    }

    /// Whether cookies get `Secure` and the `__Host-` prefix.
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The scheme, host and port of the public URL: what "same origin" means.
    pub fn public_origin(&self) -> String {
        Url::parse(&self.public_url).map(|u| u.origin().ascii_serialization()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_wins_over_defaults() {
        let mut s = Settings::default();
        s.apply_env(|k| (k == "VESTIBULE_BIND").then(|| "0.0.0.0:9000".to_string())).unwrap();
        assert_eq!(s.bind, "0.0.0.0:9000");
        assert_eq!(s.mail.expose_secret(), "file:./var/mail");
    }

    #[test]
    fn a_trailing_slash_is_dropped_from_the_public_url() {
        let mut s = Settings { public_url: "https://portal.example/".into(), ..Settings::default() };
        s.check().unwrap();
        assert_eq!(s.public_url, "https://portal.example");
        assert!(s.is_https());
    }

    #[test]
    fn identity_providers_can_be_declared_in_the_file() {
        let s: Settings = toml::from_str(
            r#"
            org_name = "Contoso"
            [[identity_providers]]
            slug = "contoso"
            display_name = "Contoso SSO"
            issuer = "https://login.contoso.example"
            client_id = "vestibule"
            client_secret = "s"
            domains = ["contoso.example"]
            workforce = true
            "#,
        )
        .unwrap();
        let idp = &s.identity_providers[0];
        assert_eq!((idp.kind.as_str(), idp.enabled, idp.workforce), ("oidc", true, true));
        assert!(toml::from_str::<Settings>("[[identity_providers]]\nslug = \"x\"\ntypo = 1").is_err());
    }

    #[test]
    fn secrets_are_never_printed() {
        let mut s = Settings::default();
        s.apply_env(|k| match k {
            "VESTIBULE_MAIL" => Some("smtp://mailer:hunter2@smtp.contoso.example:587".into()),
            "VESTIBULE_SECRET_KEY" => Some("c2VjcmV0LWtleS1tYXRlcmlhbA==".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.mail_for_people(), "smtp://mailer:***@smtp.contoso.example:587");
        let debug = format!("{s:?}");
        assert!(!debug.contains("hunter2") && !debug.contains("c2VjcmV0"), "{debug}");
    }

    #[test]
    fn a_non_http_public_url_is_refused() {
        let mut s = Settings { public_url: "ftp://x".into(), ..Settings::default() };
        assert!(s.check().is_err());
    }
}
