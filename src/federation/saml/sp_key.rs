//! This portal's SAML signing key, for IdPs that want signed AuthnRequests (some AD FS set-
//! ups): RSA-2048, generated once per installation, with a self-signed certificate that our
//! SP metadata carries (SAML pins certificates through metadata; no CA is involved). The
//! key is generated with the `rsa` crate and only ever used through `ring`.

use anyhow::{Context, anyhow};
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};

/// The XML-DSig name of the one algorithm we sign with.
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const SHA256_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];

pub struct SpKey {
    pair: RsaKeyPair,
    /// DER X.509.
    pub certificate: Vec<u8>,
}

impl SpKey {
    /// A new key and its certificate, valid for ten years from `now`.
    pub fn generate(common_name: &str, now: DateTime<Utc>) -> anyhow::Result<(SpKey, Vec<u8>)> {
        use rsa::pkcs8::EncodePrivateKey;
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).context("generating an RSA key")?;
        let pkcs8 = key.to_pkcs8_der().context("encoding the RSA key")?.as_bytes().to_vec();
        let pair = RsaKeyPair::from_pkcs8(&pkcs8).map_err(|e| anyhow!("RSA key: {e}"))?;
        let certificate = self_signed(&pair, common_name, now)?;
        Ok((SpKey { pair, certificate }, pkcs8))
    }

    /// The stored key (PKCS#8 DER) and certificate (DER).
    pub fn from_parts(pkcs8: &[u8], certificate: Vec<u8>) -> anyhow::Result<SpKey> {
        let pair = RsaKeyPair::from_pkcs8(pkcs8).map_err(|e| anyhow!("RSA key: {e}"))?;
        Ok(SpKey { pair, certificate })
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let mut signature = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut signature)
            .expect("signing with a valid RSA key cannot fail");
        signature
    }
}

/// DER: a tag, its length, its content.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn algorithm(oid: &[u8]) -> Vec<u8> {
    seq(&[&tlv(0x06, oid), &[0x05, 0x00]])
}

fn name(common_name: &str) -> Vec<u8> {
    let attribute = seq(&[&tlv(0x06, COMMON_NAME), &tlv(0x0c, common_name.as_bytes())]);
    seq(&[&tlv(0x31, &attribute)])
}

/// UTCTime (years before 2050, as RFC 5280 wants).
fn utc_time(t: DateTime<Utc>) -> Vec<u8> {
    let text = format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    tlv(0x17, text.as_bytes())
}

fn self_signed(pair: &RsaKeyPair, common_name: &str, now: DateTime<Utc>) -> anyhow::Result<Vec<u8>> {
    let mut serial = crate::secrets::random_bytes::<16>().to_vec();
    serial[0] &= 0x7f;
    serial[0] |= 0x01; // positive, no leading zero byte
    let spki = seq(&[&algorithm(RSA_ENCRYPTION), &tlv(0x03, &[&[0u8][..], pair.public().as_ref()].concat())]);
    let issuer = name(common_name);
    let validity = seq(&[&utc_time(now - Duration::minutes(5)), &utc_time(now + Duration::days(3650))]);
    let version = tlv(0xa0, &tlv(0x02, &[2]));
    let tbs = seq(&[&version, &tlv(0x02, &serial), &algorithm(SHA256_WITH_RSA), &issuer, &validity, &issuer, &spki]);
    let mut signature = vec![0; pair.public().modulus_len()];
    pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), &tbs, &mut signature)
        .map_err(|_| anyhow!("signing the certificate"))?;
    let bits = [&[0u8][..], &signature].concat();
    Ok(seq(&[&tbs, &algorithm(SHA256_WITH_RSA), &tlv(0x03, &bits)]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::saml::keys::{SignatureAlgorithm, TrustedKey, certificate_not_after};

    #[test]
    fn the_certificate_parses_and_verifies_what_the_key_signs() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z").unwrap().with_timezone(&Utc);
        let (key, pkcs8) = SpKey::generate("portal.example SAML", now).unwrap();
        let (rest, cert) = x509_parser::parse_x509_certificate(&key.certificate).unwrap();
        assert!(rest.is_empty());
        assert_eq!(cert.subject().to_string(), "CN=portal.example SAML");
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&key.certificate);
        assert_eq!(certificate_not_after(&b64), Some(now + Duration::days(3650)));
        let trusted = TrustedKey::from_certificate_der(&key.certificate).unwrap();
        let again = SpKey::from_parts(&pkcs8, key.certificate.clone()).unwrap();
        let signature = again.sign(b"SAMLRequest=abc&SigAlg=x");
        assert!(trusted.verifies(
            SignatureAlgorithm::from_uri(RSA_SHA256).unwrap(),
            b"SAMLRequest=abc&SigAlg=x",
            &signature
        ));
        assert!(!trusted.verifies(
            SignatureAlgorithm::from_uri(RSA_SHA256).unwrap(),
            b"SAMLRequest=abd&SigAlg=x",
            &signature
        ));
    }
}
