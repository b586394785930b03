//! The portal's settings that admins change at run time (SPEC §2 "Settings", F7): branding,
//! terms, lifetimes, the partner domain policy and the members' sign-in rule. The config
//! file gives the first values; what an admin saves is stored as key/value pairs.

use super::form::{FieldErrors, InputError};
use super::text::BoundedText;
use crate::domain::idp::parse_domains;
use crate::domain::url::WebUrl;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainPolicy {
    AllowAll,
    Allowlist,
    Denylist,
}

impl DomainPolicy {
    pub const ALL: [(DomainPolicy, &'static str); 3] = [
        (DomainPolicy::AllowAll, "Allow every partner domain"),
        (DomainPolicy::Allowlist, "Allow only the domains listed"),
        (DomainPolicy::Denylist, "Allow every domain except those listed"),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DomainPolicy::AllowAll => "allow_all",
            DomainPolicy::Allowlist => "allowlist",
            DomainPolicy::Denylist => "denylist",
        }
    }

    pub fn parse(s: &str) -> Option<DomainPolicy> {
        Self::ALL.iter().map(|(p, _)| *p).find(|p| p.as_str() == s)
    }
}

/// Who may invite guests (Microsoft Entra's four levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitePolicy {
    Everyone,
    Members,
    AdminsAndInviters,
    Nobody,
}

impl InvitePolicy {
    pub const ALL: [(InvitePolicy, &'static str); 4] = [
        (InvitePolicy::Everyone, "Anyone signed in, guests included"),
        (InvitePolicy::Members, "Members of the organization"),
        (InvitePolicy::AdminsAndInviters, "Only admins, and members given the inviter role"),
        (InvitePolicy::Nobody, "Nobody, admins included"),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InvitePolicy::Everyone => "everyone",
            InvitePolicy::Members => "members",
            InvitePolicy::AdminsAndInviters => "inviters",
            InvitePolicy::Nobody => "nobody",
        }
    }

    pub fn parse(s: &str) -> Option<InvitePolicy> {
        Self::ALL.iter().map(|(p, _)| *p).find(|p| p.as_str() == s)
    }
}

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
    pub invite_policy: InvitePolicy,
    /// How long a guest's access lasts from redemption, and how far a sponsor may extend it
    /// from today; 0: guests keep access until removed.
    pub guest_lifetime_days: i64,
    /// Guests must use a second factor (conditional access, F8).
    pub guests_mfa: bool,
    /// Members must use a second factor (admins always must).
    pub members_mfa: bool,
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
                "invite_policy" => s.invite_policy = InvitePolicy::parse(v).unwrap_or(s.invite_policy),
                "guest_lifetime_days" => s.guest_lifetime_days = v.parse().unwrap_or(s.guest_lifetime_days),
                "guests_mfa" => s.guests_mfa = v == "true",
                "members_mfa" => s.members_mfa = v == "true",
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
            ("invite_policy", self.invite_policy.as_str().into()),
            ("guest_lifetime_days", self.guest_lifetime_days.to_string()),
            ("guests_mfa", self.guests_mfa.to_string()),
            ("members_mfa", self.members_mfa.to_string()),
        ]
    }

    /// Whether this person may invite guests under the policy.
    /// Whether a person must accept the current terms of use before going on (F12): guests
    /// who accepted another version (or none). Members have no guest terms.
    pub fn asks_terms(&self, user_type: &str, accepted_version: Option<&str>) -> bool {
        user_type == super::user::GUEST && accepted_version != Some(self.terms_version.as_str())
    }

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

/// The settings form as typed.
pub struct RawSettings<'a> {
    pub org_name: &'a str,
    pub logo_url: &'a str,
    pub accent: &'a str,
    pub privacy_url: &'a str,
    pub terms_text: &'a str,
    pub terms_version: &'a str,
    pub invitation_ttl_days: &'a str,
    pub signup_ttl_days: &'a str,
    pub domain_policy: &'a str,
    pub domains: &'a str,
    pub members_require_workforce: bool,
    pub org_domains: &'a str,
    pub invite_policy: &'a str,
    pub guest_lifetime_days: &'a str,
    pub guests_mfa: bool,
    pub members_mfa: bool,
}

impl RawSettings<'_> {
    pub fn parse(&self) -> Result<PortalSettings, FieldErrors> {
        let mut e = FieldErrors::default();
        let org_name = e.take("org_name", BoundedText::required(self.org_name, "The organization name", 80));
        let logo_url = e.take("logo_url", optional_url(self.logo_url, "The logo address"));
        let accent = e.take("accent", parse_accent(self.accent.trim()));
        let privacy_url = e.take("privacy_url", optional_url(self.privacy_url, "The privacy statement address"));
        let terms_text = e.take(
            "terms_text",
            BoundedText::parse(self.terms_text, "The terms of use", 20_000, true).and_then(|t| {
                if t.as_str().is_empty() { Err(InputError::new("Enter the terms of use.")) } else { Ok(t) }
            }),
        );
        let terms_version = e.take("terms_version", BoundedText::required(self.terms_version, "The terms version", 40));
        let invitation_ttl_days = e.take("invitation_ttl_days", days(self.invitation_ttl_days, "Invitations", 365));
        let signup_ttl_days = e.take("signup_ttl_days", days(self.signup_ttl_days, "Sign-up requests", 90));
        let domain_policy = e.take(
            "domain_policy",
            DomainPolicy::parse(self.domain_policy).ok_or_else(|| InputError::new("Choose a domain policy.")),
        );
        let domains = e.take("domains", parse_domains(self.domains));
        if domain_policy == Some(DomainPolicy::Allowlist) && domains.as_ref().is_some_and(Vec::is_empty) {
            e.add("domains", "List at least one domain to allow, or allow every domain.");
        }
        let org_domains = e.take("org_domains", parse_domains(self.org_domains));
        let invite_policy = e.take(
            "invite_policy",
            InvitePolicy::parse(self.invite_policy).ok_or_else(|| InputError::new("Choose who may invite guests.")),
        );
        let guest_lifetime_days = e.take("guest_lifetime_days", lifetime(self.guest_lifetime_days));
        match (
            org_name,
            logo_url,
            accent,
            privacy_url,
            terms_text,
            terms_version,
            invitation_ttl_days,
            signup_ttl_days,
            domain_policy,
            domains,
            org_domains,
            invite_policy,
            guest_lifetime_days,
        ) {
            (
                Some(o),
                Some(l),
                Some(a),
                Some(p),
                Some(tt),
                Some(tv),
                Some(it),
                Some(st),
                Some(dp),
                Some(d),
                Some(od),
                Some(ip),
                Some(gl),
            ) if e.is_empty() => Ok(PortalSettings {
                org_name: o.into_string(),
                logo_url: l,
                logo_image: None,
                accent: a,
                privacy_url: p,
                terms_text: tt.into_string(),
                terms_version: tv.into_string(),
                invitation_ttl_days: it,
                signup_ttl_days: st,
                domain_policy: dp,
                domains: d,
                members_require_workforce: self.members_require_workforce,
                org_domains: od,
                invite_policy: ip,
                guest_lifetime_days: gl,
                guests_mfa: self.guests_mfa,
                members_mfa: self.members_mfa,
            }),
            _ => Err(e),
        }
    }
}

fn optional_url(input: &str, what: &str) -> Result<String, InputError> {
    if input.trim().is_empty() { Ok(String::new()) } else { WebUrl::parse(input, what).map(|u| u.as_str().to_string()) }
}

/// `#rrggbb`, lower-cased, dark enough for white text on it (WCAG AA, 4.5:1): it fills
/// buttons and the brand mark.
pub fn parse_accent(input: &str) -> Result<String, InputError> {
    let s = input.trim().to_lowercase();
    if !(s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())) {
        return Err(InputError::new("The accent colour must look like #2f4ea8."));
    }
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    let luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    if 1.05 / (luminance + 0.05) < 4.5 {
        return Err(InputError::new("Choose a darker accent colour: white text on it would be hard to read."));
    }
    Ok(s)
}

fn days(input: &str, what: &str, max: i64) -> Result<i64, InputError> {
    match input.trim().parse::<i64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(InputError::new(format!("{what} must last between 1 and {max} days."))),
    }
}

/// Empty or 0 for no end, else 1 to 3650 days.
fn lifetime(input: &str) -> Result<i64, InputError> {
    match input.trim() {
        "" | "0" => Ok(0),
        t => days(t, "Guest access", 3650),
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
            invite_policy: InvitePolicy::Members,
            guest_lifetime_days: 0,
            guests_mfa: false,
            members_mfa: false,
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
        let pairs: Vec<(String, String)> = s.to_pairs().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        assert_eq!(PortalSettings::from_pairs(defaults.clone(), &pairs), s);
        let bad = vec![("accent".to_string(), "red".to_string()), ("signup_ttl_days".into(), "x".into())];
        assert_eq!(PortalSettings::from_pairs(defaults.clone(), &bad), defaults);
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
