//! An email address: trimmed, lower-cased, of a plain and checkable shape.

use super::InputError;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// RFC 5321 caps a path at 254 characters.
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<EmailAddress, InputError> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err(InputError::new("Enter an email address."));
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(InputError::new("That email address is too long."));
        }
        let invalid = || InputError::new("Enter an email address like name@example.com.");
        let (local, domain) = s.rsplit_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok { Ok(EmailAddress(s)) } else { Err(invalid()) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        let e = EmailAddress::parse("  Ana.Lopez@Partner.Example ").unwrap();
        assert_eq!(e.as_str(), "ana.lopez@partner.example");
        assert_eq!(e.domain(), "partner.example");
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in
            ["", "plain", "a@b", "@x.com", "a@.com", "a..b@x.com", "a b@x.com", "a@x..com", "<a>@x.com", "a@-x.com"]
        {
            assert!(EmailAddress::parse(bad).is_err(), "{bad} should be refused");
        }
        assert!(EmailAddress::parse(&format!("{}@x.com", "a".repeat(300))).is_err());
    }
}
