//! Free text typed by people, bounded and cleaned of control characters.

use super::form::InputError;

/// Text of at most `max` characters, trimmed; control characters (other than newlines
/// where allowed) are refused so nothing odd reaches mail headers or logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedText(String);

impl BoundedText {
    pub fn parse(input: &str, what: &str, max: usize, multiline: bool) -> Result<BoundedText, InputError> {
        let s = input.trim();
        if s.chars().count() > max {
            return Err(InputError::new(format!("{what} can be at most {max} characters.")));
        }
        let bad = |c: char| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t'));
        if s.chars().any(bad) {
            return Err(InputError::new(format!("{what} contains characters that are not allowed.")));
        }
        Ok(BoundedText(s.replace("\r\n", "\n")))
    }

    pub fn required(input: &str, what: &str, max: usize) -> Result<BoundedText, InputError> {
        let t = Self::parse(input, what, max, false)?;
        if t.0.is_empty() {
            return Err(InputError::new(format!("Enter {}.", what.to_lowercase())));
        }
        Ok(t)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A person's display name: 1 to 100 characters on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_LEN: usize = 100;

    pub fn parse(input: &str) -> Result<DisplayName, InputError> {
        Ok(DisplayName(BoundedText::required(input, "A name", Self::MAX_LEN)?.into_string()))
    }

    /// A name that may be left empty (`None`), as on the invitation forms.
    pub fn parse_optional(input: &str) -> Result<Option<DisplayName>, InputError> {
        if input.trim().is_empty() { Ok(None) } else { Self::parse(input).map(Some) }
    }

    /// A name to start with when none was given: the part of the email before the `@`.
    pub fn from_email(email: &super::email::EmailAddress) -> DisplayName {
        let local = email.as_str().split('@').next().unwrap_or("guest");
        DisplayName(local.chars().take(Self::MAX_LEN).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_bounded_and_single_line() {
        assert_eq!(DisplayName::parse("  Ana  ").unwrap().as_str(), "Ana");
        assert!(DisplayName::parse("").is_err());
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
        assert!(DisplayName::parse("Ana\nBcc: x@y.z").is_err());
    }

    #[test]
    fn messages_keep_their_newlines() {
        let t = BoundedText::parse("Hi,\r\nwelcome", "The message", 50, true).unwrap();
        assert_eq!(t.as_str(), "Hi,\nwelcome");
        assert!(BoundedText::parse("a\u{0}b", "The message", 50, true).is_err());
    }
}
