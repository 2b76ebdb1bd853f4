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
pub mod directory;
pub mod migrations;
pub mod support;
mod types;

pub use support::{merge_details, subject, version_subject};

pub use directory::*;
pub use types::*;

use async_trait::async_trait;
use bluelamp_domain::{AuditEntry, RecordId, RecordKind, Version};

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
    /// The change was based on links of the record (at `version`, which has not moved) that
    /// are no longer those in force (`WriteOp::LinksInForce`). Nothing was written.
    #[error("the links of record {id} (version {version}) changed while the change was made")]
    LinksChanged { id: RecordId, version: Version },
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
    /// records as written, in the order of the operations (the checks, `Unchanged` and
    /// `LinksInForce`, write nothing and return nothing).
    async fn apply(&self, change: Change) -> StoreResult<Vec<StoredRecord>>;

    /// A consultation: reads the record, asks `gate` whether it may be shown, records
    /// `audit` with the record as its subject and the decision, and returns the record when
    /// allowed. When the record does not exist the attempt is audited (outcome failed); when
    /// the gate refuses it, the refusal is audited (outcome denied); both return `Ok(None)`,
    /// so a caller cannot tell a hidden record from a missing one.
    async fn consult(
        &self,
        id: RecordId,
        gate: &dyn Gate,
        audit: AuditEntry,
    ) -> StoreResult<Option<StoredRecord>>;

    /// A consultation of a record's history, oldest first: the versions the gate allows
    /// (nothing when it refuses the latest; see [`support::gate_history`]).
    async fn consult_history(
        &self,
        id: RecordId,
        gate: &dyn Gate,
        audit: AuditEntry,
    ) -> StoreResult<Vec<RecordVersion>>;

    /// A consultation of one past version (see [`support::gate_version`]).
    async fn consult_version(
        &self,
        id: RecordId,
        version: Version,
        gate: &dyn Gate,
        audit: AuditEntry,
    ) -> StoreResult<Option<RecordVersion>>;

    /// A consultation of a record with the links that start or end at it, each with a
    /// summary of the record at its other end: one audit entry names the record and every
    /// link shown. Links the gate refuses (or whose other end it refuses) are left out. When
    /// the record does not exist or is refused the attempt is audited and `Ok(None)` is
    /// returned.
    async fn consult_with_links(
        &self,
        id: RecordId,
        include_ended: bool,
        gate: &dyn Gate,
        audit: AuditEntry,
    ) -> StoreResult<Option<(StoredRecord, Vec<LinkView>)>>;

    /// A consultation of a filtered, paged list. The ids returned are audited.
    async fn consult_list(&self, query: ListQuery, audit: AuditEntry) -> StoreResult<Page>;

    /// Loads records for the application's own checks before a write (does a link's end
    /// exist? what changed?). Never used to show data to a person: that is a consultation.
    async fn load(&self, ids: &[RecordId]) -> StoreResult<Vec<StoredRecord>>;

    /// As [`Store::load`], each record with its body as JSON text ([`ScannedRecord`]): for
    /// a process that decodes each body once, straight into its type, and goes on past one
    /// that does not read as its kind (the search index following the store). Both leave
    /// out a row whose classification column was altered; `load` also leaves out a body
    /// that is not JSON at all (SQLite), which this returns for its reader to refuse.
    async fn load_json(&self, ids: &[RecordId]) -> StoreResult<Vec<ScannedRecord>>;

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

    /// How many current records of each kind there are, whoever may see them (for metrics
    /// and operators, never shown to a user: see [`Store::count`]).
    async fn counts(&self) -> StoreResult<Counts>;

    /// How many records a list query (with its visibility) would find, counted up to
    /// [`COUNT_CAP`]; the flag says whether the count is exact. Shows no record, so it is not
    /// a consultation.
    async fn count(&self, query: &ListQuery) -> StoreResult<(u64, bool)>;

    /// Checks the database answers (for `/readyz`).
    async fn ping(&self) -> StoreResult<()>;

    /// Applies directory writes (users, sessions) and their audit entry atomically. A user
    /// put at a stale version is refused with [`StoreError::Conflict`]-like
    /// [`StoreError::Constraint`] naming the user; a new user whose name is taken likewise.
    async fn directory_apply(&self, change: DirectoryChange) -> StoreResult<DirectoryOutcome>;

    /// A user account by name (for sign-in and administration; not a consultation of a
    /// record).
    async fn user(&self, username: &bluelamp_domain::Username) -> StoreResult<Option<UserAccount>>;

    /// Every user account, ordered by user name.
    async fn users(&self) -> StoreResult<Vec<UserAccount>>;

    /// A session or API token by the hash of its secret, whether or not it has ended.
    async fn session(&self, id_hash: &str) -> StoreResult<Option<Session>>;

    /// Up to `limit` committed audit records that have no place in the Merkle log yet and
    /// can be given one now (no earlier record can still commit), oldest first.
    async fn audit_unsequenced(&self, limit: u32) -> StoreResult<Vec<AuditRow>>;

    /// Appends leaves (consecutive, continuing the log) and the checkpoint that covers them,
    /// atomically. Fails if another checkpointer took those positions first.
    async fn audit_append(
        &self,
        leaves: Vec<LeafRow>,
        checkpoint: CheckpointRow,
    ) -> StoreResult<()>;

    /// Every checkpoint, smallest first.
    async fn audit_checkpoints(&self) -> StoreResult<Vec<CheckpointRow>>;

    /// Leaves from `from_index` on, each with the audit record at its `seq` if there is one.
    async fn audit_leaves(
        &self,
        from_index: i64,
        limit: u32,
    ) -> StoreResult<Vec<(LeafRow, Option<AuditRow>)>>;

    /// The seqs of audit records with no leaf whose seq is below `below_seq` (records that
    /// appeared inside the part of the log already sequenced), up to `limit`.
    async fn audit_unsequenced_before(&self, below_seq: i64, limit: u32) -> StoreResult<Vec<i64>>;

    /// The next number in a human reference series (custody numbers per station and year,
    /// later crime reference numbers): 1 the first time `scope` is asked for, then one more
    /// each time, never the same number twice, durable once returned. A number taken by a
    /// change that then fails is not reused (a gap, as with paper registers).
    async fn next_reference(&self, scope: &str) -> StoreResult<i64>;

    /// Audit records matching every filter of `query`, newest first, at most `query.limit`.
    /// Every record that has its place in the Merkle log is searchable; an adapter may also
    /// return records not yet sequenced (PostgreSQL does, SQLite does not, so that indexing
    /// stays off the write path). Reading the trail is itself audited by the caller.
    async fn audit_search(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRow>>;

    /// Break-glass requests matching the filter, newest first (at most 1,000).
    async fn grants(&self, filter: &GrantFilter) -> StoreResult<Vec<AccessGrant>>;

    /// Duplicate candidates with this status, highest score first, at most `limit`.
    async fn duplicate_candidates(
        &self,
        status: CandidateStatus,
        limit: u32,
    ) -> StoreResult<Vec<DuplicateCandidate>>;

    /// Every candidate pair that names `id`, on either side and whatever its status, highest
    /// score first.
    async fn duplicate_candidates_of(
        &self,
        id: bluelamp_domain::RecordId,
    ) -> StoreResult<Vec<DuplicateCandidate>>;

    /// Up to `limit` active records of `kind` after `after` in id order: how system
    /// processes read everything, page by page (those that only decode the bodies into
    /// their own types, or not at all, use [`Store::scan_json`]). Not a consultation: the
    /// process audits what it does with them.
    async fn scan(
        &self,
        kind: RecordKind,
        after: Option<RecordId>,
        limit: u32,
    ) -> StoreResult<Vec<StoredRecord>>;

    /// As [`Store::scan`], each record with its body as JSON text ([`ScannedRecord`]): for
    /// a process that decodes every body of a kind straight into its type (a reindex, a
    /// duplicate scan), which is most of the cost of reading them.
    async fn scan_json(
        &self,
        kind: RecordKind,
        after: Option<RecordId>,
        limit: u32,
    ) -> StoreResult<Vec<ScannedRecord>>;

    /// The links in force with one of `roles` whose `end` is one of `ids`, in id order:
    /// what the search index reads to give a person the addresses and numbers they are
    /// linked to. Like [`Store::load`], for the application's own processes, never shown to
    /// a person as it stands.
    async fn links_at(
        &self,
        end: LinkEnd,
        ids: &[RecordId],
        roles: &[&str],
    ) -> StoreResult<Vec<ScannedRecord>>;
}
