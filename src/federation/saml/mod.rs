//! SAML 2.0 with partner IdPs (issue 25). This part verifies an IdP's Response so that the
//! element that was verified is the element that is read: one strict parse (roxmltree, no
//! DTD), a fixed shape (one Assertion, signatures enveloped in their parent with one `#ID`
//! Reference), our own C14N over those very nodes, the IdP's configured keys only, and the
//! values read from the verified nodes. The checks of time, audience, destination, issuer,
//! InResponseTo and replay belong to the caller, on the values returned here.

pub mod accept;
pub mod c14n;
pub mod keys;
pub mod metadata;
mod read;
pub mod request;
mod signature;
pub mod sp_key;
pub mod verify;

#[cfg(test)]
mod attacks;
#[cfg(test)]
mod fixtures;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

pub use keys::{KeyError, TrustedKey};
pub use verify::{verify_response, verify_response_bytes};

pub const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";

/// Our entityID for an IdP: the address of our metadata for it (like OIDC's one redirect
/// URI per IdP, `federation::redirect_uri`).
pub fn sp_entity_id(public_url: &str, slug: &str) -> String {
    format!("{public_url}/auth/{slug}/saml/metadata")
}

/// Our AssertionConsumerService for this IdP (HTTP-POST).
pub fn acs_url(public_url: &str, slug: &str) -> String {
    format!("{public_url}/auth/{slug}/saml/acs")
}

/// What a caller may relax per IdP.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// RSA-SHA1 and SHA-1 digests, for an old AD FS (the admin's explicit choice).
    pub allow_sha1: bool,
    /// The largest Response accepted, in bytes of XML.
    pub max_bytes: usize,
    /// The most XML nodes parsed (a memory cap against huge flat documents).
    pub max_nodes: u32,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions { allow_sha1: false, max_bytes: 256 * 1024, max_nodes: 10_000 }
    }
}

/// Why a Response was refused: for the audit log, never shown in detail to the browser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("no signing certificate is configured for this IdP")]
    NoTrustedKeys,
    #[error("the response is larger than allowed")]
    TooLarge,
    #[error("the response is not UTF-8")]
    NotUtf8,
    #[error("the response has a document type declaration")]
    Dtd,
    #[error("the response is not well-formed XML: {0}")]
    Malformed(String),
    #[error("the response does not have the expected shape: {0}")]
    Structure(&'static str),
    #[error("an ID appears twice, or is not an NCName")]
    BadId,
    #[error("the response is not signed")]
    Unsigned,
    #[error("a signature is not acceptable: {0}")]
    Signature(&'static str),
    #[error("an algorithm is not allowed: {0}")]
    Algorithm(&'static str),
    #[error("the signed content cannot be canonicalised: {0}")]
    Canonicalization(#[from] c14n::C14nError),
    #[error("the signed content was changed (digest mismatch)")]
    DigestMismatch,
    #[error("no configured certificate verifies the signature")]
    BadSignature,
    #[error("a value is missing or malformed: {0}")]
    Value(&'static str),
}

/// The identity and conditions an IdP vouched for, read only from the signed Assertion
/// (and from the Response where noted). Nothing here has been checked against time,
/// audience, destination, issuer or a pending request: that is the caller's job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAssertion {
    /// Whether the Response (and so everything in `response`) was covered by a signature.
    pub response_signed: bool,
    /// Whether the Assertion carried its own signature (it is covered either way).
    pub assertion_signed: bool,
    pub response: ResponseFields,
    /// The Assertion's ID: record it to refuse a replay.
    pub id: String,
    pub issue_instant: DateTime<Utc>,
    pub issuer: String,
    /// `None` when the Subject has no NameID (identity then comes from an attribute).
    pub name_id: Option<NameId>,
    pub subject_confirmations: Vec<SubjectConfirmation>,
    pub conditions: Conditions,
    pub authn: Option<Authn>,
    /// By attribute Name (the URI or OID, not the FriendlyName).
    pub attributes: BTreeMap<String, Attribute>,
}

/// The Response's own fields. Signed only when `response_signed`; when just the Assertion
/// is signed these are what the sender wrote, fit for an equality check (Destination,
/// Status) and nothing else — never for identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseFields {
    pub id: String,
    pub destination: Option<String>,
    pub in_response_to: Option<String>,
    pub issuer: Option<String>,
    /// The top-level StatusCode, e.g. `urn:oasis:names:tc:SAML:2.0:status:Success`.
    pub status: String,
    /// The second-level StatusCode, when the IdP gave one.
    pub sub_status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameId {
    /// All the element's text, concatenated: a comment splitting it (`a<!---->b`) is not
    /// part of the signed value, so the value read is the whole signed `ab`.
    pub value: String,
    pub format: Option<String>,
    pub name_qualifier: Option<String>,
    pub sp_name_qualifier: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectConfirmation {
    pub method: String,
    pub recipient: Option<String>,
    pub not_before: Option<DateTime<Utc>>,
    pub not_on_or_after: Option<DateTime<Utc>>,
    pub in_response_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conditions {
    pub not_before: Option<DateTime<Utc>>,
    pub not_on_or_after: Option<DateTime<Utc>>,
    /// One list per AudienceRestriction: each restriction must be met, by any of its list.
    pub audience_restrictions: Vec<Vec<String>>,
    pub one_time_use: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authn {
    pub instant: DateTime<Utc>,
    pub session_index: Option<String>,
    pub session_not_on_or_after: Option<DateTime<Utc>>,
    pub context_class: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub friendly_name: Option<String>,
    pub name_format: Option<String>,
    /// Text values in document order; values holding elements (e.g. a NameID inside
    /// eduPersonTargetedID) or marked `xsi:nil` are left out.
    pub values: Vec<String>,
}
