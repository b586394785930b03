//! Reads one `ds:Signature` into the little we accept: a SignedInfo with one Reference to
//! the enveloping element, transforms limited to enveloped-signature plus (exclusive) C14N
//! without comments, and algorithms from our allow-list. Everything XML-DSig offers beyond
//! that (XPath/XSLT transforms, several or external References, `ds:Object`, Manifests,
//! RetrievalMethod) is where signature-wrapping and transform attacks live: refused.

use base64::Engine;
use roxmltree::Node;

use super::c14n::Method;
use super::keys::{DigestAlgorithm, SignatureAlgorithm};
use super::{DSIG_NS, Refused};

const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// A parsed signature, its values decoded, nothing verified yet.
#[derive(Debug)]
pub struct SignatureSpec<'a, 'input> {
    pub signed_info: Node<'a, 'input>,
    pub signed_info_c14n: Method,
    pub algorithm: SignatureAlgorithm,
    /// The Reference's URI without its `#`.
    pub reference_id: &'a str,
    pub reference_c14n: Method,
    pub digest_algorithm: DigestAlgorithm,
    pub digest_value: Vec<u8>,
    pub signature_value: Vec<u8>,
}

/// Parses `sig`, refusing every shape and algorithm outside the profile above. SHA-1 (in
/// either the signature or the digest) only with `allow_sha1`.
pub fn parse<'a, 'input>(sig: Node<'a, 'input>, allow_sha1: bool) -> Result<SignatureSpec<'a, 'input>, Refused> {
    // ds:Signature = SignedInfo, SignatureValue, KeyInfo? (ignored), and nothing else: a
    // ds:Object is where XSW8 hides the original Assertion.
    let children = ds_children(sig)?;
    let (signed_info, signature_value) = match children.as_slice() {
        [si, sv] => (*si, *sv),
        [si, sv, ki] if ki.tag_name().name() == "KeyInfo" => (*si, *sv),
        _ => return Err(Refused::Signature("ds:Signature must hold SignedInfo, SignatureValue and KeyInfo only")),
    };
    expect_name(signed_info, "SignedInfo")?;
    expect_name(signature_value, "SignatureValue")?;

    let [c14n_method, sig_method, reference] = ds_children(signed_info)?[..] else {
        return Err(Refused::Signature(
            "SignedInfo must hold one CanonicalizationMethod, SignatureMethod and Reference",
        ));
    };
    expect_name(c14n_method, "CanonicalizationMethod")?;
    expect_name(sig_method, "SignatureMethod")?;
    expect_name(reference, "Reference")?;

    let signed_info_c14n = c14n(c14n_method)?;
    no_children(sig_method)?;
    let algorithm = SignatureAlgorithm::from_uri(algorithm_of(sig_method)?)
        .ok_or(Refused::Algorithm("signature method not allowed"))?;
    if algorithm.is_sha1() && !allow_sha1 {
        return Err(Refused::Algorithm("SHA-1 signatures are not allowed for this IdP"));
    }

    // Only a same-document `#ID` reference; the caller checks it names the parent.
    let reference_id = reference
        .attribute("URI")
        .and_then(|u| u.strip_prefix('#'))
        .filter(|id| !id.is_empty())
        .ok_or(Refused::Signature("the Reference must point at an ID (#…)"))?;
    let [transforms, digest_method, digest_value] = ds_children(reference)?[..] else {
        return Err(Refused::Signature("Reference must hold Transforms, DigestMethod and DigestValue"));
    };
    expect_name(transforms, "Transforms")?;
    expect_name(digest_method, "DigestMethod")?;
    expect_name(digest_value, "DigestValue")?;

    // enveloped-signature, then optionally one C14N; with none, XML-DSig's default
    // conversion of a node-set to octets is inclusive C14N 1.0 (§4.3.3.2).
    let reference_c14n = match ds_children(transforms)?[..] {
        [env] => {
            enveloped(env)?;
            Method::Inclusive
        }
        [env, c] => {
            enveloped(env)?;
            expect_name(c, "Transform")?;
            c14n(c)?
        }
        _ => return Err(Refused::Algorithm("transforms other than enveloped-signature and C14N")),
    };

    no_children(digest_method)?;
    let digest_algorithm = DigestAlgorithm::from_uri(algorithm_of(digest_method)?)
        .ok_or(Refused::Algorithm("digest method not allowed"))?;
    if digest_algorithm == DigestAlgorithm::Sha1 && !allow_sha1 {
        return Err(Refused::Algorithm("SHA-1 digests are not allowed for this IdP"));
    }

    Ok(SignatureSpec {
        signed_info,
        signed_info_c14n,
        algorithm,
        reference_id,
        reference_c14n,
        digest_algorithm,
        digest_value: base64_value(digest_value)?,
        signature_value: base64_value(signature_value)?,
    })
}

/// The element children, all of which must be in the XML-DSig namespace; text between them
/// may only be whitespace.
fn ds_children<'a, 'input>(e: Node<'a, 'input>) -> Result<Vec<Node<'a, 'input>>, Refused> {
    let mut out = Vec::new();
    for c in e.children() {
        if c.is_element() {
            if c.tag_name().namespace() != Some(DSIG_NS) {
                return Err(Refused::Signature("a foreign element inside the signature"));
            }
            out.push(c);
        } else if c.is_text() && !c.text().unwrap_or("").trim().is_empty() {
            return Err(Refused::Signature("text between signature elements"));
        }
    }
    Ok(out)
}

fn expect_name(e: Node, name: &'static str) -> Result<(), Refused> {
    if e.tag_name().name() == name { Ok(()) } else { Err(Refused::Signature("unexpected element in the signature")) }
}

fn no_children(e: Node) -> Result<(), Refused> {
    if e.children().any(|c| c.is_element()) {
        return Err(Refused::Algorithm("parameters on an algorithm that takes none"));
    }
    Ok(())
}

fn algorithm_of<'a>(e: Node<'a, '_>) -> Result<&'a str, Refused> {
    e.attribute("Algorithm").ok_or(Refused::Signature("an algorithm element without Algorithm"))
}

fn enveloped(t: Node) -> Result<(), Refused> {
    expect_name(t, "Transform")?;
    no_children(t)?;
    if algorithm_of(t)? != ENVELOPED {
        return Err(Refused::Algorithm("the first transform must be enveloped-signature"));
    }
    Ok(())
}

/// A CanonicalizationMethod or C14N Transform: exclusive or inclusive C14N 1.0 without
/// comments, the exclusive one with at most an InclusiveNamespaces PrefixList.
fn c14n(e: Node) -> Result<Method, Refused> {
    let uri = algorithm_of(e)?;
    let params: Vec<Node> = e.children().filter(|c| c.is_element()).collect();
    let prefix_list = match params[..] {
        [] => None,
        [p] if p.tag_name().namespace() == Some(super::c14n::EXCLUSIVE)
            && p.tag_name().name() == "InclusiveNamespaces"
            && !p.children().any(|c| c.is_element()) =>
        {
            Some(p.attribute("PrefixList").unwrap_or(""))
        }
        _ => return Err(Refused::Algorithm("unexpected canonicalisation parameters")),
    };
    Method::from_algorithm(uri, prefix_list)
        .ok_or(Refused::Algorithm("canonicalisation other than (exclusive) C14N 1.0 without comments"))
}

/// A base64 element value; XML-DSig allows line breaks inside it.
fn base64_value(e: Node) -> Result<Vec<u8>, Refused> {
    if e.children().any(|c| c.is_element()) {
        return Err(Refused::Signature("markup inside a base64 value"));
    }
    let text: String = e.children().filter(|c| c.is_text()).filter_map(|c| c.text()).collect();
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(compact).map_err(|_| Refused::Signature("a value is not base64"))
}
