//! Signing keys of the OpenID Provider: generated on first use per algorithm (RS256, ES256,
//! EdDSA), stored encrypted under the instance key, `kid` the RFC 7638 thumbprint, and
//! rotated next → current → retired. Signing is ring's (RSA generation only is the `rsa`
//! crate's: it must not sign, RUSTSEC-2023-0071). This file takes the database and the
//! instance key, not `AppState`, because the state keeps a cached `KeyRing`.

use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Duration, Utc};
use openidconnect::core::{CoreJsonCurveType, CoreJsonWebKey, CoreJwsSigningAlgorithm};
use openidconnect::{JsonWebKeyId, PrivateSigningKey, SigningError};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::db::signing_keys::{self, NewKey, StoredKey};
use crate::domain::client::SigningAlg;
use crate::secrets::InstanceKey;

/// The purpose private keys are encrypted under.
const PURPOSE: &str = "oidc-signing-key";
/// How long a key signs before the schedule rotates it.
pub const ROTATE_EVERY: Duration = Duration::days(30);
/// How long a retired key stays published: far past the longest JWT lifetime (10 minutes).
const RETIRED_KEPT: Duration = Duration::days(1);

enum Signer {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// The public half, as published (and as our own verification uses it).
enum Public {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    Ec { x: Vec<u8>, y: Vec<u8> },
    Ed { x: Vec<u8> },
}

pub struct LoadedKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub state: String,
    signer: Signer,
    public: Public,
    jwk: Value,
}

/// The keys one instance holds, loaded and decrypted.
pub struct KeyRing {
    keys: Vec<LoadedKey>,
}

impl KeyRing {
    /// The key that signs for `alg` now.
    pub fn current(&self, alg: SigningAlg) -> Option<&LoadedKey> {
        self.keys.iter().find(|k| k.alg == alg && k.state == "current")
    }

    pub fn by_kid(&self, kid: &str) -> Option<&LoadedKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// The JWK Set: every key, whatever its state (RFC 7517 §5).
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }

    pub fn has_all_algorithms(&self) -> bool {
        SigningAlg::ALL.iter().all(|a| self.current(*a).is_some())
    }
}

impl LoadedKey {
    /// Signs `message` with this key's algorithm: the raw JWS signature.
    pub fn sign_bytes(&self, message: &[u8]) -> anyhow::Result<Vec<u8>> {
        let rng = SystemRandom::new();
        match &self.signer {
            Signer::Rsa(k) => {
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig).map_err(|_| anyhow!("RSA signing"))?;
                Ok(sig)
            }
            Signer::Ec(k) => Ok(k.sign(&rng, message).map_err(|_| anyhow!("ECDSA signing"))?.as_ref().to_vec()),
            Signer::Ed(k) => Ok(k.sign(message).as_ref().to_vec()),
        }
    }

    /// Whether `sig` is this key's signature of `message`.
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        match &self.public {
            Public::Rsa { n, e } => signature::RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
                .is_ok(),
            Public::Ec { x, y } => {
                let mut point = vec![4u8];
                point.extend_from_slice(x);
                point.extend_from_slice(y);
                signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, sig)
                    .is_ok()
            }
            Public::Ed { x } => signature::UnparsedPublicKey::new(&signature::ED25519, x).verify(message, sig).is_ok(),
        }
    }

    /// A compact JWS of `claims` with header `typ` (`at+jwt`, `logout+jwt`; RFC 9068, OIDC
    /// Back-Channel Logout §2.4).
    pub fn sign_jwt(&self, typ: &str, claims: &Value) -> anyhow::Result<String> {
        let header = json!({ "alg": self.alg.as_str(), "typ": typ, "kid": self.kid });
        let input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()));
        let sig = self.sign_bytes(input.as_bytes())?;
        Ok(format!("{input}.{}", B64.encode(sig)))
    }
}

fn core_alg(alg: SigningAlg) -> CoreJwsSigningAlgorithm {
    match alg {
        SigningAlg::Rs256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        SigningAlg::Es256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        SigningAlg::EdDsa => CoreJwsSigningAlgorithm::EdDsa,
    }
}

impl LoadedKey {
    pub fn core_alg(&self) -> CoreJwsSigningAlgorithm {
        core_alg(self.alg)
    }
}

/// What openidconnect's `CoreIdToken::new` signs with (it also computes `at_hash` and
/// `c_hash` from the algorithm and key).
impl PrivateSigningKey for LoadedKey {
    type VerificationKey = CoreJsonWebKey;

    fn sign(&self, alg: &CoreJwsSigningAlgorithm, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        if *alg != core_alg(self.alg) {
            return Err(SigningError::UnsupportedAlg(format!("{alg:?} with a {} key", self.alg)));
        }
        self.sign_bytes(message).map_err(|_| SigningError::CryptoError)
    }

    fn as_verification_key(&self) -> CoreJsonWebKey {
        let kid = Some(JsonWebKeyId::new(self.kid.clone()));
        match &self.public {
            Public::Rsa { n, e } => CoreJsonWebKey::new_rsa(n.clone(), e.clone(), kid),
            Public::Ec { x, y } => CoreJsonWebKey::new_ec(x.clone(), y.clone(), CoreJsonCurveType::P256, kid),
            Public::Ed { x } => CoreJsonWebKey::new_okp(x.clone(), CoreJsonCurveType::Ed25519, kid),
        }
    }
}

/// A new key pair: PKCS#8 DER and the public half.
fn generate(alg: SigningAlg) -> anyhow::Result<(Vec<u8>, Public)> {
    let rng = SystemRandom::new();
    match alg {
        SigningAlg::Rs256 => {
            use rsa::pkcs8::EncodePrivateKey;
            use rsa::traits::PublicKeyParts;
            let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).context("generating an RSA key")?;
            let der = key.to_pkcs8_der().context("encoding the RSA key")?.as_bytes().to_vec();
            Ok((der, Public::Rsa { n: key.n().to_bytes_be(), e: key.e().to_bytes_be() }))
        }
        SigningAlg::Es256 => {
            let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|_| anyhow!("generating a P-256 key"))?;
            let pair = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref(), &rng)
                .map_err(|e| anyhow!("P-256 key: {e}"))?;
            let point = pair.public_key().as_ref();
            Ok((doc.as_ref().to_vec(), Public::Ec { x: point[1..33].to_vec(), y: point[33..65].to_vec() }))
        }
        SigningAlg::EdDsa => {
            let doc = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| anyhow!("generating an Ed25519 key"))?;
            let pair = Ed25519KeyPair::from_pkcs8(doc.as_ref()).map_err(|e| anyhow!("Ed25519 key: {e}"))?;
            Ok((doc.as_ref().to_vec(), Public::Ed { x: pair.public_key().as_ref().to_vec() }))
        }
    }
}

/// The JWK's required members in lexicographic order, hashed: RFC 7638's thumbprint.
fn thumbprint(public: &Public) -> String {
    let canonical = match public {
        Public::Rsa { n, e } => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, B64.encode(e), B64.encode(n)),
        Public::Ec { x, y } => {
            format!(r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#, B64.encode(x), B64.encode(y))
        }
        Public::Ed { x } => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, B64.encode(x)),
    };
    B64.encode(Sha256::digest(canonical.as_bytes()))
}

fn jwk(public: &Public, kid: &str, alg: SigningAlg) -> Value {
    let mut v = match public {
        Public::Rsa { n, e } => json!({ "kty": "RSA", "n": B64.encode(n), "e": B64.encode(e) }),
        Public::Ec { x, y } => json!({ "kty": "EC", "crv": "P-256", "x": B64.encode(x), "y": B64.encode(y) }),
        Public::Ed { x } => json!({ "kty": "OKP", "crv": "Ed25519", "x": B64.encode(x) }),
    };
    v["kid"] = json!(kid);
    v["use"] = json!("sig");
    v["alg"] = json!(alg.as_str());
    v
}

fn public_of(jwk: &Value) -> anyhow::Result<Public> {
    let field = |name: &str| -> anyhow::Result<Vec<u8>> {
        let text = jwk[name].as_str().with_context(|| format!("JWK without {name}"))?;
        B64.decode(text).with_context(|| format!("JWK {name} is not base64url"))
    };
    Ok(match jwk["kty"].as_str() {
        Some("RSA") => Public::Rsa { n: field("n")?, e: field("e")? },
        Some("EC") => Public::Ec { x: field("x")?, y: field("y")? },
        Some("OKP") => Public::Ed { x: field("x")? },
        other => bail!("unknown key type {other:?}"),
    })
}

fn load_one(k: &StoredKey, instance: &InstanceKey) -> anyhow::Result<LoadedKey> {
    let der = B64.decode(instance.decrypt(PURPOSE, &k.private_key)?).context("stored key is not base64url")?;
    let signer = match k.alg {
        SigningAlg::Rs256 => Signer::Rsa(RsaKeyPair::from_pkcs8(&der).map_err(|e| anyhow!("RSA key: {e}"))?),
        SigningAlg::Es256 => Signer::Ec(
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der, &SystemRandom::new())
                .map_err(|e| anyhow!("P-256 key: {e}"))?,
        ),
        SigningAlg::EdDsa => Signer::Ed(Ed25519KeyPair::from_pkcs8(&der).map_err(|e| anyhow!("Ed25519 key: {e}"))?),
    };
    let jwk: Value = serde_json::from_str(&k.public_jwk).context("stored JWK")?;
    Ok(LoadedKey { kid: k.kid.clone(), alg: k.alg, state: k.state.clone(), signer, public: public_of(&jwk)?, jwk })
}

/// Reads and decrypts every key.
pub async fn load(db: &Db, instance: &InstanceKey) -> anyhow::Result<KeyRing> {
    let stored = {
        let mut c = db.acquire().await?;
        signing_keys::all(c.conn()).await?
    };
    let keys = stored
        .iter()
        .map(|k| load_one(k, instance).with_context(|| format!("signing key {}", k.kid)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(KeyRing { keys })
}

async fn add(db: &Db, instance: &InstanceKey, alg: SigningAlg, state: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    // Generating an RSA key takes a while: off the async workers.
    let (der, public) = tokio::task::spawn_blocking(move || generate(alg)).await.context("key generation")??;
    let kid = thumbprint(&public);
    let new = NewKey {
        kid: &kid,
        alg,
        private_key: &instance.encrypt(PURPOSE, &B64.encode(der)),
        public_jwk: &jwk(&public, &kid, alg).to_string(),
    };
    let mut c = db.acquire().await?;
    // Another instance may have filled the slot meanwhile: then its key stands.
    signing_keys::insert(c.conn(), &new, state, now).await?;
    Ok(())
}

/// Makes sure every algorithm has a current key and a published next one.
pub async fn ensure(db: &Db, instance: &InstanceKey, now: DateTime<Utc>) -> anyhow::Result<()> {
    let ring = load(db, instance).await?;
    for alg in SigningAlg::ALL.iter().copied() {
        if ring.current(alg).is_none() {
            add(db, instance, alg, "current", now).await?;
        }
        if !ring.keys.iter().any(|k| k.alg == alg && k.state == "next") {
            add(db, instance, alg, "next", now).await?;
        }
    }
    Ok(())
}

/// One rotation of every algorithm: the published next key starts signing, the current
/// one retires (still published), a new next key is published; old retired keys go.
/// Returns how many algorithms rotated.
pub async fn rotate(db: &Db, instance: &InstanceKey, now: DateTime<Utc>) -> anyhow::Result<usize> {
    ensure(db, instance, now).await?;
    let stored = {
        let mut c = db.acquire().await?;
        signing_keys::all(c.conn()).await?
    };
    let mut rotated = 0;
    for alg in SigningAlg::ALL.iter().copied() {
        let find = |state: &str| stored.iter().find(|k| k.alg == alg && k.state == state).map(|k| k.id);
        let (Some(current), Some(next)) = (find("current"), find("next")) else { continue };
        let moved = {
            let mut tx = db.begin().await?;
            let moved = signing_keys::rotate(tx.conn(), alg, current, next, now).await?;
            if moved {
                tx.commit().await?;
            }
            moved
        };
        if moved {
            add(db, instance, alg, "next", now).await?;
            rotated += 1;
        }
    }
    let mut c = db.acquire().await?;
    signing_keys::drop_retired_before(c.conn(), now - RETIRED_KEPT).await?;
    Ok(rotated)
}

/// The schedule: rotates when the current keys have signed for `ROTATE_EVERY`.
pub async fn rotate_if_due(db: &Db, instance: &InstanceKey, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let due = {
        let mut c = db.acquire().await?;
        signing_keys::all(c.conn())
            .await?
            .iter()
            .any(|k| k.state == "current" && k.activated_at.is_some_and(|at| now - at >= ROTATE_EVERY))
    };
    if due { rotate(db, instance, now).await } else { Ok(0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sign_and_verify_and_have_thumbprint_kids() {
        for alg in [SigningAlg::Es256, SigningAlg::EdDsa] {
            let (der, public) = generate(alg).unwrap();
            let kid = thumbprint(&public);
            let instance = InstanceKey::random();
            let stored = StoredKey {
                id: uuid::Uuid::new_v4(),
                kid: kid.clone(),
                alg,
                state: "current".into(),
                private_key: instance.encrypt(PURPOSE, &B64.encode(der)),
                public_jwk: jwk(&public, &kid, alg).to_string(),
                created_at: Utc::now(),
                activated_at: None,
                retired_at: None,
            };
            let key = load_one(&stored, &instance).unwrap();
            let sig = key.sign_bytes(b"hello").unwrap();
            assert!(key.verify(b"hello", &sig));
            assert!(!key.verify(b"hellO", &sig));
            assert_eq!(kid.len(), 43);
        }
    }

    #[test]
    fn the_rfc_7638_example_thumbprint() {
        // RFC 7638 §3.1.
        let n = B64.decode("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw").unwrap();
        let e = B64.decode("AQAB").unwrap();
        assert_eq!(thumbprint(&Public::Rsa { n, e }), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }
}
