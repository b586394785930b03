//! The details of an audit event as stored: free words, or `key=value` pairs separated by
//! spaces, a value quoted when it holds a space, a quote, a backslash or `=`
//! (`apps=1 app="Project Atlas"`). The CSV export and the API hand them on as they are; the
//! sentences read the few keys they word.

/// `key=value`, the value quoted when it needs to be.
pub fn pair(key: &str, value: &str) -> String {
    let plain = !value.is_empty() && !value.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '\\' | '='));
    if plain {
        return format!("{key}={value}");
    }
    let mut out = format!("{key}=\"");
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Every `key=value` pair in `details`, in order; words that are not a pair are skipped.
pub fn pairs(details: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = details.trim_start();
    while !rest.is_empty() {
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let Some(eq) = rest[..word_end].find('=') else {
            rest = rest[word_end..].trim_start();
            continue;
        };
        let key = rest[..eq].to_string();
        let after = &rest[eq + 1..];
        let (value, used) = match after.strip_prefix('"') {
            Some(quoted) => unquote(quoted),
            None => {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                (after[..end].to_string(), end)
            }
        };
        out.push((key, value));
        rest = after[used..].trim_start();
    }
    out
}

/// The value of a quoted pair (after its opening quote) and how many bytes it took from
/// the quote on; an unclosed quote runs to the end.
fn unquote(s: &str) -> (String, usize) {
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (value, i + 2),
            '\\' => {
                if let Some((_, next)) = chars.next() {
                    value.push(next);
                }
            }
            c => value.push(c),
        }
    }
    (value, s.len() + 1)
}

/// The first value of `key`.
pub fn value(details: &str, key: &str) -> Option<String> {
    pairs(details).into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Every value of `key` (a key may repeat: `app=A app=B`).
pub fn values(details: &str, key: &str) -> Vec<String> {
    pairs(details).into_iter().filter(|(k, _)| k == key).map(|(_, v)| v).collect()
}

/// The number under `key`.
pub fn number(details: &str, key: &str) -> Option<i64> {
    value(details, key)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_round_trip_with_quotes() {
        let written = [pair("apps", "2"), pair("app", "Project Atlas"), pair("app", "Say \"hi\" \\ =")].join(" ");
        assert_eq!(written, r#"apps=2 app="Project Atlas" app="Say \"hi\" \\ =""#);
        assert_eq!(values(&written, "app"), ["Project Atlas", "Say \"hi\" \\ ="]);
        assert_eq!(number(&written, "apps"), Some(2));
        assert_eq!(pair("k", ""), "k=\"\"");
    }

    #[test]
    fn words_are_skipped_and_odd_input_does_not_panic() {
        assert_eq!(value("invitation=1 via=email terms=v 2", "via").as_deref(), Some("email"));
        assert!(pairs("again after a revocation").is_empty());
        for odd in ["=", "a=\"", "a=\"\\", "é=ü \"=\"", "  ", "k==v"] {
            pairs(odd);
        }
        assert_eq!(value("a=\"open", "a").as_deref(), Some("open"));
    }
}
