//! The AuthnRequest we send (Core §3.4.1) and the two ways it travels (Bindings §3.4
//! HTTP-Redirect, §3.5 HTTP-POST). Unsigned: the answer is bound by the request's ID, which
//! the browser's session and the database both hold.

use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};

use super::metadata::{Binding, escape};
use super::sp_key::{RSA_SHA256, SpKey};
use crate::federation::Departure;

const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
const HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

pub struct AuthnRequest<'a> {
    /// 128 random bits, as an NCName (starts with `_`).
    pub id: &'a str,
    pub sp_entity_id: &'a str,
    pub acs_url: &'a str,
    pub sso_url: &'a str,
    /// Ask for a persistent NameID; not when identity comes from an attribute (an IdP that
    /// cannot give one would answer InvalidNameIDPolicy).
    pub want_persistent_name_id: bool,
    pub now: DateTime<Utc>,
}

impl AuthnRequest<'_> {
    pub fn xml(&self) -> String {
        let policy = if self.want_persistent_name_id {
            format!(r#"<samlp:NameIDPolicy Format="{PERSISTENT}" AllowCreate="true"/>"#)
        } else {
            r#"<samlp:NameIDPolicy AllowCreate="true"/>"#.to_string()
        };
        format!(
            r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{instant}" Destination="{dest}" AssertionConsumerServiceURL="{acs}" ProtocolBinding="{HTTP_POST}"><saml:Issuer>{issuer}</saml:Issuer>{policy}</samlp:AuthnRequest>"#,
            id = escape(self.id),
            instant = self.now.to_rfc3339_opts(SecondsFormat::Secs, true),
            dest = escape(self.sso_url),
            acs = escape(self.acs_url),
            issuer = escape(self.sp_entity_id),
        )
    }

    /// Where the browser goes, by the binding the IdP's metadata offers. With `signer`, the
    /// Redirect binding's query is signed (Bindings §3.4.4.1: `SAMLRequest=…&SigAlg=…`,
    /// exactly as sent); the POST binding's request is sent unsigned.
    pub fn departure(&self, binding: Binding, signer: Option<&SpKey>) -> Departure {
        let xml = self.xml();
        let b64 = base64::engine::general_purpose::STANDARD;
        let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        match binding {
            Binding::Redirect => {
                let mut query = format!("SAMLRequest={}", enc(&b64.encode(deflate_stored(xml.as_bytes()))));
                if let Some(key) = signer {
                    query.push_str(&format!("&SigAlg={}", enc(RSA_SHA256)));
                    let signature = key.sign(query.as_bytes());
                    query.push_str(&format!("&Signature={}", enc(&b64.encode(signature))));
                }
                let joint = if self.sso_url.contains('?') { '&' } else { '?' };
                Departure::Redirect(format!("{}{joint}{query}", self.sso_url))
            }
            Binding::Post => Departure::Post {
                action: self.sso_url.to_string(),
                fields: vec![("SAMLRequest".into(), b64.encode(xml.as_bytes()))],
            },
        }
    }
}

/// Raw DEFLATE (RFC 1951) as the Redirect binding wants it, in stored blocks: valid input to
/// every inflater, and an AuthnRequest is a few hundred bytes, so compressing gains nothing
/// worth a dependency.
fn deflate_stored(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 5 * (data.len() / 65_535 + 1));
    let mut chunks = data.chunks(65_535).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        let len = chunk.len() as u16;
        out.push(u8::from(last)); // BFINAL, BTYPE = 00 (stored), padded to the byte
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> AuthnRequest<'static> {
        AuthnRequest {
            id: "_0123456789abcdef0123456789abcdef",
            sp_entity_id: "https://portal.example/auth/p/saml/metadata",
            acs_url: "https://portal.example/auth/p/saml/acs",
            sso_url: "https://idp.partner.example/sso?tenant=a&b=1",
            want_persistent_name_id: true,
            now: DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z").unwrap().with_timezone(&Utc),
        }
    }

    /// Inflates stored blocks only: enough to read back what `deflate_stored` wrote.
    fn inflate_stored(mut data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let (header, rest) = data.split_at(5);
            let len = u16::from_le_bytes([header[1], header[2]]) as usize;
            assert_eq!(!u16::from_le_bytes([header[1], header[2]]), u16::from_le_bytes([header[3], header[4]]));
            out.extend_from_slice(&rest[..len]);
            data = &rest[len..];
            if header[0] & 1 == 1 {
                assert!(data.is_empty());
                return out;
            }
        }
    }

    #[test]
    fn the_redirect_binding_keeps_the_idps_query_and_carries_the_request_deflated() {
        let Departure::Redirect(url) = request().departure(Binding::Redirect, None) else { panic!("a redirect") };
        let url = url::Url::parse(&url).unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs[0], ("tenant".into(), "a".into()));
        let sent = base64::engine::general_purpose::STANDARD.decode(&pairs[2].1).unwrap();
        let xml = String::from_utf8(inflate_stored(&sent)).unwrap();
        assert_eq!(xml, request().xml());
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.attribute("ID"), Some("_0123456789abcdef0123456789abcdef"));
        assert_eq!(root.attribute("Destination"), Some("https://idp.partner.example/sso?tenant=a&b=1"));
    }

    #[test]
    fn a_signed_redirect_signs_the_query_as_sent() {
        let now = request().now;
        let (key, _) = SpKey::generate("portal.example", now).unwrap();
        let Departure::Redirect(url) = request().departure(Binding::Redirect, Some(&key)) else { panic!("a redirect") };
        let query = url.split_once('?').unwrap().1;
        let signed = &query[query.find("SAMLRequest=").unwrap()..query.find("&Signature=").unwrap()];
        let signature =
            url::Url::parse(&url).unwrap().query_pairs().find(|(k, _)| k == "Signature").unwrap().1.into_owned();
        let signature = base64::engine::general_purpose::STANDARD.decode(signature).unwrap();
        let trusted = super::super::TrustedKey::from_certificate_der(&key.certificate).unwrap();
        let alg = super::super::keys::SignatureAlgorithm::from_uri(RSA_SHA256).unwrap();
        assert!(trusted.verifies(alg, signed.as_bytes(), &signature));
    }

    #[test]
    fn long_input_spans_several_stored_blocks() {
        let data: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(inflate_stored(&deflate_stored(&data)), data);
        assert_eq!(inflate_stored(&deflate_stored(b"")), b"");
    }
}
