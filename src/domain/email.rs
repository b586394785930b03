//! An email address: trimmed, lower-cased, of a plain and checkable shape. The domain is
//! normalised with IDNA/UTS-46 and kept in its ASCII form (`xn--…`), so one domain has one
//! spelling for comparisons and policies; people see the Unicode form beside it. A domain
//! whose labels mix scripts (a Cyrillic `о` in `hоst.example`) is refused: it is how look-alike
//! domains pass for real ones.

use super::form::InputError;

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
        let domain = normalize_domain(domain)?;
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
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok { Ok(EmailAddress(format!("{local}@{domain}"))) } else { Err(invalid()) }
    }

    /// The address with its domain in Unicode (`ana@bücher.example`), as people write it.
    pub fn unicode(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or(("", &self.0));
        format!("{local}@{}", idna::domain_to_unicode(domain).0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

/// A stored address as admins and approvers should read it: the Unicode form, with the
/// ASCII form beside it when they differ (`ana@bücher.example (ana@xn--bcher-kva.example)`).
pub fn for_people(stored: &str) -> String {
    match stored.rsplit_once('@') {
        Some((local, domain)) if domain.contains("xn--") => {
            format!("{local}@{} ({stored})", idna::domain_to_unicode(domain).0)
        }
        _ => stored.to_string(),
    }
}

/// A search typed by a person, in the form addresses are stored in: a Unicode domain (or
/// part of one) becomes ASCII, so `bücher` finds `ana@xn--bcher-kva.example`.
pub fn ascii_for_search(query: &str) -> String {
    if query.is_ascii() {
        return query.to_string();
    }
    let (local, domain) = match query.rsplit_once('@') {
        Some((l, d)) => (Some(l), d),
        None => (None, query),
    };
    let domain = idna::domain_to_ascii(domain).unwrap_or_else(|_| domain.to_string());
    match local {
        Some(l) => format!("{l}@{domain}"),
        None => domain,
    }
}

/// The ASCII (UTS-46) form of a domain; refuses what does not map, and labels that mix
/// scripts.
pub fn normalize_domain(domain: &str) -> Result<String, InputError> {
    let invalid = || InputError::new("Enter an email address like name@example.com.");
    let ascii = idna::domain_to_ascii(domain).map_err(|_| invalid())?;
    let (unicode, _) = idna::domain_to_unicode(&ascii);
    if unicode.split('.').any(mixes_scripts) {
        return Err(InputError::new(format!(
            "The domain “{unicode}” mixes letters of different alphabets, as look-alike addresses do. Check it, or type it again by hand."
        )));
    }
    Ok(ascii)
}

/// The script of a letter, roughly by Unicode block; digits, hyphens and letters of other
/// scripts count as none. Han, kana and Hangul are one group: Japanese and Korean mix them.
fn script_of(c: char) -> Option<&'static str> {
    Some(match c as u32 {
        0x41..=0x5A | 0x61..=0x7A | 0xC0..=0x24F | 0x1E00..=0x1EFF => "Latin",
        0x370..=0x3FF | 0x1F00..=0x1FFF => "Greek",
        0x400..=0x52F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => "Cyrillic",
        0x530..=0x58F => "Armenian",
        0x590..=0x5FF => "Hebrew",
        0x600..=0x6FF | 0x750..=0x77F => "Arabic",
        0x900..=0x97F => "Devanagari",
        0xE00..=0xE7F => "Thai",
        0x10A0..=0x10FF => "Georgian",
        0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF66..=0xFF9F => "CJK",
        _ => return None,
    })
}

fn mixes_scripts(label: &str) -> bool {
    let mut seen = None;
    for script in label.chars().filter_map(script_of) {
        match seen {
            None => seen = Some(script),
            Some(s) if s != script => return true,
            Some(_) => {}
        }
    }
    false
}

/// Whether `domain` is `entry` or one of its subdomains (`eu.partner.example` is under
/// `partner.example`; `notpartner.example` is not).
pub fn domain_is_under(domain: &str, entry: &str) -> bool {
    domain == entry || domain.strip_suffix(entry).is_some_and(|head| head.ends_with('.'))
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

    #[test]
    fn unicode_domains_are_kept_in_ascii_and_shown_in_unicode() {
        let e = EmailAddress::parse("Ana@Bücher.Example").unwrap();
        assert_eq!(e.as_str(), "ana@xn--bcher-kva.example");
        assert_eq!(e.unicode(), "ana@bücher.example");
        assert_eq!(EmailAddress::parse("ana@xn--bcher-kva.example").unwrap(), e);
    }

    #[test]
    fn a_domain_that_mixes_scripts_is_refused() {
        // A Cyrillic "о" in "host".
        let err = EmailAddress::parse("ana@h\u{043e}st.example").unwrap_err();
        assert!(err.to_string().contains("mixes letters of different alphabets"), "{err}");
        // The same, arriving as punycode.
        let puny = idna::domain_to_ascii("h\u{043e}st.example").unwrap();
        assert!(EmailAddress::parse(&format!("ana@{puny}")).is_err());
        // One script per label is fine.
        assert!(EmailAddress::parse("ivan@пример.example").is_ok());
    }

    #[test]
    fn searches_for_unicode_domains_find_their_ascii_form() {
        assert_eq!(ascii_for_search("bücher"), "xn--bcher-kva");
        assert_eq!(ascii_for_search("ana@bücher.example"), "ana@xn--bcher-kva.example");
        assert_eq!(ascii_for_search("partner.example"), "partner.example");
    }

    #[test]
    fn subdomains_are_under_their_parent_only() {
        assert!(domain_is_under("partner.example", "partner.example"));
        assert!(domain_is_under("eu.partner.example", "partner.example"));
        assert!(!domain_is_under("notpartner.example", "partner.example"));
        assert!(!domain_is_under("partner.example.evil", "partner.example"));
    }
}
