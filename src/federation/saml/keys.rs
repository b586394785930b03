//! The IdP's signing keys, taken from the certificates an admin configured (metadata), and
//! the signature algorithms we verify with them through `ring`. A key or certificate carried
//! in the message itself (`ds:KeyInfo`) is never used: an attacker signs with their own.

use base64::Engine;
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";

/// A public key we trust for one IdP. Certificate validity dates and chains are not checked:
/// the certificate is pinned by the IdP's metadata, as SAML deployments expect.
#[derive(Clone, PartialEq, Eq)]
pub struct TrustedKey {
    kind: KeyKind,
    /// The form `ring` takes: PKCS#1 RSAPublicKey, or the uncompressed EC point.
    public_key: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Rsa,
    EcP256,
    EcP384,
}

impl std::fmt::Debug for TrustedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrustedKey({:?}, {} bytes)", self.kind, self.public_key.len())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not a DER X.509 certificate")]
    NotACertificate,
    #[error("the certificate's key is neither RSA nor ECDSA on P-256 or P-384")]
    UnsupportedKey,
}

/// Until when a certificate (base64 DER, as metadata holds it) is valid, to warn admins
/// of a coming rollover; `None` when it cannot be read.
pub fn certificate_not_after(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(compact).ok()?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der).ok()?;
    chrono::DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0)
}

impl TrustedKey {
    /// The public key of a DER-encoded X.509 certificate.
    pub fn from_certificate_der(der: &[u8]) -> Result<TrustedKey, KeyError> {
        let (rest, cert) = x509_parser::parse_x509_certificate(der).map_err(|_| KeyError::NotACertificate)?;
        if !rest.is_empty() {
            return Err(KeyError::NotACertificate);
        }
        Self::from_spki(cert.public_key())
    }

    /// The public key of a certificate as metadata's `ds:X509Certificate` holds it (base64,
    /// line breaks allowed).
    pub fn from_certificate_base64(text: &str) -> Result<TrustedKey, KeyError> {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD.decode(compact).map_err(|_| KeyError::NotACertificate)?;
        Self::from_certificate_der(&der)
    }

    /// A bare DER SubjectPublicKeyInfo (metadata may carry a key without a certificate).
    pub fn from_spki_der(der: &[u8]) -> Result<TrustedKey, KeyError> {
        let (rest, spki) = SubjectPublicKeyInfo::from_der(der).map_err(|_| KeyError::UnsupportedKey)?;
        if !rest.is_empty() {
            return Err(KeyError::UnsupportedKey);
        }
        Self::from_spki(&spki)
    }

    fn from_spki(spki: &SubjectPublicKeyInfo) -> Result<TrustedKey, KeyError> {
        let public_key = spki.subject_public_key.data.to_vec();
        let kind = match spki.algorithm.algorithm.to_id_string().as_str() {
            RSA_ENCRYPTION => KeyKind::Rsa,
            EC_PUBLIC_KEY => {
                let curve = spki
                    .algorithm
                    .parameters
                    .clone()
                    .and_then(|p| x509_parser::der_parser::oid::Oid::try_from(p).ok())
                    .map(|oid| oid.to_id_string());
                match curve.as_deref() {
                    Some(P256) => KeyKind::EcP256,
                    Some(P384) => KeyKind::EcP384,
                    _ => return Err(KeyError::UnsupportedKey),
                }
            }
            _ => return Err(KeyError::UnsupportedKey),
        };
        Ok(TrustedKey { kind, public_key })
    }

    /// Whether this key made `signature` over `message` with `alg`. A key of the wrong type
    /// for the algorithm simply does not verify.
    pub fn verifies(&self, alg: SignatureAlgorithm, message: &[u8], signature: &[u8]) -> bool {
        use SignatureAlgorithm as A;
        use ring::signature as s;
        // RSA keys below 2048 bits are refused by ring's 2048_8192 variants.
        let ring_alg: &dyn s::VerificationAlgorithm = match (alg, self.kind) {
            (A::RsaSha1, KeyKind::Rsa) => &s::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            (A::RsaSha256, KeyKind::Rsa) => &s::RSA_PKCS1_2048_8192_SHA256,
            (A::RsaSha384, KeyKind::Rsa) => &s::RSA_PKCS1_2048_8192_SHA384,
            (A::RsaSha512, KeyKind::Rsa) => &s::RSA_PKCS1_2048_8192_SHA512,
            // XML-DSig 1.1 §6.4.3: the ECDSA value is r‖s, ring's "FIXED" encoding. ring pairs
            // each curve with its own hash only (P-256/SHA-256, P-384/SHA-384).
            (A::EcdsaSha256, KeyKind::EcP256) => &s::ECDSA_P256_SHA256_FIXED,
            (A::EcdsaSha384, KeyKind::EcP384) => &s::ECDSA_P384_SHA384_FIXED,
            _ => return false,
        };
        s::UnparsedPublicKey::new(ring_alg, &self.public_key).verify(message, signature).is_ok()
    }
}

/// The SignatureMethods we verify. DSA, HMAC (a shared secret anyone holding the metadata
/// could forge with), ECDSA-SHA1 and RSA-PSS are not among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    RsaSha1,
    RsaSha256,
    RsaSha384,
    RsaSha512,
    EcdsaSha256,
    EcdsaSha384,
}

impl SignatureAlgorithm {
    pub fn from_uri(uri: &str) -> Option<SignatureAlgorithm> {
        Some(match uri {
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => SignatureAlgorithm::RsaSha1,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => SignatureAlgorithm::RsaSha256,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => SignatureAlgorithm::RsaSha384,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => SignatureAlgorithm::RsaSha512,
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" => SignatureAlgorithm::EcdsaSha256,
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384" => SignatureAlgorithm::EcdsaSha384,
            _ => return None,
        })
    }

    pub fn is_sha1(self) -> bool {
        self == SignatureAlgorithm::RsaSha1
    }
}

/// The DigestMethods we compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlgorithm {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlgorithm {
    pub fn from_uri(uri: &str) -> Option<DigestAlgorithm> {
        Some(match uri {
            "http://www.w3.org/2000/09/xmldsig#sha1" => DigestAlgorithm::Sha1,
            "http://www.w3.org/2001/04/xmlenc#sha256" => DigestAlgorithm::Sha256,
            "http://www.w3.org/2001/04/xmldsig-more#sha384" => DigestAlgorithm::Sha384,
            "http://www.w3.org/2001/04/xmlenc#sha512" => DigestAlgorithm::Sha512,
            _ => return None,
        })
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let alg = match self {
            DigestAlgorithm::Sha1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            DigestAlgorithm::Sha256 => &ring::digest::SHA256,
            DigestAlgorithm::Sha384 => &ring::digest::SHA384,
            DigestAlgorithm::Sha512 => &ring::digest::SHA512,
        };
        ring::digest::digest(alg, data).as_ref().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_rsa_and_ec_certificates() {
        let rsa = TrustedKey::from_certificate_der(include_bytes!("../../../tests/fixtures/saml/idp-rsa.der")).unwrap();
        assert_eq!(rsa.kind, KeyKind::Rsa);
        let ec = TrustedKey::from_certificate_der(include_bytes!("../../../tests/fixtures/saml/idp-ec.der")).unwrap();
        assert_eq!(ec.kind, KeyKind::EcP256);
        assert_eq!(TrustedKey::from_certificate_der(b"not a certificate"), Err(KeyError::NotACertificate));
        let b64 =
            base64::engine::general_purpose::STANDARD.encode(include_bytes!("../../../tests/fixtures/saml/idp-ec.der"));
        assert_eq!(TrustedKey::from_certificate_base64(&format!("\n  {b64}\n")), Ok(ec));
    }
}
