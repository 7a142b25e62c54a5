//! The deployment's `SECRET_KEY` and the keys derived from it, one per use, so that a value
//! signed for one purpose (a CSRF token, say) is never accepted for another (an email link).

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// At least this many bytes: a shorter key could be guessed offline from one signed link.
pub const MIN_SECRET_KEY_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the secret key must be at least {MIN_SECRET_KEY_LEN} bytes long; it has {0}")]
pub struct SecretKeyTooShort(pub usize);

#[derive(Clone)]
pub struct SecretKey(Arc<[u8]>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    pub fn new(bytes: &[u8]) -> Result<SecretKey, SecretKeyTooShort> {
        if bytes.len() < MIN_SECRET_KEY_LEN {
            return Err(SecretKeyTooShort(bytes.len()));
        }
        Ok(SecretKey(bytes.into()))
    }

    /// A 32-byte key for one purpose: HMAC-SHA256 of the purpose under the secret.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        hmac_sha256(&self.0, &[b"almanac:", purpose.as_bytes()])
    }

    /// HMAC-SHA256 of `message` under the key derived for `purpose`.
    pub fn sign(&self, purpose: &str, message: &[u8]) -> [u8; 32] {
        hmac_sha256(&self.derive(purpose), &[message])
    }

    /// Whether `signature` (possibly truncated, but at least 16 bytes) is the start of
    /// `sign(purpose, message)`; compared in constant time.
    pub fn verify(&self, purpose: &str, message: &[u8], signature: &[u8]) -> bool {
        if signature.len() < 16 {
            return false;
        }
        let mut mac = HmacSha256::new_from_slice(&self.derive(purpose)).expect("any key length");
        mac.update(message);
        mac.verify_truncated_left(signature).is_ok()
    }
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// SHA-256 as lower-case hex: how tokens, session ids and recovery codes are stored.
pub fn sha256_hex(value: &[u8]) -> String {
    let digest = Sha256::digest(value);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// `len` random bytes from the operating system's generator, as unpadded URL-safe base64.
pub fn random_token(len: usize) -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = vec![0u8; len];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_bound_to_their_purpose() {
        let key = SecretKey::new(&[7; 32]).unwrap();
        let signature = key.sign("csrf", b"value");
        assert!(key.verify("csrf", b"value", &signature));
        assert!(key.verify("csrf", b"value", &signature[..16]));
        assert!(!key.verify("csrf", b"value", &signature[..8]));
        assert!(!key.verify("token", b"value", &signature));
        assert!(!key.verify("csrf", b"other", &signature));
        let other = SecretKey::new(&[8; 32]).unwrap();
        assert!(!other.verify("csrf", b"value", &signature));
    }

    #[test]
    fn short_keys_are_refused() {
        assert_eq!(SecretKey::new(b"short").unwrap_err(), SecretKeyTooShort(5));
    }
}
