//! The one home of randomness and keys: link tokens (256 bits from the OS CSPRNG, stored as
//! SHA-256, compared in constant time), one-time codes, and the instance key that keys
//! cookies (device cookies' MACs among them) and code hashes.

use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::device::Device;

pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS CSPRNG failing is not something the portal can carry on from.
    getrandom::fill(&mut buf).expect("the operating system's random number generator failed");
    buf
}

/// A secret that travels in a link. Only its hash is stored.
pub struct Token(String);

impl Token {
    /// A link secret that the instance can compute again (for reminder mails) but nobody
    /// without the instance key can: HMAC-SHA256 of `id` under `purpose`.
    pub fn derived(key: &InstanceKey, purpose: &str, id: &uuid::Uuid) -> Token {
        Token(URL_SAFE_NO_PAD.encode(key.mac(purpose, id.as_bytes())))
    }

    pub fn generate() -> Token {
        Token(URL_SAFE_NO_PAD.encode(random_bytes::<32>()))
    }

    /// The secret text, for building the link. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

/// SHA-256 of a token, hex-encoded: what the database keeps and looks up by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHash(pub String);

impl TokenHash {
    pub fn of(token: &str) -> TokenHash {
        TokenHash(hex::encode(Sha256::digest(token.as_bytes())))
    }

    /// Constant-time comparison with a stored hash.
    pub fn matches(&self, stored: &str) -> bool {
        self.0.as_bytes().ct_eq(stored.as_bytes()).into()
    }
}

/// A CSRF token or other opaque per-session secret.
pub fn session_secret() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// An 8-digit one-time code, uniformly drawn.
pub fn one_time_code() -> String {
    // Rejection sampling keeps the distribution uniform over 0..10^8.
    loop {
        let n = u32::from_le_bytes(random_bytes::<4>());
        if n < 4_200_000_000 {
            return format!("{:08}", n % 100_000_000);
        }
    }
}

/// The instance key: 32 random bytes from which cookie keys and code hashes are derived.
#[derive(Clone)]
pub struct InstanceKey([u8; 32]);

impl InstanceKey {
    /// From `VESTIBULE_SECRET_KEY` (base64), or else the key file in the data folder,
    /// generated on first start.
    pub fn load(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<InstanceKey> {
        if let Some(text) = configured {
            return Self::parse(text).context("VESTIBULE_SECRET_KEY");
        }
        let path = data_dir.join("instance.key");
        if path.exists() {
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            return Self::parse(&text).with_context(|| format!("{}", path.display()));
        }
        std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
        let key = InstanceKey(random_bytes::<32>());
        write_private(&path, &STANDARD.encode(key.0))?;
        tracing::info!(path = %path.display(), "generated a new instance key");
        Ok(key)
    }

    pub fn parse(text: &str) -> anyhow::Result<InstanceKey> {
        let bytes = STANDARD.decode(text.trim()).context("not base64")?;
        let Ok(arr) = <[u8; 32]>::try_from(bytes.as_slice()) else {
            bail!("must be 32 bytes (base64 of `head -c32 /dev/urandom`)");
        };
        Ok(InstanceKey(arr))
    }

    pub fn random() -> InstanceKey {
        InstanceKey(random_bytes::<32>())
    }

    /// HMAC-SHA256 of `message` under a key derived for `purpose`.
    pub fn mac(&self, purpose: &str, message: &[u8]) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// 64 bytes for the cookie key (signing and encryption halves).
    pub fn cookie_key_material(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.mac("cookie", b"1"));
        out[32..].copy_from_slice(&self.mac("cookie", b"2"));
        out
    }

    /// Encrypts a secret for storage (AES-256-GCM under a key derived for `purpose`, with a
    /// fresh 96-bit nonce): base64 of nonce ‖ ciphertext.
    pub fn encrypt(&self, purpose: &str, plaintext: &str) -> String {
        use aes_gcm::aead::{Aead, KeyInit};
        let cipher = aes_gcm::Aes256Gcm::new_from_slice(&self.mac("encrypt", purpose.as_bytes())).expect("32-byte key");
        let nonce = random_bytes::<12>();
        let mut out = nonce.to_vec();
        out.extend(
            cipher
                .encrypt(aes_gcm::Nonce::from_slice(&nonce), plaintext.as_bytes())
                .expect("AES-GCM encryption of a short secret cannot fail"),
        );
        STANDARD.encode(out)
    }

    /// Reverses `encrypt`; fails if the value was not made with this key and purpose.
    pub fn decrypt(&self, purpose: &str, stored: &str) -> anyhow::Result<String> {
        use aes_gcm::aead::{Aead, KeyInit};
        let bytes = STANDARD.decode(stored).context("stored secret is not base64")?;
        if bytes.len() < 12 {
            bail!("stored secret is too short");
        }
        let cipher = aes_gcm::Aes256Gcm::new_from_slice(&self.mac("encrypt", purpose.as_bytes())).expect("32-byte key");
        let plain = cipher
            .decrypt(aes_gcm::Nonce::from_slice(&bytes[..12]), &bytes[12..])
            .map_err(|_| anyhow::anyhow!("stored secret does not decrypt with this instance key"))?;
        String::from_utf8(plain).context("stored secret is not text")
    }

    /// The stored form of a one-time code: keyed, so a leaked table does not give the codes
    /// away by a 10^8 brute force without the key.
    pub fn code_hash(&self, code_id: &str, code: &str) -> String {
        hex::encode(self.mac("one-time-code", format!("{code_id}:{code}").as_bytes()))
    }

    /// A new device cookie's value (`domain::device`): `base64url("device|email|issued-at|id")`,
    /// a dot, and the base64url HMAC of that text under the instance key. The id is 128
    /// random bits: the browser's own counts are kept under it.
    pub fn device_cookie(&self, email: &str, issued_at: DateTime<Utc>) -> String {
        let id = URL_SAFE_NO_PAD.encode(random_bytes::<16>());
        let body = format!("device|{email}|{}|{id}", issued_at.timestamp());
        let mac = URL_SAFE_NO_PAD.encode(self.mac(DEVICE_COOKIE, body.as_bytes()));
        format!("{}.{mac}", URL_SAFE_NO_PAD.encode(&body))
    }

    /// The device a cookie's value names, if this key made it (the MAC compared in constant
    /// time); `None` for anything else. Whether it is still current is `Device::is_current`.
    pub fn open_device_cookie(&self, value: &str) -> Option<Device> {
        let (body, mac) = value.split_once('.')?;
        let body = String::from_utf8(URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
        let expected = URL_SAFE_NO_PAD.encode(self.mac(DEVICE_COOKIE, body.as_bytes()));
        if !constant_time_eq(&expected, mac) {
            return None;
        }
        // The address may hold a `|`; the time and the id cannot.
        let mut parts = body.strip_prefix("device|")?.rsplitn(3, '|');
        let (id, issued, email) = (parts.next()?, parts.next()?, parts.next()?);
        let issued_at = DateTime::from_timestamp(issued.parse().ok()?, 0)?;
        Some(Device { email: email.to_string(), issued_at, id: id.to_string() })
    }

    /// A link token naming `id` that only this key makes: base64url of the id's 16 bytes and
    /// their HMAC under `purpose`. For links that must keep working without a stored token
    /// (an invitation mail's "Block future invitations", however often the mail is re-sent).
    pub fn signed_id(&self, purpose: &str, id: &uuid::Uuid) -> String {
        let mut bytes = id.as_bytes().to_vec();
        bytes.extend_from_slice(&self.mac(purpose, id.as_bytes()));
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The id a `signed_id` token names, if this key made it for `purpose` (the MAC compared
    /// in constant time); `None` for anything else.
    pub fn open_signed_id(&self, purpose: &str, token: &str) -> Option<uuid::Uuid> {
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() != 48 {
            return None;
        }
        let (id, mac) = bytes.split_at(16);
        let expected = self.mac(purpose, id);
        if !bool::from(expected.as_slice().ct_eq(mac)) {
            return None;
        }
        uuid::Uuid::from_slice(id).ok()
    }

    /// What tells the device cookies of different people on one browser apart (a suffix of
    /// the cookie's name): keyed, so the name does not show the address.
    pub fn device_cookie_tag(&self, email: &str) -> String {
        hex::encode(&self.mac("device-cookie-name", email.as_bytes())[..6])
    }
}

/// The instance-key purpose of device cookies' MACs.
const DEVICE_COOKIE: &str = "device-cookie";

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("creating {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_and_hash_stably() {
        let t = Token::generate();
        assert_eq!(t.expose().len(), 43);
        assert!(t.hash().matches(&TokenHash::of(t.expose()).0));
        assert!(!t.hash().matches(&Token::generate().hash().0));
    }

    #[test]
    fn a_signed_id_opens_only_with_its_key_and_purpose() {
        let (k, id) = (InstanceKey::random(), uuid::Uuid::new_v4());
        let token = k.signed_id("do-not-invite", &id);
        assert_eq!(k.open_signed_id("do-not-invite", &token), Some(id));
        assert_eq!(k.open_signed_id("other", &token), None);
        assert_eq!(InstanceKey::random().open_signed_id("do-not-invite", &token), None);
        let mut forged = token.clone();
        forged.replace_range(0..1, if token.starts_with('A') { "B" } else { "A" });
        assert_eq!(k.open_signed_id("do-not-invite", &forged), None);
    }

    #[test]
    fn codes_have_eight_digits() {
        for _ in 0..100 {
            let c = one_time_code();
            assert_eq!(c.len(), 8);
            assert!(c.chars().all(|ch| ch.is_ascii_digit()));
        }
    }

    #[test]
    fn secrets_encrypt_and_decrypt_only_with_the_same_key_and_purpose() {
        let k = InstanceKey::random();
        let sealed = k.encrypt("idp", "s3cret");
        assert_ne!(sealed, k.encrypt("idp", "s3cret"), "a fresh nonce each time");
        assert_eq!(k.decrypt("idp", &sealed).unwrap(), "s3cret");
        assert!(k.decrypt("totp", &sealed).is_err());
        assert!(InstanceKey::random().decrypt("idp", &sealed).is_err());
    }

    #[test]
    fn a_device_cookie_opens_only_with_the_key_that_made_it_and_unchanged() {
        let k = InstanceKey::random();
        let at = chrono::DateTime::from_timestamp(1_772_442_000, 0).unwrap();
        let value = k.device_cookie("a|b@example.com", at);
        let device = k.open_device_cookie(&value).unwrap();
        assert_eq!((device.email.as_str(), device.issued_at), ("a|b@example.com", at));
        assert_eq!(device.id.len(), 22, "128 random bits");
        assert_ne!(k.open_device_cookie(&k.device_cookie("a|b@example.com", at)).unwrap().id, device.id);
        assert!(InstanceKey::random().open_device_cookie(&value).is_none(), "another instance's");
        let (body, mac) = value.split_once('.').unwrap();
        let other = URL_SAFE_NO_PAD.encode(format!("device|mallory@example.com|{}|{}", at.timestamp(), device.id));
        assert!(k.open_device_cookie(&format!("{other}.{mac}")).is_none(), "another address, the same MAC");
        assert!(k.open_device_cookie(body).is_none() && k.open_device_cookie("").is_none());
        assert_eq!(k.device_cookie_tag("ana@example.com"), k.device_cookie_tag("ana@example.com"));
        assert_ne!(k.device_cookie_tag("ana@example.com"), k.device_cookie_tag("bob@example.com"));
    }

    #[test]
    fn the_key_round_trips_through_base64() {
        let k = InstanceKey::random();
        let again = InstanceKey::parse(&STANDARD.encode(k.0)).unwrap();
        assert_eq!(k.code_hash("a", "1"), again.code_hash("a", "1"));
        assert_ne!(k.code_hash("a", "1"), k.code_hash("b", "1"));
        assert!(InstanceKey::parse("c2hvcnQ=").is_err());
    }
}

/// API keys: `vst_`, 30 random base62 characters (≈178 bits) and 6 of checksum (CRC-32 of
/// the random part, base62), as GitHub's tokens are made, so that secret scanners can tell
/// a real leaked key from look-alike text without asking us.
pub mod api_key {
    const PREFIX: &str = "vst_";
    const RANDOM_LEN: usize = 30;
    const CHECK_LEN: usize = 6;
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

    fn checksum(random: &str) -> String {
        let mut n = CRC.checksum(random.as_bytes());
        let mut out = [b'0'; CHECK_LEN];
        for slot in out.iter_mut().rev() {
            *slot = ALPHABET[(n % 62) as usize];
            n /= 62;
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// A new key, uniformly drawn (rejection sampling keeps every character equally likely).
    pub fn generate() -> String {
        let mut random = String::with_capacity(RANDOM_LEN);
        while random.len() < RANDOM_LEN {
            for b in super::random_bytes::<32>() {
                if b < 248 && random.len() < RANDOM_LEN {
                    random.push(ALPHABET[(b % 62) as usize] as char);
                }
            }
        }
        let check = checksum(&random);
        format!("{PREFIX}{random}{check}")
    }

    /// Whether `text` is shaped like a key and its checksum holds: anything else is refused
    /// before the database is asked.
    pub fn well_formed(text: &str) -> bool {
        let Some(rest) = text.strip_prefix(PREFIX) else { return false };
        if rest.len() != RANDOM_LEN + CHECK_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return false;
        }
        let (random, check) = rest.split_at(RANDOM_LEN);
        super::constant_time_eq(&checksum(random), check)
    }

    /// What an admin sees of a key after it was shown once: enough to tell keys apart.
    pub fn hint(key: &str) -> String {
        format!("{}…", &key[..PREFIX.len() + 4])
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn keys_carry_a_checksum_that_catches_a_typo() {
            let key = super::generate();
            assert_eq!(key.len(), 40);
            assert!(key.starts_with("vst_") && super::well_formed(&key));
            let mut typo = key.clone().into_bytes();
            typo[10] = if typo[10] == b'a' { b'b' } else { b'a' };
            assert!(!super::well_formed(&String::from_utf8(typo).unwrap()));
            assert!(!super::well_formed("vst_short") && !super::well_formed(&key.replace("vst_", "ghp_")));
            assert_ne!(super::generate(), key);
        }
    }
}
