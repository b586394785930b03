use super::*;

#[test]
fn every_shipped_language_has_every_message_and_no_other() {
    let english = ids(Lang::En);
    assert!(!english.is_empty());
    for (lang, tag, _) in Lang::shipped() {
        let mut theirs = ids(lang);
        let mut ours = english.clone();
        theirs.sort();
        ours.sort();
        assert_eq!(theirs, ours, "{tag}.ftl has exactly English's messages");
    }
}

/// Every message a template or the code asks for is in the catalogue, and the catalogue
/// holds nothing that nothing asks for. Asked for: the first argument of a call of the
/// catalogue (`ctx.t("…")`, `self.t_org("…")`, `i18n::t_args(lang, "…"`); used: an id
/// written in quotes anywhere (an id chosen in code before the call counts).
#[test]
fn the_catalogue_is_what_the_pages_and_mails_use() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let call = regex_lite::Regex::new(r#"(?:\.t|\.t1|\.t2|\.t_org|i18n::t)\("([^"]*)""#).unwrap();
    let call_with_lang = regex_lite::Regex::new(r#"(?:t_args|with_markup)\([^,()]+,\s*"([^"]*)""#).unwrap();
    let quoted = regex_lite::Regex::new(r#""([a-z][a-z0-9]*(?:-[a-z0-9]+)+)""#).unwrap();
    let (mut asked, mut quoted_ids) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
    let mut stack = vec![root.join("templates"), root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.ends_with("i18n/tests.rs") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            for c in call.captures_iter(&text).chain(call_with_lang.captures_iter(&text)) {
                asked.insert(c[1].to_string());
            }
            quoted_ids.extend(quoted.captures_iter(&text).map(|c| c[1].to_string()));
        }
    }
    let known: std::collections::BTreeSet<String> = ids(Lang::En).into_iter().collect();
    assert!(asked.len() > 20, "the calls were read: {asked:?}");
    let missing: Vec<_> = asked.iter().filter(|id| !known.contains(*id)).collect();
    assert!(missing.is_empty(), "asked for but not in en.ftl: {missing:?}");
    let unused: Vec<_> = known.iter().filter(|id| !asked.contains(*id) && !quoted_ids.contains(*id)).collect();
    assert!(unused.is_empty(), "in en.ftl but asked for by nothing: {unused:?}");
}

#[test]
fn the_language_of_a_tag_and_of_a_browser() {
    assert_eq!(Lang::parse("de-DE"), Some(Lang::De));
    assert_eq!(Lang::parse("FR"), Some(Lang::Fr));
    assert_eq!(Lang::parse("pt-BR"), None);
    assert_eq!(from_accept_language("pt-BR, fr;q=0.8, de;q=0.9"), Some(Lang::De));
    assert_eq!(from_accept_language("es-ES,es;q=0.9,en;q=0.8"), Some(Lang::Es));
    assert_eq!(from_accept_language("ja, zh;q=0.5"), None);
    assert_eq!(from_accept_language("de;q=0"), None);
}

#[test]
fn the_pseudo_locale_is_accented_longer_and_keeps_values() {
    let text = t_args(Lang::Pseudo, "redeem-heading", &[("inviter", "Ana"), ("org", "Contoso")]);
    assert!(text.contains("Ana") && text.contains("Contoso"), "{text}");
    assert!(text.chars().any(pseudo::is_accented) && text.contains('['), "{text}");
    assert!(t(Lang::PseudoRtl, "redeem-accept").starts_with('\u{202E}'));
    assert_eq!(t(Lang::De, "redeem-accept"), "Zum Annehmen anmelden");
}

#[test]
fn the_api_tag_rule_and_its_pattern_agree() {
    let pattern = regex_lite::Regex::new(&tag_pattern()).unwrap();
    for tag in
        ["de", "DE-de", "fr-FR", "es-419", "en-GB-oxendict", "pt", "de-", "de_DE", "d", "", "fr-F R", "esx", "en-XA"]
    {
        assert_eq!(pattern.is_match(tag), is_shipped_tag(tag), "{tag:?}");
    }
}
