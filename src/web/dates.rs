//! The one way a page shows a date: a `<time>` element whose `datetime` is the moment in
//! RFC 3339 (UTC) and whose text says it in UTC, "7 Dec 2026, 14:32 UTC"; `static/dates.js`
//! rewrites it into the reader's own zone, "7 Dec 2026, 15:32 CET". Without script the
//! UTC words stay, and say so.
//!
//! Which facts are days and which are moments, the same on every page:
//! - a **day** is when a record itself was made: a person created or invited, a request
//!   sent, an API key made, an identity or a second factor added ("since", "added");
//! - a **moment** is everything else: every end or deadline (expires, until, works until,
//!   open until, decision expected by, next attempt) and everything that happened to a
//!   record later (accepted, redeemed, last sign-in, last used, last seen, revoked, read,
//!   started, finished), and every row of a log or queue (audit log, outbox).
//!
//! Templates call `crate::web::dates::moment(t)` or `crate::web::dates::day(t)`. Their
//! output is built here from chrono's digits and English month names only, never from
//! anything a person typed, which is why it may skip askama's escaping (`HtmlSafe`).

use std::fmt;

use chrono::{DateTime, Utc};

use crate::domain::dates::{day_words, machine, moment_words};

/// A moment to the minute: `<time datetime="…" data-local>7 Dec 2026, 14:32 UTC</time>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment(DateTime<Utc>);

/// A day: `<time datetime="…" data-local="day">7 Dec 2026</time>`. The `datetime` keeps
/// the moment, so the script can say the day it was where the reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day(DateTime<Utc>);

pub fn moment(t: &DateTime<Utc>) -> Moment {
    Moment(*t)
}

pub fn day(t: &DateTime<Utc>) -> Day {
    Day(*t)
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, r#"<time datetime="{}" data-local>{}</time>"#, machine(self.0), moment_words(self.0))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, r#"<time datetime="{}" data-local="day">{}</time>"#, machine(self.0), day_words(self.0))
    }
}

// Digits, fixed punctuation and month names: nothing to escape (see the module's comment).
impl askama::filters::HtmlSafe for Moment {}
impl askama::filters::HtmlSafe for Day {}

#[cfg(test)]
mod tests {
    use askama::Template;
    use chrono::TimeZone;

    use super::*;

    #[derive(Template)]
    #[template(
        source = "<p>Until {{ crate::web::dates::moment(t) }}; made {{ crate::web::dates::day(t) }}.</p>",
        ext = "html"
    )]
    struct Shown {
        t: DateTime<Utc>,
    }

    #[test]
    fn a_page_shows_a_time_element_that_says_utc() {
        let t = Utc.with_ymd_and_hms(2026, 12, 7, 14, 32, 9).unwrap();
        assert_eq!(
            moment(&t).to_string(),
            r#"<time datetime="2026-12-07T14:32:09Z" data-local>7 Dec 2026, 14:32 UTC</time>"#
        );
        assert_eq!(day(&t).to_string(), r#"<time datetime="2026-12-07T14:32:09Z" data-local="day">7 Dec 2026</time>"#);
        // In a template the element arrives as markup, not as escaped text.
        let html = Shown { t }.render().unwrap();
        assert_eq!(
            html,
            "<p>Until <time datetime=\"2026-12-07T14:32:09Z\" data-local>7 Dec 2026, 14:32 UTC</time>; made \
             <time datetime=\"2026-12-07T14:32:09Z\" data-local=\"day\">7 Dec 2026</time>.</p>"
        );
    }
}
