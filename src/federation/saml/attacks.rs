//! The attack corpus: signature wrapping as SAML Raider numbers it (XSW1–XSW8, after
//! Somorovsky et al., "On Breaking SAML"), extra assertions, comment injection, namespace
//! tricks, foreign keys, weak or dangerous algorithms and XML hardening. Each attack starts
//! from a genuine xmlsec1-signed fixture and must be refused (or, for comment injection,
//! must read the whole signed value).

use super::fixtures::*;
use super::{Refused, VerifyOptions, verify_response};

const EVIL_ASSERTION_ID: &str = "_evil_assertion_ID";

fn refused(xml: &str) -> Refused {
    match verify(xml) {
        Ok(v) => panic!("accepted an attack, reading NameID {:?}", v.name_id),
        Err(e) => e,
    }
}

/// The Assertion without its signature: the unsigned copy the wrappers use.
fn unsigned_assertion(xml: &str) -> String {
    text(&remove(xml, "Signature", 0), "Assertion", 0)
}

fn replace_assertion(xml: &str, with: &str) -> String {
    splice(xml, element(xml, "Assertion", 0), with)
}

#[test]
fn the_genuine_fixtures_verify_before_they_are_attacked() {
    verify(ASSERTION_SIGNED_RSA).unwrap();
    verify(RESPONSE_SIGNED_RSA).unwrap();
}

#[test]
fn xsw1_the_original_response_inside_the_signature_of_an_evil_one() {
    let original = text(&remove(RESPONSE_SIGNED_RSA, "Signature", 0), "Response", 0);
    let outer = set_id(&evil(RESPONSE_SIGNED_RSA), "_evil_response_ID");
    let attack = append_child(&outer, "Signature", 0, &original);
    assert!(matches!(refused(&attack), Refused::Structure(_)));
}

#[test]
fn xsw2_the_original_response_before_the_signature_of_an_evil_one() {
    let original = text(&remove(RESPONSE_SIGNED_RSA, "Signature", 0), "Response", 0);
    let outer = set_id(&evil(RESPONSE_SIGNED_RSA), "_evil_response_ID");
    let attack = insert_before(&outer, "Signature", 0, &original);
    assert!(matches!(refused(&attack), Refused::Structure(_)));
}

#[test]
fn xsw3_an_evil_assertion_before_the_signed_one() {
    let evil_assertion = set_id(&evil(&unsigned_assertion(ASSERTION_SIGNED_RSA)), EVIL_ASSERTION_ID);
    let attack = insert_before(ASSERTION_SIGNED_RSA, "Assertion", 0, &evil_assertion);
    assert_eq!(refused(&attack), Refused::Structure("more than one Assertion"));
}

#[test]
fn xsw4_the_signed_assertion_inside_an_evil_one() {
    let original = text(ASSERTION_SIGNED_RSA, "Assertion", 0);
    let mut wrapper = set_id(&evil(&unsigned_assertion(ASSERTION_SIGNED_RSA)), EVIL_ASSERTION_ID);
    let close = wrapper.rfind("</saml:Assertion>").unwrap();
    wrapper.insert_str(close, &original);
    assert_eq!(
        refused(&replace_assertion(ASSERTION_SIGNED_RSA, &wrapper)),
        Refused::Structure("more than one Assertion")
    );
}

#[test]
fn xsw5_an_evil_assertion_keeps_the_signature_and_an_unsigned_copy_follows() {
    let evil_signed = set_id(&evil(&text(ASSERTION_SIGNED_RSA, "Assertion", 0)), EVIL_ASSERTION_ID);
    let copy = unsigned_assertion(ASSERTION_SIGNED_RSA);
    let attack = replace_assertion(ASSERTION_SIGNED_RSA, &format!("{evil_signed}\n  {copy}"));
    assert_eq!(refused(&attack), Refused::Structure("more than one Assertion"));
}

#[test]
fn xsw6_an_evil_assertion_with_the_original_inside_its_signature() {
    let evil_signed = set_id(&evil(&text(ASSERTION_SIGNED_RSA, "Assertion", 0)), EVIL_ASSERTION_ID);
    let doc = replace_assertion(ASSERTION_SIGNED_RSA, &evil_signed);
    let attack = append_child(&doc, "Signature", 0, &unsigned_assertion(ASSERTION_SIGNED_RSA));
    assert_eq!(refused(&attack), Refused::Structure("more than one Assertion"));
}

#[test]
fn xsw7_an_evil_assertion_in_an_extensions_element() {
    let evil_copy = evil(&unsigned_assertion(ASSERTION_SIGNED_RSA));
    let attack = insert_before(ASSERTION_SIGNED_RSA, "Assertion", 0, &format!("<Extensions>{evil_copy}</Extensions>"));
    assert_eq!(refused(&attack), Refused::Structure("more than one Assertion"));
}

#[test]
fn xsw8_the_original_in_a_ds_object_of_an_evil_assertion() {
    let doc = replace_assertion(ASSERTION_SIGNED_RSA, &evil(&text(ASSERTION_SIGNED_RSA, "Assertion", 0)));
    let object = format!("<Object>{}</Object>", unsigned_assertion(ASSERTION_SIGNED_RSA));
    let attack = append_child(&doc, "Signature", 0, &object);
    assert_eq!(refused(&attack), Refused::Structure("more than one Assertion"));
    // Even alone (no second assertion), a ds:Object is not accepted inside a signature.
    let attack = append_child(ASSERTION_SIGNED_RSA, "Signature", 0, r#"<ds:Object><x/></ds:Object>"#);
    assert!(matches!(refused(&attack), Refused::Signature(_)));
}

#[test]
fn a_second_unsigned_assertion_beside_or_inside_the_signed_one_is_refused() {
    let extra = set_id(&evil(&unsigned_assertion(ASSERTION_SIGNED_RSA)), EVIL_ASSERTION_ID);
    let after = format!("{}\n  {extra}", text(ASSERTION_SIGNED_RSA, "Assertion", 0));
    assert_eq!(
        refused(&replace_assertion(ASSERTION_SIGNED_RSA, &after)),
        Refused::Structure("more than one Assertion")
    );
    // Inside, as Advice: the Assertion's signature excludes nothing but itself, so this is
    // also a digest mismatch; the shape check refuses it first.
    let advice = format!("<saml:Advice>{extra}</saml:Advice>");
    let inside = insert_before(ASSERTION_SIGNED_RSA, "Subject", 0, &advice);
    assert_eq!(refused(&inside), Refused::Structure("more than one Assertion"));
    // Inside the signature's KeyInfo, which no digest covers.
    let in_key_info = append_child(ASSERTION_SIGNED_RSA, "KeyInfo", 0, &extra);
    assert_eq!(refused(&in_key_info), Refused::Structure("more than one Assertion"));
    // In a Response-signed message, beside the Assertion (inside the Response's digest).
    let beside = insert_before(RESPONSE_SIGNED_RSA, "Assertion", 0, &extra);
    assert_eq!(refused(&beside), Refused::Structure("more than one Assertion"));
}

#[test]
fn a_signature_moved_to_the_response_but_pointing_at_the_assertion_is_refused() {
    let sig = text(ASSERTION_SIGNED_RSA, "Signature", 0);
    let doc = remove(ASSERTION_SIGNED_RSA, "Signature", 0);
    let attack = insert_before(&doc, "Status", 0, &sig);
    assert_eq!(refused(&attack), Refused::Signature("the reference does not point at the signed element"));
}

#[test]
fn a_duplicated_id_is_refused() {
    let attack = insert_before(
        ASSERTION_SIGNED_RSA,
        "Status",
        0,
        &format!(r#"<samlp:Extensions><x ID="{ASSERTION_ID}"/></samlp:Extensions>"#),
    );
    assert_eq!(refused(&attack), Refused::BadId);
}

#[test]
fn comment_injection_in_the_name_id_reads_the_whole_signed_value() {
    let genuine = verify(ASSERTION_SIGNED_EMAIL).unwrap();
    assert_eq!(genuine.name_id.unwrap().value, "user@partner.example.evil.example");
    // C14N without comments hashes the same bytes, so the signature still verifies: what
    // matters is that the reader does not stop at the comment.
    let attack = ASSERTION_SIGNED_EMAIL.replace("user@partner.example.evil", "user@partner.example<!---->.evil");
    assert_ne!(attack, ASSERTION_SIGNED_EMAIL);
    let read = verify(&attack).unwrap();
    let name_id = read.name_id.unwrap();
    assert_ne!(name_id.value, "user@partner.example");
    assert_eq!(name_id.value, "user@partner.example.evil.example");
}

#[test]
fn a_changed_name_id_breaks_the_digest() {
    assert_eq!(refused(&evil(ASSERTION_SIGNED_RSA)), Refused::DigestMismatch);
    assert_eq!(refused(&evil(RESPONSE_SIGNED_RSA)), Refused::DigestMismatch);
    assert_eq!(refused(&evil(ASSERTION_SIGNED_EC)), Refused::DigestMismatch);
}

#[test]
fn a_response_signed_by_another_key_is_refused_whatever_its_key_info_says() {
    // The attacker's certificate is in KeyInfo; only the configured keys count.
    assert_eq!(refused(ATTACKER_SIGNED), Refused::BadSignature);
    // It is a well-formed signature: with the attacker's key configured, it verifies.
    verify_response(ATTACKER_SIGNED, &[attacker()], &VerifyOptions::default()).unwrap();
    // And the IdP's genuine response does not verify with only the attacker's key.
    let only_attacker = verify_response(ASSERTION_SIGNED_RSA, &[attacker()], &VerifyOptions::default());
    assert_eq!(only_attacker.unwrap_err(), Refused::BadSignature);
}

#[test]
fn unsigned_responses_are_refused() {
    assert_eq!(refused(&remove(ASSERTION_SIGNED_RSA, "Signature", 0)), Refused::Unsigned);
    assert_eq!(refused(&remove(RESPONSE_SIGNED_RSA, "Signature", 0)), Refused::Unsigned);
    // Emptying the values keeps the shape but not the signature.
    let emptied = ASSERTION_SIGNED_RSA
        .replace(&text(ASSERTION_SIGNED_RSA, "SignatureValue", 0), "<ds:SignatureValue></ds:SignatureValue>");
    assert_eq!(refused(&emptied), Refused::BadSignature);
    let no_keys = verify_response(ASSERTION_SIGNED_RSA, &[], &VerifyOptions::default());
    assert_eq!(no_keys.unwrap_err(), Refused::NoTrustedKeys);
}

#[test]
fn sha1_is_refused_unless_allowed_for_the_idp() {
    assert!(matches!(refused(ASSERTION_SIGNED_SHA1), Refused::Algorithm(_)));
    let old_adfs = VerifyOptions { allow_sha1: true, ..VerifyOptions::default() };
    verify_response(ASSERTION_SIGNED_SHA1, &[idp_rsa()], &old_adfs).unwrap();
}

#[test]
fn comments_c14n_and_xpath_transforms_are_refused_though_validly_signed() {
    assert!(matches!(refused(WITH_COMMENTS_C14N), Refused::Algorithm(_)));
    assert!(matches!(refused(XPATH_TRANSFORM), Refused::Algorithm(_)));
}

#[test]
fn a_doctype_or_entity_is_refused() {
    let body = ASSERTION_SIGNED_RSA.split_once("?>").unwrap().1;
    let internal = format!("<!DOCTYPE samlp:Response [<!ENTITY id \"{PERSISTENT_ID}\">]>{body}");
    assert_eq!(refused(&internal.replace(&format!(">{PERSISTENT_ID}<"), ">&id;<")), Refused::Dtd);
    let external = format!("<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{body}");
    assert_eq!(refused(&external), Refused::Dtd);
    let laughs = format!("<!DOCTYPE r [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>{body}");
    assert_eq!(refused(&laughs), Refused::Dtd);
}

#[test]
fn namespace_redefinition_tricks_are_refused() {
    // The saml prefix redefined on a wrapper: the moved Assertion is no longer a SAML one.
    let assertion = text(ASSERTION_SIGNED_RSA, "Assertion", 0);
    let wrapped = format!(r#"<x:Wrapper xmlns:x="urn:evil" xmlns:saml="urn:evil:assertion">{assertion}</x:Wrapper>"#);
    assert!(matches!(refused(&replace_assertion(ASSERTION_SIGNED_RSA, &wrapped)), Refused::Structure(_)));
    // An evil Assertion under the familiar prefix bound to another namespace, beside the
    // real one: a prefix-matching reader would find it.
    let evil_copy = evil(&unsigned_assertion(ASSERTION_SIGNED_RSA)).replacen(
        "<saml:Assertion ",
        r#"<saml:Assertion xmlns:saml="urn:evil" "#,
        1,
    );
    let attack = insert_before(ASSERTION_SIGNED_RSA, "Assertion", 0, &evil_copy);
    assert!(matches!(refused(&attack), Refused::Structure(_)));
    // The real namespace under another prefix is still an Assertion: also refused.
    let renamed = evil(&unsigned_assertion(ASSERTION_SIGNED_RSA)).replace("saml:", "a:").replacen(
        "<a:Assertion ",
        r#"<a:Assertion xmlns:a="urn:oasis:names:tc:SAML:2.0:assertion" "#,
        1,
    );
    let attack = insert_before(ASSERTION_SIGNED_RSA, "Assertion", 0, &set_id(&renamed, EVIL_ASSERTION_ID));
    assert_eq!(refused(&attack), Refused::Structure("more than one Assertion"));
    // Rebinding `xs` (used only inside xsi:type values, kept by the PrefixList) changes the
    // meaning of the attribute types: the digest must notice.
    let rebound = ASSERTION_SIGNED_RSA.replacen("<saml:Assertion ", r#"<saml:Assertion xmlns:xs="urn:evil" "#, 1);
    assert_eq!(refused(&rebound), Refused::DigestMismatch);
    // The Assertion's namespace moved: the root declares saml as something else and the
    // Assertion redeclares nothing, so its elements are no longer SAML.
    let moved = ASSERTION_SIGNED_RSA.replacen(
        r#"xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion""#,
        r#"xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion-evil""#,
        1,
    );
    assert!(matches!(refused(&moved), Refused::Structure(_)));
}

#[test]
fn namespace_noise_that_changes_nothing_still_verifies() {
    // A redundant declaration of the same binding and an unused default namespace do not
    // change the exclusive canonical form (a C14N check, not an attack).
    let noisy = ASSERTION_SIGNED_RSA.replacen(
        "<saml:Assertion ",
        r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns="urn:unused" "#,
        1,
    );
    assert_eq!(verify(&noisy).unwrap().name_id.unwrap().value, PERSISTENT_ID);
}

#[test]
fn processing_instructions_encrypted_assertions_and_other_encodings_are_refused() {
    let pi = insert_before(ASSERTION_SIGNED_RSA, "Subject", 0, "<?evil x?>");
    assert!(matches!(refused(&pi), Refused::Structure(_)));
    let encrypted = replace_assertion(ASSERTION_SIGNED_RSA, "<saml:EncryptedAssertion/>");
    assert_eq!(refused(&encrypted), Refused::Structure("encrypted assertions are not supported"));
    let latin1 = ASSERTION_SIGNED_RSA.replacen(r#"encoding="UTF-8""#, r#"encoding="ISO-8859-1""#, 1);
    assert_eq!(refused(&latin1), Refused::NotUtf8);
    let opts = VerifyOptions::default();
    assert_eq!(super::verify_response_bytes(b"<a>\xff</a>", &[idp_rsa()], &opts).unwrap_err(), Refused::NotUtf8);
    let small = VerifyOptions { max_bytes: 1024, ..VerifyOptions::default() };
    assert_eq!(verify_response(ASSERTION_SIGNED_RSA, &[idp_rsa()], &small).unwrap_err(), Refused::TooLarge);
}
