//! Secrets the server must be able to read back (an authenticator app's TOTP seed), sealed
//! at rest with AES-256-GCM under a key that lives outside the database (a key file beside
//! the audit signing key). A copy of the database, a backup or a database administrator sees
//! only ciphertext. Each sealed value is bound to its purpose and owner (the AEAD's
//! associated data), so a ciphertext copied from one user's row to another's does not open.
//!
//! Stored form: `sealed:v1:` then base64url (no padding) of the 96-bit random nonce followed
//! by the ciphertext and its 128-bit tag.

use crate::error::AppError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

const PREFIX: &str = "sealed:v1:";

/// The length of a key in bytes.
pub const KEY_LEN: usize = 32;

/// The key itself, as loaded from its file: copied into settings, never shown.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SecretsKey([u8; KEY_LEN]);

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey(not shown)")
    }
}

impl SecretsKey {
    /// A new random key.
    pub fn generate() -> Result<Self, String> {
        let mut key = [0u8; KEY_LEN];
        getrandom::fill(&mut key).map_err(|e| format!("no randomness available: {e}"))?;
        Ok(Self(key))
    }

    /// A new random key, hex encoded (the key file's content).
    pub fn generate_hex() -> Result<String, String> {
        Self::generate().map(|k| hex::encode(k.0))
    }

    /// The key in a key file's content (64 hex digits, surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let invalid = || "the secrets key must be 64 hexadecimal digits".to_string();
        let bytes = hex::decode(text.trim()).map_err(|_| invalid())?;
        bytes.try_into().map(Self).map_err(|_| invalid())
    }
}

pub struct SecretBox {
    key: LessSafeKey,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(AES-256-GCM, key not shown)")
    }
}

impl SecretBox {
    pub fn new(key: &SecretsKey) -> Result<Self, String> {
        UnboundKey::new(&AES_256_GCM, &key.0)
            .map(|k| Self {
                key: LessSafeKey::new(k),
            })
            .map_err(|_| "the secrets key is not a valid AES-256 key".to_string())
    }

    /// A box with a random key that lives as long as the process: for tests and benchmarks,
    /// never for a server whose data outlives it.
    pub fn ephemeral() -> Result<Self, String> {
        Self::new(&SecretsKey::generate()?)
    }

    /// Whether `stored` is a sealed value (rather than one written before sealing existed).
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }

    /// Seals `plaintext` for `context` (what it is and whose: "totp:alice").
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Result<String, AppError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce)
            .map_err(|e| AppError::Internal(format!("no randomness available: {e}")))?;
        let mut sealed = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| AppError::Internal("a secret could not be sealed".into()))?;
        let mut out = nonce.to_vec();
        out.append(&mut sealed);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Opens a value `seal` made for the same `context`. A value that was changed, sealed
    /// under another key or for another context is refused.
    pub fn open(&self, context: &str, stored: &str) -> Result<Vec<u8>, AppError> {
        let refused = || {
            AppError::Internal(format!(
                "a sealed secret ({context}) does not open with this server's secrets key: \
                 it was changed, or the key file is not the one it was sealed with"
            ))
        };
        let encoded = stored.strip_prefix(PREFIX).ok_or_else(refused)?;
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| refused())?;
        if bytes.len() < NONCE_LEN {
            return Err(refused());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| refused())?;
        let mut sealed = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut sealed)
            .map_err(|_| refused())?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let a = SecretBox::ephemeral().unwrap();
        let b = SecretBox::ephemeral().unwrap();
        let sealed = a.seal("totp:alice", b"seed bytes").unwrap();
        assert!(SecretBox::is_sealed(&sealed));
        assert!(!sealed.contains("seed"));
        assert_eq!(a.open("totp:alice", &sealed).unwrap(), b"seed bytes");
        // Another key, another owner, a changed byte, a plain value: all refused.
        assert!(b.open("totp:alice", &sealed).is_err());
        assert!(a.open("totp:bob", &sealed).is_err());
        let mut bytes = URL_SAFE_NO_PAD
            .decode(sealed.strip_prefix(PREFIX).unwrap())
            .unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        assert!(a.open("totp:alice", &tampered).is_err());
        assert!(a.open("totp:alice", "JBSWY3DPEHPK3PXP").is_err());
        assert!(a.open("totp:alice", "sealed:v1:AAAA").is_err());
        // Each seal draws a fresh nonce.
        assert_ne!(a.seal("totp:alice", b"seed bytes").unwrap(), sealed);
    }

    #[test]
    fn a_key_file_is_64_hex_digits() {
        let hex = SecretsKey::generate_hex().unwrap();
        assert_eq!(hex.len(), 64);
        let key = SecretsKey::from_hex(&format!("{hex}\n")).unwrap();
        let a = SecretBox::new(&key).unwrap();
        let again = SecretBox::new(&SecretsKey::from_hex(&hex).unwrap()).unwrap();
        let sealed = a.seal("x", b"y").unwrap();
        assert_eq!(again.open("x", &sealed).unwrap(), b"y");
        assert!(SecretsKey::from_hex("abcd").is_err());
        assert!(SecretsKey::from_hex(&"zz".repeat(32)).is_err());
        assert!(!format!("{key:?} {a:?}").contains(&hex[..8]));
    }
}
