//! The verification pipeline for an IdP's Response (research note §5, steps 1–6): size and
//! encoding, one strict parse, the shape that leaves no room for signature wrapping, the
//! signatures checked with the configured keys only, and the values read from the same
//! nodes that were hashed.

use std::collections::HashSet;

use roxmltree::{Document, Node, ParsingOptions};

use super::c14n::canonicalize;
use super::keys::TrustedKey;
use super::signature::{self, SignatureSpec};
use super::{ASSERTION_NS, DSIG_NS, PROTOCOL_NS, Refused, VerifiedAssertion, VerifyOptions, read};

/// Verifies a Response given as bytes (the decoded `SAMLResponse`): UTF-8 only.
pub fn verify_response_bytes(
    xml: &[u8],
    keys: &[TrustedKey],
    opts: &VerifyOptions,
) -> Result<VerifiedAssertion, Refused> {
    if xml.len() > opts.max_bytes {
        return Err(Refused::TooLarge);
    }
    verify_response(std::str::from_utf8(xml).map_err(|_| Refused::NotUtf8)?, keys, opts)
}

/// Verifies a Response with the IdP's configured keys (any one of them may have signed: key
/// rollover) and returns what its signed Assertion says.
pub fn verify_response(xml: &str, keys: &[TrustedKey], opts: &VerifyOptions) -> Result<VerifiedAssertion, Refused> {
    // With no key there is nothing to verify against; never "accept unsigned" by default
    // (samael 0.0.22 does, research note §1).
    if keys.is_empty() {
        return Err(Refused::NoTrustedKeys);
    }
    if xml.len() > opts.max_bytes {
        return Err(Refused::TooLarge);
    }
    // roxmltree ignores the declared encoding; a declaration naming another one means the
    // sender and we would read different characters.
    if !declared_encoding_is_utf8(xml) {
        return Err(Refused::NotUtf8);
    }
    // DTDs refused outright (entity expansion, external entities: XXE), and a node cap.
    let parse_opts = ParsingOptions { allow_dtd: false, nodes_limit: opts.max_nodes, ..ParsingOptions::default() };
    let doc = Document::parse_with_options(xml, parse_opts).map_err(|e| match e {
        roxmltree::Error::DtdDetected => Refused::Dtd,
        e => Refused::Malformed(e.to_string()),
    })?;
    // Processing instructions have no business in SAML, and C14N would hash them.
    if doc.descendants().any(|n| n.is_pi()) {
        return Err(Refused::Structure("a processing instruction"));
    }

    let response = doc.root_element();
    if !is(response, PROTOCOL_NS, "Response") {
        return Err(Refused::Structure("the root is not samlp:Response"));
    }
    let assertion = the_assertion(&doc, response)?;
    check_ids(&doc)?;
    let response_id = ncname_id(response)?;
    let assertion_id = ncname_id(assertion)?;

    // Every ds:Signature in the document must be enveloped in the Response or the Assertion
    // and refer to it: a signature elsewhere (XSW's moved or copied signatures, one inside
    // KeyInfo or Object) is refused instead of ignored.
    let mut signed_response = false;
    let mut signed_assertion = false;
    for sig in doc.descendants().filter(|n| is(*n, DSIG_NS, "Signature")) {
        let parent = sig.parent_element().ok_or(Refused::Structure("a signature outside any element"))?;
        let (parent_id, flag) = if parent == response {
            (response_id, &mut signed_response)
        } else if parent == assertion {
            (assertion_id, &mut signed_assertion)
        } else {
            return Err(Refused::Signature("a signature that is not enveloped in the Response or the Assertion"));
        };
        if *flag {
            return Err(Refused::Signature("two signatures on one element"));
        }
        let spec = signature::parse(sig, opts.allow_sha1)?;
        // The one Reference names the enveloping element itself, so what is hashed is the
        // element we read from, not an element found elsewhere by ID (XSW1–XSW8).
        if spec.reference_id != parent_id {
            return Err(Refused::Signature("the reference does not point at the signed element"));
        }
        check_signature(&spec, parent, sig, keys)?;
        *flag = true;
    }
    if !signed_response && !signed_assertion {
        return Err(Refused::Unsigned);
    }
    // A signed Response covers its single Assertion; otherwise the Assertion's own
    // signature does. Either way `assertion` is a verified node.
    read::verified(response, assertion, signed_response, signed_assertion)
}

/// Digest of the enveloping element without its signature, then the SignedInfo's signature
/// with one of the configured keys. KeyInfo is never consulted.
fn check_signature(spec: &SignatureSpec, parent: Node, sig: Node, keys: &[TrustedKey]) -> Result<(), Refused> {
    let referenced = canonicalize(parent, &spec.reference_c14n, Some(sig.id()))?;
    // Not secret: the attacker knows the content; a plain comparison leaks nothing.
    if spec.digest_algorithm.digest(referenced.as_bytes()) != spec.digest_value {
        return Err(Refused::DigestMismatch);
    }
    let signed_info = canonicalize(spec.signed_info, &spec.signed_info_c14n, None)?;
    if keys.iter().any(|k| k.verifies(spec.algorithm, signed_info.as_bytes(), &spec.signature_value)) {
        Ok(())
    } else {
        Err(Refused::BadSignature)
    }
}

/// The Response's single Assertion, a direct child. Any other Assertion or
/// EncryptedAssertion, in whatever namespace or depth (Advice, Extensions, a wrapper, inside
/// a signature), is refused: a second one is what XSW3–XSW8 hope the reader picks up.
fn the_assertion<'a, 'input>(
    doc: &'a Document<'input>,
    response: Node<'a, 'input>,
) -> Result<Node<'a, 'input>, Refused> {
    let mut found = doc
        .descendants()
        .filter(|n| n.is_element() && matches!(n.tag_name().name(), "Assertion" | "EncryptedAssertion"));
    match (found.next(), found.next()) {
        (Some(a), None) if a.parent() == Some(response) && is(a, ASSERTION_NS, "Assertion") => Ok(a),
        (Some(a), None) if a.tag_name().name() == "EncryptedAssertion" => {
            Err(Refused::Structure("encrypted assertions are not supported"))
        }
        (None, _) => Err(Refused::Structure("no Assertion")),
        (Some(_), None) => Err(Refused::Structure("the Assertion is not a direct child of the Response")),
        (Some(_), Some(_)) => Err(Refused::Structure("more than one Assertion")),
    }
}

/// IDs (ID, Id, id, xml:id) are unique across the document: a duplicate is how a reference
/// is made to find another element than the one read.
fn check_ids(doc: &Document) -> Result<(), Refused> {
    let mut seen = HashSet::new();
    for e in doc.descendants().filter(|n| n.is_element()) {
        for a in e.attributes() {
            let is_id = match a.namespace() {
                None => matches!(a.name(), "ID" | "Id" | "id"),
                Some(ns) => ns == "http://www.w3.org/XML/1998/namespace" && a.name() == "id",
            };
            if is_id && !seen.insert(a.value()) {
                return Err(Refused::BadId);
            }
        }
    }
    Ok(())
}

fn ncname_id<'a>(e: Node<'a, '_>) -> Result<&'a str, Refused> {
    let id = e.attribute("ID").ok_or(Refused::BadId)?;
    let mut chars = id.chars();
    let first_ok = chars.next().is_some_and(|c| c == '_' || c.is_alphabetic());
    if first_ok && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        Ok(id)
    } else {
        Err(Refused::BadId)
    }
}

pub(super) fn is(n: Node, ns: &str, name: &str) -> bool {
    n.is_element() && n.tag_name().namespace() == Some(ns) && n.tag_name().name() == name
}

/// False only when an XML declaration names an encoding other than UTF-8.
fn declared_encoding_is_utf8(xml: &str) -> bool {
    let xml = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let Some(decl) = xml.strip_prefix("<?xml").and_then(|rest| rest.split_once("?>")).map(|(d, _)| d) else {
        return true;
    };
    let Some((_, after)) = decl.split_once("encoding") else {
        return true;
    };
    let value = after.trim_start().strip_prefix('=').map(str::trim_start).unwrap_or("");
    let Some(quote) = value.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        return false;
    };
    value[1..].split(quote).next().is_some_and(|enc| enc.eq_ignore_ascii_case("UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    const ACS: &str = "https://vestibule.example/auth/partner/saml/acs";
    const SP: &str = "https://vestibule.example/auth/partner/saml/metadata";
    const IDP: &str = "https://idp.partner.example/simplesaml/saml2/idp/metadata.php";
    const REQUEST: &str = "_a0d1c5b3e6f24c7d9b8e1f2a3c4d5e6f0123";

    #[test]
    fn an_assertion_signed_with_rsa_and_exclusive_c14n_verifies_and_reads_its_values() {
        let v = verify(ASSERTION_SIGNED_RSA).unwrap();
        assert!(v.assertion_signed && !v.response_signed);
        assert_eq!(v.id, ASSERTION_ID);
        assert_eq!(v.issuer, IDP);
        let name_id = v.name_id.unwrap();
        assert_eq!(name_id.value, PERSISTENT_ID);
        assert_eq!(name_id.format.as_deref(), Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"));
        assert_eq!(name_id.sp_name_qualifier.as_deref(), Some(SP));
        assert_eq!(v.conditions.audience_restrictions, vec![vec![SP.to_string()]]);
        assert_eq!(v.conditions.not_before.unwrap().to_rfc3339(), "2026-12-07T09:21:35+00:00");
        assert_eq!(v.conditions.not_on_or_after.unwrap().to_rfc3339(), "2026-12-07T09:27:05+00:00");
        let [sc] = &v.subject_confirmations[..] else { panic!("one subject confirmation") };
        assert_eq!(sc.method, "urn:oasis:names:tc:SAML:2.0:cm:bearer");
        assert_eq!(sc.recipient.as_deref(), Some(ACS));
        assert_eq!(sc.in_response_to.as_deref(), Some(REQUEST));
        assert!(sc.not_on_or_after.is_some());
        let authn = v.authn.unwrap();
        assert_eq!(authn.context_class.as_deref(), Some("https://refeds.org/profile/mfa"));
        assert_eq!(authn.instant.to_rfc3339(), "2026-12-07T09:22:01+00:00");
        assert_eq!(v.attributes["urn:oid:0.9.2342.19200300.100.1.3"].values, ["ada.lovelace@partner.example"]);
        assert_eq!(v.attributes["urn:oid:0.9.2342.19200300.100.1.3"].friendly_name.as_deref(), Some("mail"));
        assert_eq!(v.attributes["urn:oid:2.16.840.1.113730.3.1.241"].values, ["Ada Lovelace & Co <R&D>"]);
        assert_eq!(v.attributes["urn:oid:1.3.6.1.4.1.5923.1.1.1.7"].values.len(), 2);
        // The Response's fields are read but, here, unsigned.
        assert_eq!(v.response.destination.as_deref(), Some(ACS));
        assert_eq!(v.response.in_response_to.as_deref(), Some(REQUEST));
        assert_eq!(v.response.issuer.as_deref(), Some(IDP));
        assert_eq!(v.response.status, "urn:oasis:names:tc:SAML:2.0:status:Success");
        assert_eq!(v.response.id, RESPONSE_ID);
    }

    #[test]
    fn an_assertion_signed_with_ecdsa_verifies() {
        let v = verify(ASSERTION_SIGNED_EC).unwrap();
        assert_eq!(v.name_id.unwrap().value, PERSISTENT_ID);
        // The EC response is not accepted on the strength of the RSA certificate alone.
        let rsa_only = verify_response(ASSERTION_SIGNED_EC, &[idp_rsa()], &VerifyOptions::default());
        assert_eq!(rsa_only.unwrap_err(), Refused::BadSignature);
    }

    #[test]
    fn a_signed_response_covers_its_assertion() {
        let v = verify(RESPONSE_SIGNED_RSA).unwrap();
        assert!(v.response_signed && !v.assertion_signed);
        assert_eq!(v.name_id.unwrap().value, PERSISTENT_ID);
        assert_eq!(v.response.destination.as_deref(), Some(ACS));
    }

    #[test]
    fn inclusive_c14n_verifies() {
        assert_eq!(verify(ASSERTION_SIGNED_INCLUSIVE).unwrap().id, ASSERTION_ID);
    }

    #[test]
    fn any_configured_key_may_have_signed_during_a_rollover() {
        let keys = [attacker(), idp_ec(), idp_rsa()];
        verify_response(ASSERTION_SIGNED_RSA, &keys, &VerifyOptions::default()).unwrap();
    }

    #[test]
    fn the_encoding_declaration_must_be_utf8_when_present() {
        assert!(declared_encoding_is_utf8("<a/>"));
        assert!(declared_encoding_is_utf8("<?xml version=\"1.0\"?><a/>"));
        assert!(declared_encoding_is_utf8("<?xml version='1.0' encoding = 'utf-8'?><a/>"));
        assert!(!declared_encoding_is_utf8("<?xml version='1.0' encoding='UTF-16'?><a/>"));
        assert!(!declared_encoding_is_utf8("<?xml version='1.0' encoding=UTF-8?><a/>"));
    }
}
