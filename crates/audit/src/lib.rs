//! Tamper evidence for the audit trail (architecture decision 5).
//!
//! - [`canonical`]: the one byte encoding of an audit record that is hashed, independent of
//!   how a database stores JSON (PostgreSQL's JSONB reorders keys; SQLite keeps text).
//! - [`merkle`]: an RFC 6962 (RFC 9162 §2) Merkle tree over those records, with leaf and
//!   interior hashes domain-separated (0x00 / 0x01), inclusion and consistency proofs and
//!   their verification, and an incremental [`merkle::Frontier`] for appending.
//! - [`checkpoint`]: Ed25519-signed tree heads ("the log had this many records and this
//!   root at this time"), which a monitoring centre keeps; a database administrator who
//!   rewrites history cannot re-sign them.
//!
//! The crate is pure: the store supplies records, the server holds the signing key.

pub mod canonical;
pub mod checkpoint;
pub mod merkle;

pub use checkpoint::{Checkpoint, CheckpointError, Signer};
pub use ed25519_dalek::VerifyingKey;
pub use merkle::{Frontier, Hash};
