//! Test helpers: the xmlsec1-signed fixtures of `scripts/saml-fixtures.sh`, their keys, and
//! small text surgery (by roxmltree byte ranges) to build attacks from genuine responses.

use std::ops::Range;

use super::{Refused, TrustedKey, VerifiedAssertion, VerifyOptions, verify_response};

pub const ASSERTION_SIGNED_RSA: &str = include_str!("../../../tests/fixtures/saml/assertion-signed-rsa.xml");
pub const ASSERTION_SIGNED_EC: &str = include_str!("../../../tests/fixtures/saml/assertion-signed-ec.xml");
pub const RESPONSE_SIGNED_RSA: &str = include_str!("../../../tests/fixtures/saml/response-signed-rsa.xml");
pub const ASSERTION_SIGNED_INCLUSIVE: &str =
    include_str!("../../../tests/fixtures/saml/assertion-signed-inclusive.xml");
pub const ASSERTION_SIGNED_SHA1: &str = include_str!("../../../tests/fixtures/saml/assertion-signed-sha1.xml");
pub const ASSERTION_SIGNED_EMAIL: &str = include_str!("../../../tests/fixtures/saml/assertion-signed-email.xml");
pub const ATTACKER_SIGNED: &str = include_str!("../../../tests/fixtures/saml/attacker-signed.xml");
pub const WITH_COMMENTS_C14N: &str = include_str!("../../../tests/fixtures/saml/with-comments-c14n.xml");
pub const XPATH_TRANSFORM: &str = include_str!("../../../tests/fixtures/saml/xpath-transform.xml");

pub const PERSISTENT_ID: &str = "7f4e0e0c2b1d4a6f9c3e8b5a1d2c3b4a5e6f7081";
pub const ASSERTION_ID: &str = "_d71a3a8e9fcc45c9e9d248ef7049393fc8f04e5f75";
pub const RESPONSE_ID: &str = "_8e8dc5f69a98cc4c1ff3427e5ce34606fd672f91e6";

pub fn idp_rsa() -> TrustedKey {
    TrustedKey::from_certificate_der(include_bytes!("../../../tests/fixtures/saml/idp-rsa.der")).unwrap()
}

pub fn idp_ec() -> TrustedKey {
    TrustedKey::from_certificate_der(include_bytes!("../../../tests/fixtures/saml/idp-ec.der")).unwrap()
}

pub fn attacker() -> TrustedKey {
    TrustedKey::from_certificate_der(include_bytes!("../../../tests/fixtures/saml/attacker.der")).unwrap()
}

/// Verification as the partner IdP is configured: its RSA and EC certificates.
pub fn verify(xml: &str) -> Result<VerifiedAssertion, Refused> {
    verify_response(xml, &[idp_rsa(), idp_ec()], &VerifyOptions::default())
}

/// The byte range of the `nth` element named `local` (any namespace), in document order.
pub fn element(xml: &str, local: &str, nth: usize) -> Range<usize> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let node = doc.descendants().filter(|n| n.is_element() && n.tag_name().name() == local).nth(nth).unwrap();
    node.range()
}

pub fn text(xml: &str, local: &str, nth: usize) -> String {
    xml[element(xml, local, nth)].to_string()
}

pub fn splice(xml: &str, range: Range<usize>, with: &str) -> String {
    format!("{}{}{}", &xml[..range.start], with, &xml[range.end..])
}

/// Inserts `what` just before the closing tag of the `nth` `local` element.
pub fn append_child(xml: &str, local: &str, nth: usize, what: &str) -> String {
    let r = element(xml, local, nth);
    let close = xml[r.clone()].rfind("</").unwrap() + r.start;
    splice(xml, close..close, what)
}

/// Inserts `what` just before the `nth` `local` element.
pub fn insert_before(xml: &str, local: &str, nth: usize, what: &str) -> String {
    let r = element(xml, local, nth);
    splice(xml, r.start..r.start, what)
}

/// The document without its `nth` `local` element.
pub fn remove(xml: &str, local: &str, nth: usize) -> String {
    splice(xml, element(xml, local, nth), "")
}

/// The attacker's edit (SAML Raider's "match and replace"): someone else's identity.
pub fn evil(fragment: &str) -> String {
    fragment.replace(PERSISTENT_ID, "attacker-chosen-victim-id")
}

/// Changes the first `ID="…"` (the fragment's own, as it is written first).
pub fn set_id(fragment: &str, id: &str) -> String {
    let start = fragment.find(" ID=\"").unwrap() + 5;
    let end = fragment[start..].find('"').unwrap() + start;
    splice(fragment, start..end, id)
}
