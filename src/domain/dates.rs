//! How a date reads, in the one style of pages and mail: "7 Dec 2026, 14:32 UTC" for a
//! moment, "7 Dec 2026" for a day. The zone is always said: a bare "14:32" would be read
//! in the reader's own zone. Pages wrap these words in `<time>` (`web::dates`) so the
//! reader's browser can say them in their zone; mail and other plain text use them as they are.

use chrono::{DateTime, SecondsFormat, Utc};

/// A moment to the minute, in UTC, said: "7 Dec 2026, 14:32 UTC".
pub fn moment_words(t: DateTime<Utc>) -> String {
    t.format("%-d %b %Y, %H:%M UTC").to_string()
}

/// The (UTC) day of a moment: "7 Dec 2026".
pub fn day_words(t: DateTime<Utc>) -> String {
    t.format("%-d %b %Y").to_string()
}

/// A day stored as text (`2026-12-01`, as audit details keep it) in the same words,
/// "1 Dec 2026"; anything else is given back as it is.
pub fn stored_day_words(text: &str) -> String {
    match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(d) => d.format("%-d %b %Y").to_string(),
        Err(_) => text.to_string(),
    }
}

/// The moment for machines (a `datetime` attribute): RFC 3339 in UTC, to the second.
pub fn machine(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_moment_reads_day_short_month_year_time_and_utc() {
        let t = Utc.with_ymd_and_hms(2026, 12, 7, 14, 32, 59).unwrap();
        assert_eq!(moment_words(t), "7 Dec 2026, 14:32 UTC");
        assert_eq!(day_words(t), "7 Dec 2026");
        assert_eq!(machine(t), "2026-12-07T14:32:59Z");
        // Hours and minutes keep two digits; the day has none to spare.
        let early = Utc.with_ymd_and_hms(2027, 9, 1, 4, 5, 0).unwrap();
        assert_eq!(moment_words(early), "1 Sep 2027, 04:05 UTC");
        assert_eq!(stored_day_words("2026-12-01"), "1 Dec 2026");
        assert_eq!(stored_day_words("soon"), "soon");
    }
}
