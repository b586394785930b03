//! Free text typed by people, bounded and cleaned of control characters.

use super::form::InputError;

/// Text of at most `max` characters, trimmed; control characters (other than newlines
/// where allowed) are refused so nothing odd reaches mail headers or logs. Both rules read
/// the text as given, before trimming, so the API's document can state them exactly
/// (`SINGLE_LINE`, `MULTI_LINE`, `REQUIRED_LINE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedText(String);

/// The characters a control-character rule refuses: Unicode's Cc (C0, DEL and C1).
const CONTROLS: &str = "\\u0000-\\u001F\\u007F-\\u009F";
/// …on text that may hold several lines: all of them but tab, line feed and carriage return.
const CONTROLS_BUT_LINES: &str = "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F";
/// The white space `str::trim` removes that is not a control character.
const SPACES: &str = " \\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";

/// ECMA-262 patterns (as JSON Schema writes them) of what `BoundedText` accepts.
pub fn single_line_pattern() -> String {
    format!("^[^{CONTROLS}]*$")
}
pub fn multi_line_pattern() -> String {
    format!("^[^{CONTROLS_BUT_LINES}]*$")
}
/// `BoundedText::required`: one line, and something besides white space.
pub fn required_line_pattern() -> String {
    format!("^[^{CONTROLS}]*[^{CONTROLS}{SPACES}][^{CONTROLS}]*$")
}

impl BoundedText {
    pub fn parse(input: &str, what: &str, max: usize, multiline: bool) -> Result<BoundedText, InputError> {
        if input.chars().count() > max {
            return Err(InputError::new(format!("{what} can be at most {max} characters.")));
        }
        let bad = |c: char| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t'));
        if input.chars().any(bad) {
            return Err(InputError::new(format!("{what} contains characters that are not allowed.")));
        }
        Ok(BoundedText(input.trim().replace("\r\n", "\n")))
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
        let blank = input.trim().is_empty() && !input.chars().any(char::is_control);
        if blank { Ok(None) } else { Self::parse(input).map(Some) }
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

    /// The patterns the API's document states are the rules themselves, character by
    /// character (alone, between letters, at the ends).
    #[test]
    fn the_documented_patterns_are_the_rules() {
        let single = regex_lite::Regex::new(&single_line_pattern()).unwrap();
        let multi = regex_lite::Regex::new(&multi_line_pattern()).unwrap();
        let required = regex_lite::Regex::new(&required_line_pattern()).unwrap();
        for c in (0u32..0x3100).filter_map(char::from_u32) {
            for text in [format!("{c}"), format!("a{c}b"), format!("{c}a"), format!("{c}{c}")] {
                let ok = |r: Result<BoundedText, InputError>| r.is_ok();
                assert_eq!(single.is_match(&text), ok(BoundedText::parse(&text, "x", 10, false)), "{text:?}");
                assert_eq!(multi.is_match(&text), ok(BoundedText::parse(&text, "x", 10, true)), "{text:?}");
                assert_eq!(required.is_match(&text), ok(BoundedText::required(&text, "x", 10)), "{text:?}");
                let optional = DisplayName::parse_optional(&text).is_ok();
                assert_eq!(single.is_match(&text), optional, "{text:?}");
            }
        }
        assert!(BoundedText::parse(" abc", "x", 3, false).is_err(), "the length is the text's as given");
    }

    #[test]
    fn messages_keep_their_newlines() {
        let t = BoundedText::parse("Hi,\r\nwelcome", "The message", 50, true).unwrap();
        assert_eq!(t.as_str(), "Hi,\nwelcome");
        assert!(BoundedText::parse("a\u{0}b", "The message", 50, true).is_err());
    }
}
