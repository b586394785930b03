//! The settings form as typed, read into `PortalSettings` with each refusal next to its
//! field.

use super::{DomainPolicy, EndOfAccess, InvitePolicy, PortalSettings};
use crate::domain::form::{FieldErrors, InputError};
use crate::domain::idp::parse_domains;
use crate::domain::text::BoundedText;
use crate::domain::url::WebUrl;

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
    pub redirect_origins: &'a str,
    pub invite_policy: &'a str,
    pub guest_lifetime_days: &'a str,
    pub guests_mfa: bool,
    pub members_mfa: bool,
    pub inactive_after_days: &'a str,
    pub end_of_access: &'a str,
    pub audit_retention_days: &'a str,
    pub mail_retention_days: &'a str,
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
        let redirect_origins = e.take("redirect_origins", origins(self.redirect_origins));
        let invite_policy = e.take(
            "invite_policy",
            InvitePolicy::parse(self.invite_policy).ok_or_else(|| InputError::new("Choose who may invite guests.")),
        );
        let guest_lifetime_days = e.take("guest_lifetime_days", lifetime(self.guest_lifetime_days));
        let lifecycle = self.lifecycle(&mut e);
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
            redirect_origins,
            invite_policy,
            guest_lifetime_days,
            lifecycle,
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
                Some(ro),
                Some(ip),
                Some(gl),
                Some((ia, ea, ar, mr)),
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
                redirect_origins: ro,
                invite_policy: ip,
                guest_lifetime_days: gl,
                guests_mfa: self.guests_mfa,
                members_mfa: self.members_mfa,
                inactive_after_days: ia,
                end_of_access: ea,
                audit_retention_days: ar,
                mail_retention_days: mr,
            }),
            _ => Err(e),
        }
    }

    /// The guest lifecycle's fields: inactivity, the end of access, and how long records
    /// are kept.
    fn lifecycle(&self, e: &mut FieldErrors) -> Option<(i64, EndOfAccess, i64, i64)> {
        let inactive = e.take(
            "inactive_after_days",
            within(self.inactive_after_days, 1, 3650, "A guest becomes inactive after between 1 and 3650 days."),
        );
        let end = e.take(
            "end_of_access",
            EndOfAccess::parse(self.end_of_access)
                .ok_or_else(|| InputError::new("Choose what happens when a guest's access ends.")),
        );
        let audit = e.take(
            "audit_retention_days",
            within(self.audit_retention_days, 30, 3650, "Keep the audit log for between 30 and 3650 days."),
        );
        let mail = e.take(
            "mail_retention_days",
            within(self.mail_retention_days, 1, 3650, "Keep sent mail for between 1 and 3650 days."),
        );
        Some((inactive?, end?, audit?, mail?))
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

/// A whole number of days in `min..=max`; `message` says the range otherwise.
fn within(input: &str, min: i64, max: i64, message: &str) -> Result<i64, InputError> {
    match input.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(InputError::new(message)),
    }
}

/// Empty or 0 for no end, else 1 to 3650 days.
fn lifetime(input: &str) -> Result<i64, InputError> {
    match input.trim() {
        "" | "0" => Ok(0),
        t => days(t, "Guest access", 3650),
    }
}

/// The origins of addresses listed one per line (`https://intranet.contoso.example/start`
/// gives `https://intranet.contoso.example`), each once; at most 20.
fn origins(text: &str) -> Result<Vec<String>, InputError> {
    let mut out: Vec<String> = Vec::new();
    for line in text.split_whitespace() {
        let url = WebUrl::parse(line, "Each address")?;
        let origin = url.origin();
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    if out.len() > 20 {
        return Err(InputError::new("List at most 20 addresses."));
    }
    Ok(out)
}
