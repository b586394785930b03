//! The pseudo-locales' text transforms (Fluent applies them to the catalogue's words, not
//! to the values put into them): `accented` writes "Sign in" as "[Ŝîĝñ îñ ···]", about 40 %
//! longer; `mirrored` does the same inside a right-to-left override.

use std::borrow::Cow;

const PLAIN: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ACCENTED: &str = "àƀçđéƒĝĥîĵķĺɱñöƥǫŕšţûṽŵẋýžÀƁÇĐÉƑĜĤÎĴĶĹṀÑÖƤǪŔŠŢÛṼŴẊÝŽ";

/// Whether a character is one the accented pseudo-locale writes.
#[cfg(test)]
pub fn is_accented(c: char) -> bool {
    ACCENTED.contains(c)
}

pub fn accented(text: &str) -> Cow<'_, str> {
    if text.trim().is_empty() {
        return Cow::Borrowed(text);
    }
    let letters: String = text
        .chars()
        .map(|c| PLAIN.find(c).and_then(|i| ACCENTED.chars().nth(PLAIN[..i].chars().count())).unwrap_or(c))
        .collect();
    let longer = "·".repeat(text.chars().count() * 2 / 5);
    let (lead, rest) = letters.split_at(letters.len() - letters.trim_start().len());
    let (body, trail) = rest.split_at(rest.trim_end().len());
    Cow::Owned(format!("{lead}[{body}{longer}]{trail}"))
}

pub fn mirrored(text: &str) -> Cow<'_, str> {
    match accented(text) {
        Cow::Borrowed(b) => Cow::Borrowed(b),
        Cow::Owned(o) => Cow::Owned(format!("\u{202E}{o}\u{202C}")),
    }
}
