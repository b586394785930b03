//! Access packages as typed into the admin form, and their approval rules.

use super::form::{FieldErrors, InputError};
use super::text::BoundedText;
use crate::domain::idp::parse_domains;

pub const MODES: &[(&str, &str)] = &[
    ("none", "No approval: granted as soon as the email is verified"),
    ("any", "Any one approver decides"),
    ("all", "Every approver must approve"),
];

pub struct PackageInput {
    pub name: String,
    pub description: String,
    pub approval_mode: &'static str,
    pub duration_days: Option<i64>,
    pub domains: String,
    pub published: bool,
}

pub struct RawPackage<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub approval_mode: &'a str,
    pub duration_days: &'a str,
    pub domains: &'a str,
    pub published: bool,
    pub approvers: usize,
}

impl RawPackage<'_> {
    pub fn parse(&self) -> Result<PackageInput, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = e.take("name", BoundedText::required(self.name, "A name", 80));
        let description = e.take("description", BoundedText::parse(self.description, "The description", 1000, true));
        let mode = e.take(
            "approval_mode",
            MODES
                .iter()
                .map(|(m, _)| *m)
                .find(|m| *m == self.approval_mode)
                .ok_or_else(|| InputError::new("Choose how requests are approved.")),
        );
        if mode.is_some_and(|m| m != "none") && self.approvers == 0 {
            e.add("approvers", "Choose at least one approver, or grant without approval.");
        }
        let duration = e.take("duration_days", parse_duration(self.duration_days));
        let domains = e.take("domains", parse_domains(self.domains));
        match (name, description, mode, duration, domains) {
            (Some(n), Some(d), Some(m), Some(dur), Some(dom)) if e.is_empty() => Ok(PackageInput {
                name: n.into_string(),
                description: d.into_string(),
                approval_mode: m,
                duration_days: dur,
                domains: dom.join(" "),
                published: self.published,
            }),
            _ => Err(e),
        }
    }
}

fn parse_duration(input: &str) -> Result<Option<i64>, InputError> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<i64>() {
        Ok(n) if (1..=3650).contains(&n) => Ok(Some(n)),
        _ => Err(InputError::new("Access lasts between 1 and 3650 days, or leave it empty for no end.")),
    }
}

/// Whether a package's own domain list admits this email domain (empty admits all).
pub fn package_admits(domains: &str, email_domain: &str) -> bool {
    domains.trim().is_empty() || domains.split_whitespace().any(|d| super::email::domain_is_under(email_domain, d))
}

/// Where a request stands after one more decision, given every approval row's decision.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Approved,
    Denied,
    /// All mode, and some approvers have not decided yet.
    Waiting,
}

pub fn outcome(mode: &str, decisions: &[Option<&str>]) -> Outcome {
    if decisions.contains(&Some("denied")) {
        return Outcome::Denied;
    }
    match mode {
        "all" if decisions.iter().any(Option::is_none) => Outcome::Waiting,
        _ if decisions.contains(&Some("approved")) || mode == "none" => Outcome::Approved,
        _ => Outcome::Waiting,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approval_modes_decide() {
        assert_eq!(outcome("any", &[Some("approved"), None]), Outcome::Approved);
        assert_eq!(outcome("any", &[None, Some("denied")]), Outcome::Denied);
        assert_eq!(outcome("all", &[Some("approved"), None]), Outcome::Waiting);
        assert_eq!(outcome("all", &[Some("approved"), Some("approved")]), Outcome::Approved);
        assert_eq!(outcome("all", &[Some("approved"), Some("denied")]), Outcome::Denied);
        assert_eq!(outcome("none", &[]), Outcome::Approved);
    }

    #[test]
    fn package_domains_admit() {
        assert!(package_admits("", "any.example"));
        assert!(package_admits("a.example b.example", "b.example"));
        assert!(!package_admits("a.example", "evil.example"));
    }
}
