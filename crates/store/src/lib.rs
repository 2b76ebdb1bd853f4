//! The storage port: what Bluelamp asks of a database, in use-case-sized methods, and the
//! conformance suite every adapter must pass (`conformance`).
//!
//! Two rules hold for every adapter and are tested by the suite:
//! - A change is written only by [`Store::apply`], which takes the [`AuditEntry`] describing
//!   it and commits record rows, version rows, the audit row and outbox rows in ONE
//!   transaction. There is no other way to change data, so no code path changes data
//!   unaudited.
//! - A consultation (showing a record, its history or a list to a person) goes through a
//!   method that also takes an [`AuditEntry`]; the audit row commits before the data is
//!   returned, and if it cannot be written the read fails.
//!
//! Row types never leave an adapter; this crate speaks only domain types.

pub mod conformance;
pub mod migrations;
pub mod support;
mod types;

pub use support::{merge_details, subject, version_subject};

pub use types::*;

use async_trait::async_trait;
use bluelamp_domain::{AuditEntry, RecordId, Version};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("record {0} not found")]
    NotFound(RecordId),
    /// The change was based on a version that is no longer the latest.
    #[error("record {id} has changed since version {expected} (now version {current})")]
    Conflict {
        id: RecordId,
        expected: Version,
        current: Version,
    },
    /// A rule of the schema refused the change (a link to a record that does not exist, a
    /// duplicate id). Nothing was written.
    #[error("refused by the store: {0}")]
    Constraint(String),
    /// The database could not be reached or refused the connection.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store error: {0}")]
    Internal(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is ("sqlite", "postgres"), for logs and `/readyz`.
    fn backend(&self) -> &'static str;

    /// Writes every operation of `change`, its version rows, its audit entry (with the
    /// versions written filled in as subjects) and its outbox events, atomically. Returns the
    /// records as written, in the order of the operations.
    async fn apply(&self, change: Change) -> StoreResult<Vec<StoredRecord>>;

    /// A consultation: records `audit` (with the version shown as its subject) and returns
    /// the record. When the record does not exist the attempt is still audited (outcome
    /// failed) and `Ok(None)` is returned.
    async fn consult(&self, id: RecordId, audit: AuditEntry) -> StoreResult<Option<StoredRecord>>;

    /// A consultation of a record's history, every version, oldest first.
    async fn consult_history(
        &self,
        id: RecordId,
        audit: AuditEntry,
    ) -> StoreResult<Vec<RecordVersion>>;

    /// A consultation of one past version.
    async fn consult_version(
        &self,
        id: RecordId,
        version: Version,
        audit: AuditEntry,
    ) -> StoreResult<Option<RecordVersion>>;

    /// A consultation of a record with the links that start or end at it, each with a
    /// summary of the record at its other end: one audit entry names the record and every
    /// link shown. When the record does not exist the attempt is audited (outcome failed)
    /// and `Ok(None)` is returned.
    async fn consult_with_links(
        &self,
        id: RecordId,
        include_ended: bool,
        audit: AuditEntry,
    ) -> StoreResult<Option<(StoredRecord, Vec<LinkView>)>>;

    /// A consultation of a filtered, paged list. The ids returned are audited.
    async fn consult_list(&self, query: ListQuery, audit: AuditEntry) -> StoreResult<Page>;

    /// Loads records for the application's own checks before a write (does a link's end
    /// exist? what changed?). Never used to show data to a person: that is a consultation.
    async fn load(&self, ids: &[RecordId]) -> StoreResult<Vec<StoredRecord>>;

    /// Records an audit entry on its own (a refused request, a sign-in). Fails when the
    /// entry cannot be written.
    async fn audit_only(&self, audit: AuditEntry) -> StoreResult<()>;

    /// Up to `limit` outbox events not yet delivered, oldest first.
    async fn outbox_pending(&self, limit: u32) -> StoreResult<Vec<OutboxRow>>;

    /// How many outbox events wait for delivery, counted up to `cap` (for `/readyz` and
    /// metrics: cheap enough to call on every probe).
    async fn outbox_backlog(&self, cap: u32) -> StoreResult<u64>;

    /// Marks outbox events as delivered.
    async fn outbox_mark_delivered(&self, seqs: &[i64]) -> StoreResult<()>;

    /// Deletes up to 10,000 outbox events delivered before `delivered_before`, returning how
    /// many (call again until it returns fewer, so no single call holds the writer long). The
    /// outbox is a delivery queue, not an archive: the audit trail and the versions keep the
    /// history.
    async fn outbox_prune(&self, delivered_before: jiff::Timestamp) -> StoreResult<u64>;

    /// Audit entries after sequence number `after`, oldest first (for auditors and feeds).
    async fn audit_entries(&self, after: i64, limit: u32) -> StoreResult<Vec<AuditRow>>;

    /// How many current records of each kind there are (for the home page and metrics).
    async fn counts(&self) -> StoreResult<Counts>;

    /// Checks the database answers (for `/readyz`).
    async fn ping(&self) -> StoreResult<()>;
}
