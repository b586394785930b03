//! Canonical XML of one roxmltree subtree, without comments: Exclusive XML Canonicalization
//! 1.0 (with an InclusiveNamespaces PrefixList) and Canonical XML 1.0, optionally leaving out
//! one descendant element (the enveloped `ds:Signature`). These are the bytes we hash, taken
//! from the very nodes that are read afterwards, so a canonicalisation bug shows up as a
//! digest mismatch (fail closed) instead of a second view of the document.
//!
//! Unsupported, and refused rather than guessed: processing instructions inside the subtree,
//! and an element or attribute whose written prefix does not resolve to the namespace the
//! parser gave it (which a well-formed document cannot produce).

use std::collections::BTreeMap;

use roxmltree::{Node, NodeId};

pub const EXCLUSIVE: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub const INCLUSIVE: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Which canonicalisation, and for the exclusive one the prefixes to treat inclusively
/// (`#default` stands for the default namespace, kept here as the empty prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    Inclusive,
    Exclusive { inclusive_prefixes: Vec<String> },
}

impl Method {
    /// The method for an algorithm URI and, for the exclusive one, its PrefixList. Anything
    /// else (the `#WithComments` variants, C14N 1.1) is `None`: comments would be hashed
    /// while the reader skips them.
    pub fn from_algorithm(uri: &str, prefix_list: Option<&str>) -> Option<Method> {
        match uri {
            EXCLUSIVE => Some(Method::Exclusive {
                inclusive_prefixes: prefix_list
                    .unwrap_or("")
                    .split_ascii_whitespace()
                    .map(|p| if p == "#default" { String::new() } else { p.to_string() })
                    .collect(),
            }),
            INCLUSIVE if prefix_list.is_none() => Some(Method::Inclusive),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum C14nError {
    #[error("a processing instruction inside signed content")]
    ProcessingInstruction,
    #[error("a prefix that does not resolve to the element's or attribute's namespace")]
    PrefixMismatch,
    #[error("canonicalisation starts at an element")]
    NotAnElement,
    #[error("elements nested too deeply")]
    TooDeep,
}

/// Deeper than any SAML message nests (about ten levels): the recursion below must not be
/// an attacker's way to overflow the stack.
const MAX_DEPTH: usize = 128;

/// The canonical form of `apex` and its descendants, without comments and without the
/// subtree rooted at `excluded`.
pub fn canonicalize(apex: Node, method: &Method, excluded: Option<NodeId>) -> Result<String, C14nError> {
    if !apex.is_element() {
        return Err(C14nError::NotAnElement);
    }
    let mut out = String::new();
    // Nothing is rendered above the apex, so the apex renders every namespace it needs.
    let rendered = BTreeMap::new();
    element(apex, method, excluded, &rendered, 0, &mut out)?;
    Ok(out)
}

fn element<'a>(
    e: Node<'a, '_>,
    method: &'a Method,
    excluded: Option<NodeId>,
    rendered_above: &BTreeMap<&'a str, &'a str>,
    depth: usize,
    out: &mut String,
) -> Result<(), C14nError> {
    if depth > MAX_DEPTH {
        return Err(C14nError::TooDeep);
    }
    let is_apex = depth == 0;
    let input = e.document().input_text();
    let qname = element_qname(e, input)?;
    let prefix = prefix_of(qname);
    // The in-scope namespaces; an undeclared default (`xmlns=""`) is the empty URI.
    let in_scope: BTreeMap<&'a str, &'a str> = e.namespaces().map(|ns| (ns.name().unwrap_or(""), ns.uri())).collect();

    let mut attrs = Vec::new();
    for a in e.attributes() {
        let qname = &input[a.range_qname()];
        let a_prefix = prefix_of(qname);
        // An unprefixed attribute is in no namespace, whatever the default namespace.
        let a_ns = a_prefix.and_then(|p| resolve(&in_scope, Some(p)));
        if local_of(qname) != a.name() || a_ns != a.namespace() {
            return Err(C14nError::PrefixMismatch);
        }
        attrs.push((a.namespace().unwrap_or(""), a.name(), qname, a.value()));
    }
    if is_apex && *method == Method::Inclusive {
        // C14N 1.0 §2.4: a document subset's apex inherits the xml:* attributes of its
        // omitted ancestors (the nearest one wins), unless it has its own.
        for anc in e.ancestors().skip(1).filter(|n| n.is_element()) {
            for a in anc.attributes().filter(|a| a.namespace() == Some(XML_NS)) {
                if !attrs.iter().any(|(ns, name, _, _)| *ns == XML_NS && *name == a.name()) {
                    attrs.push((XML_NS, a.name(), &input[a.range_qname()], a.value()));
                }
            }
        }
    }

    // Which namespace declarations this element renders: every in-scope one (inclusive), or
    // only those visibly utilised plus the PrefixList (exclusive); in both cases only where
    // the nearest rendering ancestor did not already render the same binding.
    let candidates: Vec<&str> = match method {
        Method::Inclusive => in_scope.keys().copied().chain(std::iter::once("")).collect(),
        Method::Exclusive { inclusive_prefixes } => {
            let mut c: Vec<&str> = vec![prefix.unwrap_or("")];
            c.extend(attrs.iter().filter_map(|(_, _, q, _)| prefix_of(q)).filter(|p| *p != "xml"));
            c.extend(
                inclusive_prefixes.iter().map(String::as_str).filter(|p| p.is_empty() || in_scope.contains_key(p)),
            );
            c
        }
    };
    let mut rendered = rendered_above.clone();
    let mut decls: BTreeMap<&str, &str> = BTreeMap::new();
    for p in candidates {
        let uri = in_scope.get(p).copied().unwrap_or("");
        let above = rendered_above.get(p).copied().unwrap_or("");
        // An empty URI is only rendered for the default namespace, to undo a non-empty one
        // rendered above (`xmlns=""`); a prefix cannot be undeclared in XML 1.0.
        if uri != above && (!uri.is_empty() || p.is_empty()) {
            decls.insert(p, uri);
            rendered.insert(p, uri);
        }
    }
    // roxmltree reports an element under `xmlns=""` as in the empty namespace.
    let e_ns = e.tag_name().namespace().filter(|ns| !ns.is_empty());
    if resolve(&in_scope, prefix) != e_ns || local_of(qname) != e.tag_name().name() {
        return Err(C14nError::PrefixMismatch);
    }

    out.push('<');
    out.push_str(qname);
    for (p, uri) in &decls {
        out.push_str(if p.is_empty() { " xmlns" } else { " xmlns:" });
        out.push_str(p);
        out.push_str("=\"");
        escape_attr(uri, out);
        out.push('"');
    }
    // Attributes sort by namespace URI then local name, unqualified ones (empty URI) first.
    attrs.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    for (_, _, qname, value) in &attrs {
        out.push(' ');
        out.push_str(qname);
        out.push_str("=\"");
        escape_attr(value, out);
        out.push('"');
    }
    out.push('>');
    for child in e.children() {
        if Some(child.id()) == excluded {
            continue;
        }
        if child.is_element() {
            element(child, method, excluded, &rendered, depth + 1, out)?;
        } else if child.is_text() {
            escape_text(child.text().unwrap_or(""), out);
        } else if child.is_pi() {
            return Err(C14nError::ProcessingInstruction);
        }
        // Comments are not part of the canonical form without comments.
    }
    out.push_str("</");
    out.push_str(qname);
    out.push('>');
    Ok(())
}

/// The element's qualified name as written, read back from the input: roxmltree resolves
/// prefixes to URIs and keeps only the URI.
fn element_qname<'i>(e: Node<'_, 'i>, input: &'i str) -> Result<&'i str, C14nError> {
    let start = e.range().start;
    let rest = input.get(start..).and_then(|s| s.strip_prefix('<')).ok_or(C14nError::PrefixMismatch)?;
    let end = rest.find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>').unwrap_or(rest.len());
    Ok(&rest[..end])
}

fn prefix_of(qname: &str) -> Option<&str> {
    qname.split_once(':').map(|(p, _)| p)
}

fn local_of(qname: &str) -> &str {
    qname.split_once(':').map_or(qname, |(_, l)| l)
}

/// The namespace URI a written prefix stands for here (`None` for no namespace).
fn resolve<'a>(in_scope: &BTreeMap<&str, &'a str>, prefix: Option<&str>) -> Option<&'a str> {
    match prefix {
        Some("xml") => Some(XML_NS),
        Some(p) => in_scope.get(p).copied(),
        None => in_scope.get("").copied().filter(|u| !u.is_empty()),
    }
}

/// C14N §2.3 text nodes: `&`, `<`, `>` and carriage returns are escaped.
fn escape_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// C14N §2.3 attribute values: `&`, `<`, `"` and the whitespace characters that attribute
/// value normalisation would otherwise turn into spaces.
fn escape_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INPUT: &str = include_str!("../../../tests/fixtures/saml/c14n-input.xml");

    fn doc(xml: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(xml).unwrap()
    }

    fn exclusive(prefixes: &[&str]) -> Method {
        Method::Exclusive { inclusive_prefixes: prefixes.iter().map(|p| p.to_string()).collect() }
    }

    #[test]
    fn the_whole_document_matches_libxml2s_inclusive_c14n() {
        let d = doc(INPUT);
        let ours = canonicalize(d.root_element(), &Method::Inclusive, None).unwrap();
        assert_eq!(ours, include_str!("../../../tests/fixtures/saml/c14n-input.c14n"));
    }

    #[test]
    fn the_whole_document_matches_libxml2s_exclusive_c14n() {
        let d = doc(INPUT);
        let ours = canonicalize(d.root_element(), &exclusive(&[]), None).unwrap();
        assert_eq!(ours, include_str!("../../../tests/fixtures/saml/c14n-input.exc-c14n"));
    }

    #[test]
    fn exclusive_c14n_spec_example_renders_only_visibly_used_namespaces() {
        // xml-exc-c14n §2.2: the subtree `n1:elem2` carries only n1, whatever its context.
        let a = r#"<n0:local xmlns:n0="foo:bar" xmlns:n3="ftp://example.org"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n0:local>"#;
        let b = r#"<n2:pdu xmlns:n1="http://example.com" xmlns:n2="http://foo.example" xml:lang="fr" xml:space="retain"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n2:pdu>"#;
        let expected = r#"<n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"></n3:stuff></n1:elem2>"#;
        for xml in [a, b] {
            let d = doc(xml);
            let elem2 = d.descendants().find(|n| n.has_tag_name("elem2")).unwrap();
            assert_eq!(canonicalize(elem2, &exclusive(&[]), None).unwrap(), expected);
        }
        // Inclusive C14N of the same subtree drags in the context (§2.2's point).
        let d = doc(b);
        let elem2 = d.descendants().find(|n| n.has_tag_name("elem2")).unwrap();
        assert_eq!(
            canonicalize(elem2, &Method::Inclusive, None).unwrap(),
            r#"<n1:elem2 xmlns:n1="http://example.net" xmlns:n2="http://foo.example" xml:lang="en" xml:space="retain"><n3:stuff xmlns:n3="ftp://example.org"></n3:stuff></n1:elem2>"#
        );
    }

    #[test]
    fn the_prefix_list_renders_a_namespace_used_only_inside_a_value() {
        let xml = r#"<r xmlns:xs="urn:xs" xmlns:xsi="urn:xsi"><v xsi:type="xs:string">x</v></r>"#;
        let d = doc(xml);
        let v = d.root_element().first_element_child().unwrap();
        assert_eq!(
            canonicalize(v, &exclusive(&[]), None).unwrap(),
            r#"<v xmlns:xsi="urn:xsi" xsi:type="xs:string">x</v>"#
        );
        assert_eq!(
            canonicalize(v, &exclusive(&["xs"]), None).unwrap(),
            r#"<v xmlns:xs="urn:xs" xmlns:xsi="urn:xsi" xsi:type="xs:string">x</v>"#
        );
    }

    #[test]
    fn comments_are_dropped_and_the_excluded_subtree_is_left_out() {
        let d = doc("<a><b>x<!--c-->y</b><sig><inner/></sig>z</a>");
        let sig = d.descendants().find(|n| n.has_tag_name("sig")).unwrap();
        assert_eq!(canonicalize(d.root_element(), &Method::Inclusive, Some(sig.id())).unwrap(), "<a><b>xy</b>z</a>");
    }

    #[test]
    fn deep_nesting_is_refused_not_recursed_into() {
        let xml = format!("{}{}", "<a>".repeat(MAX_DEPTH + 2), "</a>".repeat(MAX_DEPTH + 2));
        let d = doc(&xml);
        assert_eq!(canonicalize(d.root_element(), &Method::Inclusive, None), Err(C14nError::TooDeep));
    }

    #[test]
    fn a_processing_instruction_in_signed_content_is_refused() {
        let d = doc("<a><?pi data?></a>");
        assert_eq!(canonicalize(d.root_element(), &Method::Inclusive, None), Err(C14nError::ProcessingInstruction));
    }

    #[test]
    fn with_comments_variants_are_not_methods() {
        assert_eq!(Method::from_algorithm("http://www.w3.org/2001/10/xml-exc-c14n#WithComments", None), None);
        assert_eq!(Method::from_algorithm("http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments", None), None);
        assert_eq!(Method::from_algorithm("http://www.w3.org/2006/12/xml-c14n11", None), None);
        assert_eq!(Method::from_algorithm(EXCLUSIVE, Some("xs #default")), Some(exclusive(&["xs", ""])));
    }
    /// Our canonical form of a signed element without its signature equals the bytes
    /// xmlsec1 hashed for it (its pre-digest buffer, saved by the fixture script).
    fn predigest_matches(xml: &str, signed: &str, method: Method, expected: &str) {
        let d = doc(xml);
        let e = d.descendants().find(|n| n.is_element() && n.tag_name().name() == signed).unwrap();
        let sig = e.children().find(|n| n.is_element() && n.tag_name().name() == "Signature").unwrap();
        assert_eq!(canonicalize(e, &method, Some(sig.id())).unwrap(), expected);
    }

    #[test]
    fn signed_subtrees_match_xmlsec1s_pre_digest_bytes() {
        use crate::federation::saml::fixtures::*;
        predigest_matches(
            ASSERTION_SIGNED_RSA,
            "Assertion",
            exclusive(&["xs"]),
            include_str!("../../../tests/fixtures/saml/assertion-signed-rsa.predigest"),
        );
        predigest_matches(
            ASSERTION_SIGNED_INCLUSIVE,
            "Assertion",
            Method::Inclusive,
            include_str!("../../../tests/fixtures/saml/assertion-signed-inclusive.predigest"),
        );
        predigest_matches(
            RESPONSE_SIGNED_RSA,
            "Response",
            exclusive(&["xs"]),
            include_str!("../../../tests/fixtures/saml/response-signed-rsa.predigest"),
        );
    }
}
