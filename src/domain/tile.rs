//! How an app's tile looks and is found. Without an icon a tile shows the app's initial on
//! a colour picked from its whole name, so "Wiki" and "Workday" no longer look the same;
//! and a person with more tiles than fit at a glance gets a search box.

/// The tiles' colours, in the order of the `.tile-c0` … classes of `static/style.css`.
/// White text on each reaches 4.5:1 (WCAG AA for normal text: the small tiles' letter is
/// 16 px).
pub const PALETTE: [&str; 8] = ["#1565c0", "#0b6e6e", "#2e7d32", "#8a4b00", "#b3261e", "#7b1fa2", "#ad1457", "#455a64"];

/// The tile colour of an app named `name`: its index in `PALETTE`, the same for the same
/// name (letter case and surrounding space aside) on every page and every instance.
pub fn colour(name: &str) -> usize {
    // FNV-1a: small, stable across releases and platforms (std's hasher promises neither).
    let mut h: u32 = 0x811C_9DC5;
    for b in name.trim().to_lowercase().bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as usize % PALETTE.len()
}

/// The Access Panel shows a search box to a person with more tiles than this.
pub const SEARCH_ABOVE: usize = 8;

/// Whether an app matches what the person typed: each word in its name or description,
/// letter case aside. Nothing typed matches every app.
pub fn matches(query: &str, name: &str, description: &str) -> bool {
    let haystack = format!("{name}\n{description}").to_lowercase();
    query.to_lowercase().split_whitespace().all(|word| haystack.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_colour_follows_the_name_and_spreads_over_the_palette() {
        assert_eq!(colour("Wiki"), colour(" wiki "));
        assert_ne!(colour("Wiki"), colour("Workday"));
        let w: std::collections::BTreeSet<usize> =
            ["Wiki", "Workday", "Webex", "Wrike", "Warehouse", "Wallet"].iter().map(|n| colour(n)).collect();
        assert!(w.len() >= 4, "six names with one initial got only {w:?}");
        assert!((0..200).map(|i| colour(&format!("App {i}"))).collect::<std::collections::BTreeSet<_>>().len() == 8);
    }

    /// WCAG 2.x contrast of white text on each colour, with the accent check's formula.
    #[test]
    fn white_text_reads_on_every_colour() {
        for hex in PALETTE {
            assert!(crate::domain::settings::parse_accent(hex).is_ok(), "{hex} is too light for white text");
        }
    }

    #[test]
    fn the_stylesheet_has_a_class_for_each_colour() {
        let css = include_str!("../../static/style.css");
        for (i, hex) in PALETTE.iter().enumerate() {
            let rule = format!(".tile-c{i} {{ background: {hex}; color: #fff; }}");
            assert!(css.contains(&rule), "static/style.css lacks `{rule}`");
        }
    }

    #[test]
    fn a_search_matches_every_word_in_name_or_description() {
        assert!(matches("", "Wiki", ""));
        assert!(matches("WIKI", "Team wiki", ""));
        assert!(matches("shared docs", "Wiki", "Shared team docs"));
        assert!(!matches("wiki payroll", "Wiki", "Shared docs"));
        assert!(matches("café", "Café Menu", ""));
    }
}
