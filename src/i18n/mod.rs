//! The words of pages and mails in the reader's language: Mozilla Fluent catalogues
//! (`locales/<tag>.ftl`, one per language, compiled in) read through `t`. Which language a
//! reader gets is decided in one place per channel: `web::language` for a page,
//! the recipient's (or the invitation's) saved language for a mail.
//!
//! Two pseudo-locales (Android's tags) make hard-coded text visible: `en-XA` shows every catalogue word
//! accented, bracketed and 40 % longer, `ar-XB` the same right to left. A word on a
//! page in either that is not so is a word that did not come from the catalogue.
//!
//! Adding a language: copy `locales/en.ftl` to `locales/<tag>.ftl`, translate it, and add
//! one line to `SHIPPED` (and its `Lang` variant); the catalogue test then checks it has
//! every message.

mod pseudo;

use std::borrow::Cow;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

/// A language the portal speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    De,
    Fr,
    Es,
    /// Accented, bracketed and longer English: for finding hard-coded text.
    Pseudo,
    /// `Pseudo`, right to left.
    PseudoRtl,
}

/// (language, its tag, its name in itself, its catalogue). The order is the switcher's.
const SHIPPED: &[(Lang, &str, &str, &str)] = &[
    (Lang::En, "en", "English", include_str!("../../locales/en.ftl")),
    (Lang::De, "de", "Deutsch", include_str!("../../locales/de.ftl")),
    (Lang::Fr, "fr", "Français", include_str!("../../locales/fr.ftl")),
    (Lang::Es, "es", "Español", include_str!("../../locales/es.ftl")),
];

impl Lang {
    /// The languages people choose from (not the pseudo-locales).
    pub fn shipped() -> impl Iterator<Item = (Lang, &'static str, &'static str)> {
        SHIPPED.iter().map(|(l, tag, name, _)| (*l, *tag, *name))
    }

    /// The BCP 47 tag: `lang` on pages, what is saved.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Pseudo => "en-XA",
            Lang::PseudoRtl => "ar-XB",
            l => SHIPPED.iter().find(|(s, ..)| *s == l).map_or("en", |(_, tag, ..)| tag),
        }
    }

    /// `dir` on pages.
    pub fn dir(self) -> &'static str {
        if self == Lang::PseudoRtl { "rtl" } else { "ltr" }
    }

    /// The language a tag names, by its first part (`de-DE` → German); the pseudo-locales
    /// by their whole tag. None for a language the portal does not speak.
    pub fn parse(tag: &str) -> Option<Lang> {
        let tag = tag.trim();
        if tag.eq_ignore_ascii_case("en-XA") {
            return Some(Lang::Pseudo);
        }
        if tag.eq_ignore_ascii_case("ar-XB") {
            return Some(Lang::PseudoRtl);
        }
        let primary = tag.split(['-', '_']).next()?;
        SHIPPED.iter().find(|(_, t, ..)| t.eq_ignore_ascii_case(primary)).map(|(l, ..)| *l)
    }

    /// A shipped language a tag names (`de-DE` → German); never a pseudo-locale.
    pub fn shipped_of(tag: &str) -> Option<Lang> {
        Lang::parse(tag).filter(|l| !matches!(l, Lang::Pseudo | Lang::PseudoRtl))
    }

    /// The tags of the shipped languages, for messages that name them.
    pub fn shipped_tags() -> String {
        SHIPPED.iter().map(|(_, tag, ..)| *tag).collect::<Vec<_>>().join(", ")
    }
}

/// The best language of an `Accept-Language` header (by its q-values, the first listed
/// on a tie), if the portal speaks any of them.
pub fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let q =
            parts.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.trim().parse::<f32>().ok()).unwrap_or(1.0);
        if let Some(lang) = Lang::parse(tag).filter(|_| q > 0.0)
            && best.is_none_or(|(b, _)| q > b)
        {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

struct Catalog {
    bundles: Vec<(Lang, FluentBundle<FluentResource>)>,
}

fn bundle(text: &str, locale: &str, transform: Option<fn(&str) -> Cow<'_, str>>) -> FluentBundle<FluentResource> {
    let resource = FluentResource::try_new(text.to_string()).unwrap_or_else(|(_, e)| panic!("{locale}.ftl: {e:?}"));
    let mut bundle = FluentBundle::new_concurrent(vec![locale.parse().expect("a language tag")]);
    // No invisible isolation marks around names: mail subjects and plain text stay plain.
    bundle.set_use_isolating(false);
    bundle.set_transform(transform);
    bundle.add_resource(resource).unwrap_or_else(|e| panic!("{locale}.ftl: {e:?}"));
    bundle
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut bundles: Vec<_> = SHIPPED.iter().map(|(l, tag, _, text)| (*l, bundle(text, tag, None))).collect();
        let english = SHIPPED[0].3;
        bundles.push((Lang::Pseudo, bundle(english, "en", Some(pseudo::accented))));
        bundles.push((Lang::PseudoRtl, bundle(english, "en", Some(pseudo::mirrored))));
        Catalog { bundles }
    })
}

/// The message `id` in `lang`, with its arguments; English when the language lacks it (the
/// catalogue test sees that none does), the id itself when no catalogue has it.
pub fn t_args(lang: Lang, id: &str, args: &[(&str, &str)]) -> String {
    let catalog = catalog();
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, *value);
    }
    for l in [lang, Lang::En] {
        let Some((_, bundle)) = catalog.bundles.iter().find(|(b, _)| *b == l) else { continue };
        if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
            let mut errors = Vec::new();
            return bundle.format_pattern(pattern, Some(&fluent_args), &mut errors).into_owned();
        }
    }
    tracing::error!("no message {id} in any catalogue");
    id.to_string()
}

/// The message `id` in `lang`.
pub fn t(lang: Lang, id: &str) -> String {
    t_args(lang, id, &[])
}

/// The message as HTML, for values that are markup (an address in `<strong>`, a
/// `<time>`): the catalogue's words are escaped, the values put in as they are.
pub fn with_markup(lang: Lang, id: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    let marks: Vec<String> = (0..values.len()).map(|i| format!("\u{E000}{i}\u{E001}")).collect();
    let args: Vec<(&str, &str)> = values.iter().zip(&marks).map(|((name, _), mark)| (*name, mark.as_str())).collect();
    let mut text = escape(&t_args(lang, id, &args));
    for ((_, value), mark) in values.iter().zip(&marks) {
        text = text.replace(mark.as_str(), &value.to_string());
    }
    text
}

/// Text as HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A language tag the API takes for a shipped language: its first part one of theirs,
/// any further parts letters and digits (`de`, `fr-FR`, `es-419`). The API document
/// states the same as a pattern (`TAG_PATTERN`).
pub fn is_shipped_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    parts.next().is_some_and(|p| SHIPPED.iter().any(|(_, t, ..)| t.eq_ignore_ascii_case(p)))
        && parts.all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// `is_shipped_tag` as an ECMA-262 pattern.
pub fn tag_pattern() -> String {
    let firsts: Vec<String> = SHIPPED
        .iter()
        .map(|(_, t, ..)| t.chars().map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c)).collect())
        .collect();
    format!("^({})(-[A-Za-z0-9]+)*$", firsts.join("|"))
}

/// The message ids of a catalogue, for the catalogue test.
pub fn ids(lang: Lang) -> Vec<String> {
    let text = SHIPPED.iter().find(|(l, ..)| *l == lang).map_or("", |(.., text)| text);
    text.lines()
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests;
