//! The one-way house (STYLE.md, `src/lib.rs`): an import graph of `src/` is read from the
//! source — every `crate::…` and `super::…` path, braces expanded — and checked against the
//! layer rules, and for circles between files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// Files as module paths: `src/web/public/mod.rs` is `web::public`, `src/lib.rs` is ``.
fn modules() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::from(SRC)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(SRC).unwrap().with_extension("");
                let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                    parts.pop();
                }
                let text = std::fs::read_to_string(&path).unwrap();
                // Unit tests at the bottom of a file are not part of the house.
                let text = text.split("#[cfg(test)]").next().unwrap().to_string();
                if path.ends_with("main.rs") {
                    continue; // the binary: `vestibule::…`, outside the library's graph
                }
                out.insert(parts.join("::"), text);
            }
        }
    }
    out
}

/// Paths a file names: `crate::a::b::{c, d::e}` gives `a::b::c`, `a::b::d::e`.
fn named_paths(module: &str, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let code: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    // Paths into child modules declared here (`mod routes;` … `routes::table`) count too.
    let children: Vec<String> = code
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod ").or_else(|| l.trim().strip_prefix("mod ")))
        .filter_map(|rest| rest.strip_suffix(';'))
        .map(|name| name.trim().to_string())
        .collect();
    let mut anchors = vec![("crate::".to_string(), String::new()), ("super::".to_string(), parent(module))];
    for child in children {
        anchors.push((format!("{child}::"), join(module, &child)));
    }
    for (anchor, base) in anchors {
        let anchor = anchor.as_str();
        let mut rest = code.as_str();
        while let Some(at) = rest.find(anchor) {
            // Not part of a longer path or identifier (`mycrate::`, `web::routes::`).
            let before = rest[..at].chars().last();
            rest = &rest[at + anchor.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            expand(&base, rest, &mut found);
        }
    }
    found
}

fn parent(module: &str) -> String {
    module.rsplit_once("::").map(|(p, _)| p.to_string()).unwrap_or_default()
}

fn join(base: &str, more: &str) -> String {
    if base.is_empty() { more.to_string() } else { format!("{base}::{more}") }
}

/// Reads one path from the start of `s` (after `crate::`), expanding a brace group.
fn expand(base: &str, s: &str, out: &mut Vec<String>) {
    let ident: String = s.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
    let ident = ident.trim_end_matches(':');
    let after = &s[ident.len()..];
    let path = join(base, ident);
    if let Some(group) = after.strip_prefix("::{") {
        let mut depth = 1;
        let mut end = 0;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end = i;
                break;
            }
        }
        for item in split_top(&group[..end]) {
            let item = item.trim();
            if !item.is_empty() && item != "self" {
                expand(&path, item, out);
            }
        }
        out.push(path);
    } else if !ident.is_empty() {
        out.push(path);
    }
}

fn split_top(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// The file a path lands in: its longest prefix that is a module.
fn owner(path: &str, modules: &BTreeMap<String, String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|p| modules.contains_key(p))
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let mut edges = BTreeMap::new();
    for (module, text) in &modules {
        let targets: BTreeSet<String> = named_paths(module, text)
            .iter()
            .filter_map(|p| owner(p, &modules))
            .filter(|t| t != module && !t.is_empty())
            .collect();
        edges.insert(module.clone(), targets);
    }
    edges
}

fn layer(module: &str) -> &str {
    module.split("::").next().unwrap_or("")
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let g = graph();
    assert!(g.len() > 60, "the source was read: {} modules", g.len());
    // Who may not import whom (the top of src/lib.rs says why).
    let forbidden: &[(&str, &[&str])] = &[
        (
            "domain",
            &[
                "web",
                "flows",
                "db",
                "mail",
                "jobs",
                "app",
                "config",
                "state",
                "auth",
                "federation",
                "provider",
                "secrets",
            ],
        ),
        ("db", &["web", "flows", "jobs", "app", "auth", "federation", "provider", "mail"]),
        ("mail", &["web", "flows", "jobs", "app", "auth", "provider"]),
        ("state", &["web", "flows", "jobs", "app", "auth"]),
        ("error", &["web", "flows", "jobs", "app", "state"]),
        ("flows", &["web", "jobs", "app"]),
        // Below state: it holds federation's caches and HTTP client, which are passed in.
        ("federation", &["web", "flows", "jobs", "app", "state", "auth", "provider"]),
        ("provider", &["web", "flows", "jobs", "app"]),
        ("auth", &["web", "flows", "jobs", "app"]),
        ("jobs", &["web", "app"]),
        ("config", &["web", "flows", "jobs", "app", "state", "db"]),
        ("secrets", &["web", "flows", "jobs", "app", "state", "db"]),
        // The catalogues: words for pages and mails, read by both; a leaf like telemetry.
        ("i18n", &["web", "flows", "jobs", "app", "state", "db", "auth", "federation", "provider", "mail", "domain"]),
        // Counters and timings: called from every layer, so it imports none of them.
        (
            "telemetry",
            &["web", "flows", "jobs", "app", "state", "db", "auth", "federation", "provider", "mail", "domain"],
        ),
    ];
    let mut wrong = Vec::new();
    for (from, targets) in &g {
        for to in targets {
            if let Some((_, banned)) = forbidden.iter().find(|(l, _)| *l == layer(from))
                && banned.contains(&layer(to))
            {
                wrong.push(format!("{from} -> {to}"));
            }
            // State holds the provider's key ring (a leaf that imports no state) and nothing else of it.
            if from == "state" && layer(to) == "provider" && to != "provider::keys" {
                wrong.push(format!("{from} -> {to} (state holds only provider::keys)"));
            }
            if from.starts_with("web::admin") && to.starts_with("web::public") {
                wrong.push(format!("{from} -> {to} (admin pages do not borrow from public ones)"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports that point up:\n{}", wrong.join("\n"));
}

/// A module's code without comments (`//`, `//!`, `///` lines and trailing `// …`).
fn code_of(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(|l| match l.find(" // ") {
            Some(at) => &l[..at],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn db_runs_queries_and_queues_nothing() {
    // Mail and back-channel logouts are queued by the flow (or `auth::ending`) that causes
    // them, in its transaction; a query module that queued would hide a side effect.
    let g = graph();
    let wrong: Vec<String> = g
        .iter()
        .filter(|(from, _)| layer(from) == "db" && from.as_str() != "db::outbox" && from.as_str() != "db")
        .filter(|(_, targets)| targets.contains("db::outbox"))
        .map(|(from, _)| from.clone())
        .collect();
    assert!(wrong.is_empty(), "db modules that queue: {wrong:?}");
}

#[test]
fn audit_events_are_written_only_with_an_action_of_the_catalogue() {
    // `db::audit::record` and the seed's bulk insert bind `Action::code()`: any other
    // INSERT could store a code the log has no sentence for (issue 26).
    let mut writers: Vec<String> = modules()
        .into_iter()
        .filter(|(_, text)| code_of(text).to_uppercase().contains("INSERT INTO AUDIT_EVENTS"))
        .map(|(module, _)| module)
        .collect();
    for db in ["sqlite", "postgres"] {
        let dir = Path::new(SRC).join("../migrations").join(db);
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if std::fs::read_to_string(&path).unwrap().to_uppercase().contains("INSERT INTO AUDIT_EVENTS") {
                writers.push(path.display().to_string());
            }
        }
    }
    assert_eq!(writers, ["db::audit", "db::seed"]);
}

#[test]
fn flows_write_no_route_and_no_mail_wording() {
    // Addresses come from `mail::links`, the words of mail from `mail::notices` and the mail
    // templates: a flow names what happened, never how it reads or where it lives.
    let segments: BTreeSet<String> = vestibule::web::routes::declared()
        .iter()
        .filter_map(|(_, p, _)| p.split('/').nth(1).filter(|s| !s.is_empty() && !s.starts_with('{')))
        .map(str::to_string)
        .collect();
    assert!(segments.contains("admin") && segments.contains("redeem"), "{segments:?}");
    let mut wrong = Vec::new();
    for (module, text) in modules().iter().filter(|(m, _)| layer(m) == "flows") {
        let code = code_of(text);
        for seg in &segments {
            for end in ['/', '"', '?', '{'] {
                if code.contains(&format!("\"/{seg}{end}")) {
                    wrong.push(format!("{module} writes the route /{seg}"));
                }
            }
        }
        // A notice built here, or handed words: `notices::x("…")`.
        let handed_words = code.split("notices::").skip(1).any(|rest| {
            let args = rest.split_once('(').map(|(_, a)| a.trim_start()).unwrap_or("");
            args.starts_with('"') || args.starts_with("&format!") || args.starts_with("format!")
        });
        if code.contains("Notice {") || handed_words {
            wrong.push(format!("{module} writes the words of a mail"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_import_graph_has_no_circle() {
    let g = graph();
    // Depth-first search; a back edge is a circle.
    fn visit<'a>(
        n: &'a str,
        g: &'a BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
        circles: &mut Vec<String>,
    ) {
        state.insert(n, 1);
        stack.push(n);
        for m in g.get(n).into_iter().flatten() {
            match state.get(m.as_str()) {
                Some(1) => {
                    let at = stack.iter().position(|s| *s == m).unwrap();
                    circles.push(format!("{} -> {m}", stack[at..].join(" -> ")));
                }
                Some(_) => {}
                None => visit(m, g, state, stack, circles),
            }
        }
        stack.pop();
        state.insert(n, 2);
    }
    let (mut state, mut circles) = (BTreeMap::new(), Vec::new());
    for n in g.keys() {
        if !state.contains_key(n.as_str()) {
            visit(n, &g, &mut state, &mut Vec::new(), &mut circles);
        }
    }
    assert!(circles.is_empty(), "{} circles in the import graph:\n{}", circles.len(), circles.join("\n"));
}

#[test]
fn the_reader_finds_grouped_and_relative_imports() {
    let text = "pub mod codes;\nuse crate::db::{apps::{self, App}, users};\nfn f() { super::queue_notice(); crate::flows::x(); codes::issue(); }";
    let found = named_paths("flows::signin", text);
    for p in
        ["db::apps::App", "db::apps", "db::users", "flows::queue_notice", "flows::x", "flows::signin::codes::issue"]
    {
        assert!(found.contains(&p.to_string()), "{p} in {found:?}");
    }
    let _ = Path::new(SRC);
}
