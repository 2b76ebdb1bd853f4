//! Signed checkpoints: "the audit log had `tree_size` records with root `root` at `at`",
//! signed with the deployment's Ed25519 key. Whoever keeps a copy (the monitoring centre)
//! can later prove the log was not rewritten: an altered record changes every root after
//! it, and a new root cannot be signed without the key.

use crate::merkle::Hash;
use base64::Engine;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use jiff::Timestamp;
use sha2::{Digest, Sha256};

const ORIGIN: &str = "bluelamp audit log v1";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckpointError {
    #[error("the signing key is not 32 bytes of hex")]
    BadKey,
    #[error("no randomness available to make a key: {0}")]
    NoRandomness(String),
    #[error("the checkpoint text is malformed: {0}")]
    Malformed(String),
}

/// A signed tree head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub tree_size: u64,
    pub root: Hash,
    /// When it was signed (UTC, microseconds).
    pub at: Timestamp,
    /// Which key signed it: the first 8 bytes of the SHA-256 of the public key, in hex.
    pub key_id: String,
    pub signature: [u8; 64],
}

impl Checkpoint {
    /// The text that is signed (and shipped), one field per line.
    pub fn body(tree_size: u64, root: &Hash, at: Timestamp) -> String {
        format!(
            "{ORIGIN}\n{tree_size}\n{}\n{}\n",
            base64::engine::general_purpose::STANDARD.encode(root),
            bluelamp_domain::time::to_rfc3339_micros(at)
        )
    }

    /// Checks the signature with a public key.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        key_id(key) == self.key_id
            && key
                .verify(
                    Self::body(self.tree_size, &self.root, self.at).as_bytes(),
                    &Signature::from_bytes(&self.signature),
                )
                .is_ok()
    }

    /// The checkpoint as a signed note: the body, a blank line, and `— key_id signature`.
    pub fn to_note(&self) -> String {
        format!(
            "{}\n— {} {}\n",
            Self::body(self.tree_size, &self.root, self.at),
            self.key_id,
            base64::engine::general_purpose::STANDARD.encode(self.signature)
        )
    }

    /// Reads a signed note written by [`Checkpoint::to_note`].
    pub fn from_note(text: &str) -> Result<Self, CheckpointError> {
        let bad = |m: &str| CheckpointError::Malformed(m.to_string());
        let mut lines = text.lines();
        if lines.next() != Some(ORIGIN) {
            return Err(bad("it does not start with the log's origin line"));
        }
        let tree_size = lines
            .next()
            .and_then(|l| l.parse().ok())
            .ok_or_else(|| bad("line 2 is not a tree size"))?;
        let root: Hash = lines
            .next()
            .and_then(|l| base64::engine::general_purpose::STANDARD.decode(l).ok())
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad("line 3 is not a base64 SHA-256 root"))?;
        let at = lines
            .next()
            .and_then(|l| l.parse().ok())
            .ok_or_else(|| bad("line 4 is not an RFC 3339 time"))?;
        if lines.next() != Some("") {
            return Err(bad("no blank line before the signature"));
        }
        let sig_line = lines.next().ok_or_else(|| bad("no signature line"))?;
        let mut parts = sig_line
            .strip_prefix("— ")
            .ok_or_else(|| bad("the signature line does not start with an em dash"))?
            .split(' ');
        let key_id = parts.next().unwrap_or_default().to_string();
        let signature: [u8; 64] = parts
            .next()
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad("the signature is not 64 bytes of base64"))?;
        Ok(Self {
            tree_size,
            root,
            at,
            key_id,
            signature,
        })
    }
}

/// The id of a public key.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

/// Signs checkpoints with the deployment's key.
pub struct Signer {
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &key_id(&self.key.verifying_key()))
            .finish()
    }
}

impl Signer {
    /// A new random key.
    pub fn generate() -> Result<Self, CheckpointError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| CheckpointError::NoRandomness(e.to_string()))?;
        Ok(Self {
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// A key from its 32-byte secret in hex (as stored in the key file).
    pub fn from_hex(secret: &str) -> Result<Self, CheckpointError> {
        let bytes: [u8; 32] = hex::decode(secret.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(CheckpointError::BadKey)?;
        Ok(Self {
            key: SigningKey::from_bytes(&bytes),
        })
    }

    pub fn secret_hex(&self) -> String {
        hex::encode(self.key.to_bytes())
    }

    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    pub fn sign(&self, tree_size: u64, root: Hash, at: Timestamp) -> Checkpoint {
        let signature = self
            .key
            .sign(Checkpoint::body(tree_size, &root, at).as_bytes())
            .to_bytes();
        Checkpoint {
            tree_size,
            root,
            at,
            key_id: key_id(&self.key.verifying_key()),
            signature,
        }
    }
}

/// A public key from hex (for `bluelamp audit verify --public-key`).
pub fn public_key_from_hex(s: &str) -> Result<VerifyingKey, CheckpointError> {
    let bytes: [u8; 32] = hex::decode(s.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(CheckpointError::BadKey)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| CheckpointError::BadKey)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{Frontier, leaf_hash};

    fn at() -> Timestamp {
        "2026-11-22T10:00:00.5Z".parse().unwrap()
    }

    #[test]
    fn a_checkpoint_verifies_with_its_key_and_survives_the_note_format() {
        let signer = Signer::generate().unwrap();
        let mut f = Frontier::new();
        for i in 0u8..10 {
            f.push(leaf_hash(&[i]));
        }
        let cp = signer.sign(f.size(), f.root(), at());
        assert!(cp.verify(&signer.public_key()));
        let note = cp.to_note();
        assert!(note.starts_with("bluelamp audit log v1\n10\n"), "{note}");
        let back = Checkpoint::from_note(&note).unwrap();
        assert_eq!(back, cp);
        assert!(back.verify(&signer.public_key()));
        let again = Signer::from_hex(&signer.secret_hex()).unwrap();
        assert_eq!(again.public_key(), signer.public_key());
    }

    #[test]
    fn a_changed_size_root_or_time_or_another_key_fails() {
        let signer = Signer::generate().unwrap();
        let cp = signer.sign(5, leaf_hash(b"x"), at());
        let mut bigger = cp.clone();
        bigger.tree_size = 6;
        assert!(!bigger.verify(&signer.public_key()));
        let mut rerooted = cp.clone();
        rerooted.root = leaf_hash(b"y");
        assert!(!rerooted.verify(&signer.public_key()));
        let mut later = cp.clone();
        later.at = "2026-11-22T10:00:01Z".parse().unwrap();
        assert!(!later.verify(&signer.public_key()));
        let other = Signer::generate().unwrap();
        assert!(!cp.verify(&other.public_key()));
        // Someone without the key re-signs a forged root with their own key: the key id
        // gives them away.
        let forged = other.sign(5, leaf_hash(b"y"), at());
        assert!(!forged.verify(&signer.public_key()));
    }

    #[test]
    fn malformed_notes_are_refused_with_a_reason() {
        for (text, why) in [
            ("hello\n", "origin"),
            ("bluelamp audit log v1\nten\n", "tree size"),
            ("bluelamp audit log v1\n1\nnot-base64!\n", "SHA-256 root"),
        ] {
            let err = Checkpoint::from_note(text).unwrap_err();
            assert!(err.to_string().contains(why), "{err}");
        }
        assert!(matches!(
            Signer::from_hex("abc"),
            Err(CheckpointError::BadKey)
        ));
    }
}
