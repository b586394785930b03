//! The portal's settings that admins change at run time (SPEC §2 "Settings", F7): branding,
//! terms, lifetimes, the partner domain policy and the members' sign-in rule. The config
//! file gives the first values; what an admin saves is stored as key/value pairs.
//!
//! The policies offered are in `policies`, the settings form's parsing in `form`.

mod form;
mod policies;

pub use form::{RawSettings, parse_accent};
pub use policies::{DomainPolicy, EndOfAccess, InvitePolicy};

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSettings {
    pub org_name: String,
    /// An https URL of the logo shown in pages and mail; empty for the initial letter.
    pub logo_url: String,
    /// An uploaded logo (`db::images`), which wins over `logo_url`. Stored under the key
    /// `logo_image` by its own flow: the settings form neither shows nor saves it.
    pub logo_image: Option<Uuid>,
    /// `#rrggbb`.
    pub accent: String,
    pub privacy_url: String,
    pub terms_text: String,
    pub terms_version: String,
    pub invitation_ttl_days: i64,
    pub signup_ttl_days: i64,
    pub domain_policy: DomainPolicy,
    pub domains: Vec<String>,
    /// Members may not sign in with an email code, only through the workforce IdP.
    pub members_require_workforce: bool,
    /// The organization's own email domains: a verified address in one of them, signing in
    /// through the workforce IdP for the first time, becomes a member just in time.
    pub org_domains: Vec<String>,
    /// Origins besides the portal's and the apps' that an invitation may send a guest to
    /// after redeeming (`https://intranet.contoso.example`).
    pub redirect_origins: Vec<String>,
    pub invite_policy: InvitePolicy,
    /// How long a guest's access lasts from redemption, and how far a sponsor may extend it
    /// from today; 0: guests keep access until removed.
    pub guest_lifetime_days: i64,
    /// Guests must use a second factor (conditional access, F8).
    pub guests_mfa: bool,
    /// Members must use a second factor (admins always must).
    pub members_mfa: bool,
    /// A guest who has not signed in for this many days is inactive (1–3650).
    pub inactive_after_days: i64,
    pub end_of_access: EndOfAccess,
    /// Audit events older than this many days are deleted by the worker (30–3650).
    pub audit_retention_days: i64,
    /// Sent mail older than this many days leaves the outbox (1–3650).
    pub mail_retention_days: i64,
}

pub const DEFAULT_ACCENT: &str = "#2f4ea8";

impl PortalSettings {
    /// The logo's address on the portal's pages: the uploaded one, else the logo URL; empty
    /// for the initial letter.
    pub fn logo_src(&self) -> String {
        match self.logo_image {
            Some(id) => crate::domain::image::path(id),
            None => self.logo_url.clone(),
        }
    }

    /// The stored pairs over the defaults. A stored value that no longer parses keeps the
    /// default (and the settings page shows what is in effect).
    pub fn from_pairs(defaults: PortalSettings, pairs: &[(String, String)]) -> PortalSettings {
        let mut s = defaults;
        for (k, v) in pairs {
            match k.as_str() {
                "org_name" => s.org_name = v.clone(),
                "logo_url" => s.logo_url = v.clone(),
                "logo_image" => s.logo_image = Uuid::parse_str(v).ok(),
                "accent" if parse_accent(v).is_ok() => s.accent = v.clone(),
                "privacy_url" => s.privacy_url = v.clone(),
                "terms_text" => s.terms_text = v.clone(),
                "terms_version" => s.terms_version = v.clone(),
                "invitation_ttl_days" => s.invitation_ttl_days = v.parse().unwrap_or(s.invitation_ttl_days),
                "signup_ttl_days" => s.signup_ttl_days = v.parse().unwrap_or(s.signup_ttl_days),
                "domain_policy" => s.domain_policy = DomainPolicy::parse(v).unwrap_or(s.domain_policy),
                "domains" => s.domains = v.split_whitespace().map(str::to_string).collect(),
                "members_require_workforce" => s.members_require_workforce = v == "true",
                "org_domains" => s.org_domains = v.split_whitespace().map(str::to_string).collect(),
                "redirect_origins" => s.redirect_origins = v.split_whitespace().map(str::to_string).collect(),
                "invite_policy" => s.invite_policy = InvitePolicy::parse(v).unwrap_or(s.invite_policy),
                "guest_lifetime_days" => s.guest_lifetime_days = v.parse().unwrap_or(s.guest_lifetime_days),
                "guests_mfa" => s.guests_mfa = v == "true",
                "members_mfa" => s.members_mfa = v == "true",
                "inactive_after_days" => s.inactive_after_days = v.parse().unwrap_or(s.inactive_after_days),
                "end_of_access" => s.end_of_access = EndOfAccess::parse(v).unwrap_or(s.end_of_access),
                "audit_retention_days" => s.audit_retention_days = v.parse().unwrap_or(s.audit_retention_days),
                "mail_retention_days" => s.mail_retention_days = v.parse().unwrap_or(s.mail_retention_days),
                _ => {}
            }
        }
        s
    }

    /// The pairs the settings form saves (not the uploaded logo: its flow stores that).
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("org_name", self.org_name.clone()),
            ("logo_url", self.logo_url.clone()),
            ("accent", self.accent.clone()),
            ("privacy_url", self.privacy_url.clone()),
            ("terms_text", self.terms_text.clone()),
            ("terms_version", self.terms_version.clone()),
            ("invitation_ttl_days", self.invitation_ttl_days.to_string()),
            ("signup_ttl_days", self.signup_ttl_days.to_string()),
            ("domain_policy", self.domain_policy.as_str().into()),
            ("domains", self.domains.join(" ")),
            ("members_require_workforce", self.members_require_workforce.to_string()),
            ("org_domains", self.org_domains.join(" ")),
            ("redirect_origins", self.redirect_origins.join(" ")),
            ("invite_policy", self.invite_policy.as_str().into()),
            ("guest_lifetime_days", self.guest_lifetime_days.to_string()),
            ("guests_mfa", self.guests_mfa.to_string()),
            ("members_mfa", self.members_mfa.to_string()),
            ("inactive_after_days", self.inactive_after_days.to_string()),
            ("end_of_access", self.end_of_access.as_str().into()),
            ("audit_retention_days", self.audit_retention_days.to_string()),
            ("mail_retention_days", self.mail_retention_days.to_string()),
        ]
    }

    /// Guests whose last sign-in (or, never signed in, acceptance) is before this moment
    /// are inactive.
    pub fn inactive_before(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(self.inactive_after_days)
    }

    /// Whether a person must accept the current terms of use before going on (F12): guests
    /// who accepted another version (or none). Members have no guest terms.
    pub fn asks_terms(&self, user_type: &str, accepted_version: Option<&str>) -> bool {
        user_type == super::user::GUEST && accepted_version != Some(self.terms_version.as_str())
    }

    /// Whether this person may invite guests under the policy.
    pub fn may_invite(&self, user_type: &str, is_admin: bool, is_inviter: bool) -> bool {
        match self.invite_policy {
            InvitePolicy::Everyone => true,
            InvitePolicy::Members => is_admin || user_type == super::user::MEMBER,
            InvitePolicy::AdminsAndInviters => is_admin || is_inviter,
            InvitePolicy::Nobody => false,
        }
    }

    /// Whether this address belongs to the organization itself (a member's, not a guest's).
    pub fn is_organization_email(&self, email: &str) -> bool {
        let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
        self.org_domains.iter().any(|d| super::email::domain_is_under(domain, d))
    }

    /// Whether an account may come in under the partner domain policy: it binds guests;
    /// members are the host's own.
    pub fn admits_account(&self, user_type: &str, email: &str) -> bool {
        user_type != super::user::GUEST || self.admits_email(email)
    }

    /// `admits_domain` for a stored address.
    pub fn admits_email(&self, email: &str) -> bool {
        self.admits_domain(email.rsplit_once('@').map_or("", |(_, d)| d))
    }

    /// Whether the partner domain policy lets this email domain sign up, be invited, redeem
    /// or sign in. An entry covers its subdomains.
    pub fn admits_domain(&self, domain: &str) -> bool {
        let listed = self.domains.iter().any(|d| super::email::domain_is_under(domain, d));
        match self.domain_policy {
            DomainPolicy::AllowAll => true,
            DomainPolicy::Allowlist => listed,
            DomainPolicy::Denylist => !listed,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Settings as a fresh portal has them (the config file's part is `config`'s business).
    pub(crate) fn defaults() -> PortalSettings {
        PortalSettings {
            org_name: "Vestibule".into(),
            logo_url: String::new(),
            logo_image: None,
            accent: DEFAULT_ACCENT.into(),
            privacy_url: String::new(),
            terms_text: "Be kind.".into(),
            terms_version: "1".into(),
            invitation_ttl_days: 30,
            signup_ttl_days: 14,
            domain_policy: DomainPolicy::AllowAll,
            domains: Vec::new(),
            members_require_workforce: false,
            org_domains: Vec::new(),
            redirect_origins: Vec::new(),
            invite_policy: InvitePolicy::Members,
            guest_lifetime_days: 0,
            guests_mfa: false,
            members_mfa: false,
            inactive_after_days: 90,
            end_of_access: EndOfAccess::BlockThenDelete,
            audit_retention_days: 365,
            mail_retention_days: 30,
        }
    }

    #[test]
    fn domain_policy_admits_and_refuses() {
        let mut s = defaults();
        assert!(s.admits_domain("anything.example"));
        s.domains = vec!["partner.example".into()];
        s.domain_policy = DomainPolicy::Allowlist;
        assert!(s.admits_domain("partner.example"));
        // An entry covers its subdomains, and only those.
        assert!(s.admits_domain("sub.partner.example"));
        assert!(!s.admits_domain("notpartner.example"));
        s.domain_policy = DomainPolicy::Denylist;
        assert!(!s.admits_domain("partner.example"));
        assert!(!s.admits_domain("eu.partner.example"));
        assert!(s.admits_domain("other.example"));
    }

    #[test]
    fn stored_pairs_round_trip_and_bad_values_keep_defaults() {
        let defaults = defaults();
        let mut s = defaults.clone();
        s.org_name = "Contoso".into();
        s.domain_policy = DomainPolicy::Denylist;
        s.domains = vec!["a.example".into(), "b.example".into()];
        s.members_require_workforce = true;
        s.inactive_after_days = 30;
        s.end_of_access = EndOfAccess::Block;
        s.audit_retention_days = 400;
        s.mail_retention_days = 7;
        let pairs: Vec<(String, String)> = s.to_pairs().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        assert_eq!(PortalSettings::from_pairs(defaults.clone(), &pairs), s);
        let bad = vec![("accent".to_string(), "red".to_string()), ("signup_ttl_days".into(), "x".into())];
        assert_eq!(PortalSettings::from_pairs(defaults.clone(), &bad), defaults);
    }

    #[test]
    fn end_of_access_reads_back_what_it_stores() {
        for (e, _) in EndOfAccess::ALL {
            assert_eq!(EndOfAccess::parse(e.as_str()), Some(e));
        }
        assert_eq!(EndOfAccess::parse("delete"), None);
    }

    #[test]
    fn a_guest_is_inactive_after_the_days_set() {
        let s = defaults();
        let now = DateTime::UNIX_EPOCH + Duration::days(1000);
        assert_eq!(now - s.inactive_before(now), Duration::days(90));
    }

    #[test]
    fn accent_colours_are_checked() {
        assert_eq!(parse_accent(" #1F4E3D ").unwrap(), "#1f4e3d");
        assert_eq!(parse_accent(DEFAULT_ACCENT).unwrap(), DEFAULT_ACCENT);
        for bad in ["red", "#abc", "#12345g", "#1234567", "url(x)", "#ffff00", "#a1b2c3"] {
            assert!(parse_accent(bad).is_err(), "{bad}");
        }
    }
}
