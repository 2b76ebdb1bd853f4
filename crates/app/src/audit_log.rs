//! The audit trail's Merkle log: the checkpointer that gives each committed audit record its
//! place in the log and signs the tree head, and the verifier and prover behind `bluelamp
//! audit verify` and `bluelamp audit prove`; and the check behind `bluelamp audit records`,
//! that the records themselves hold what the trail says was written to them.
//!
//! Leaf hashes are always computed from the records as the store returns them (never from
//! the in-memory entry), so what is hashed is exactly what verification reads back.

use crate::AppError;
use base64::Engine;
use bluelamp_audit::VerifyingKey;
use bluelamp_audit::canonical::record_bytes;
use bluelamp_audit::checkpoint::{Checkpoint, Signer};
use bluelamp_audit::merkle::{self, Frontier, Hash};
use bluelamp_domain::{Clock, RecordId, Version};
use bluelamp_store::{AuditRow, CheckpointRow, LeafRow, Store};
use jiff::SignedDuration;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::sync::Mutex;

/// When to sign a checkpoint: after this many new records, or once the oldest record waiting
/// is this old.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointPolicy {
    pub every_records: usize,
    pub every: SignedDuration,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        Self {
            every_records: 1000,
            every: SignedDuration::from_secs(10),
        }
    }
}

/// Records sequenced per round at most.
const BATCH: u32 = 10_000;

fn leaf_of(row: &AuditRow) -> Hash {
    merkle::leaf_hash(&record_bytes(row.seq, &row.entry))
}

fn unhex(s: &str) -> Option<Hash> {
    hex::decode(s).ok()?.try_into().ok()
}

/// The checkpointer and the tools over the log.
#[derive(Clone)]
pub struct AuditLog {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    signer: Arc<Signer>,
    policy: CheckpointPolicy,
    /// The tree as of the last checkpoint this process knows of.
    state: Arc<Mutex<Option<Frontier>>>,
}

impl AuditLog {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        signer: Arc<Signer>,
        policy: CheckpointPolicy,
    ) -> Self {
        Self {
            store,
            clock,
            signer,
            policy,
            state: Arc::new(Mutex::new(None)),
        }
    }

    pub fn public_key(&self) -> VerifyingKey {
        self.signer.public_key()
    }

    async fn frontier(&self) -> Result<Frontier, AppError> {
        let last = self.store.audit_checkpoints().await?.pop();
        match last {
            None => Ok(Frontier::new()),
            Some(cp) => Frontier::from_json(&cp.frontier).ok_or_else(|| {
                AppError::Internal(format!(
                    "the checkpoint at size {} has an unreadable frontier",
                    cp.tree_size
                ))
            }),
        }
    }

    /// Sequences the records waiting and signs a checkpoint over them, if the policy says
    /// it is time (or `force`). Returns the new checkpoint.
    pub async fn checkpoint_round(&self, force: bool) -> Result<Option<Checkpoint>, AppError> {
        let mut guard = self.state.lock().await;
        let rows = self.store.audit_unsequenced(BATCH).await?;
        let Some(oldest) = rows.first() else {
            return Ok(None);
        };
        let now = self.clock.now();
        let due = rows.len() >= self.policy.every_records
            || now.duration_since(oldest.entry.at) >= self.policy.every;
        if !force && !due {
            return Ok(None);
        }
        let mut frontier = match guard.take() {
            Some(f) => f,
            None => self.frontier().await?,
        };
        let start = frontier.size();
        let mut leaves = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let leaf = leaf_of(row);
            frontier.push(leaf);
            leaves.push(LeafRow {
                leaf_index: i64::try_from(start + i as u64).unwrap_or(i64::MAX),
                seq: row.seq,
                leaf_hash: hex::encode(leaf),
            });
        }
        let cp = self.signer.sign(frontier.size(), frontier.root(), now);
        let row = CheckpointRow {
            tree_size: i64::try_from(cp.tree_size).unwrap_or(i64::MAX),
            root: hex::encode(cp.root),
            at: cp.at,
            key_id: cp.key_id.clone(),
            signature: base64::engine::general_purpose::STANDARD.encode(cp.signature),
            frontier: frontier.to_json(),
        };
        match self.store.audit_append(leaves, row).await {
            Ok(()) => {
                *guard = Some(frontier);
                Ok(Some(cp))
            }
            Err(e) => {
                // Another checkpointer may have taken these positions: start again from
                // what the store holds.
                *guard = None;
                Err(e.into())
            }
        }
    }

    /// Runs checkpoint rounds every second (at once again while a backlog remains) until
    /// told to stop, then a last one.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut pause = std::time::Duration::from_secs(1);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stop.wait_for(|s| *s) => break,
            }
            pause = match self.checkpoint_round(false).await {
                // Something was appended: look again at once in case a backlog remains.
                Ok(Some(_)) => std::time::Duration::ZERO,
                Ok(None) => std::time::Duration::from_secs(1),
                Err(e) => {
                    tracing::error!(error = %e, "audit checkpoint failed");
                    std::time::Duration::from_secs(1)
                }
            };
        }
        if let Err(e) = self.checkpoint_round(true).await {
            tracing::error!(error = %e, "final audit checkpoint failed");
        }
    }

    /// Every leaf hash as stored, in order, up to `size`.
    async fn stored_leaves(&self, size: u64) -> Result<Vec<(LeafRow, Option<AuditRow>)>, AppError> {
        let mut out = Vec::new();
        while (out.len() as u64) < size {
            let page = self.store.audit_leaves(out.len() as i64, 10_000).await?;
            if page.is_empty() {
                break;
            }
            out.extend(page);
        }
        out.truncate(usize::try_from(size).unwrap_or(usize::MAX));
        Ok(out)
    }
}

/// What `bluelamp audit verify` found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifyReport {
    pub records: u64,
    pub checkpoints: usize,
    /// Every problem found, in log order; the first names the first tampered record.
    pub problems: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Recomputes the log from the audit records and checks every checkpoint against it and
/// against `key`.
pub async fn verify(store: &dyn Store, key: &VerifyingKey) -> Result<VerifyReport, AppError> {
    let checkpoints = store.audit_checkpoints().await?;
    let mut report = VerifyReport {
        checkpoints: checkpoints.len(),
        ..Default::default()
    };
    let mut next_cp = checkpoints.iter().peekable();
    let mut frontier = Frontier::new();
    let mut prev_size = 0i64;
    let mut max_seq = 0i64;
    let mut expected = 0i64;
    loop {
        let page = store.audit_leaves(expected, 10_000).await?;
        if page.is_empty() {
            break;
        }
        for (leaf, row) in page {
            if leaf.leaf_index != expected {
                report.problems.push(format!(
                    "log positions {expected} to {} are missing: their leaves were deleted",
                    leaf.leaf_index - 1
                ));
                for _ in expected..leaf.leaf_index {
                    frontier.push([0; 32]);
                }
            }
            expected = leaf.leaf_index + 1;
            max_seq = max_seq.max(leaf.seq);
            let hash = match &row {
                None => {
                    report.problems.push(format!(
                        "audit record {} (log position {}) has been deleted",
                        leaf.seq, leaf.leaf_index
                    ));
                    unhex(&leaf.leaf_hash).unwrap_or([0; 32])
                }
                Some(r) => {
                    let h = leaf_of(r);
                    if hex::encode(h) != leaf.leaf_hash {
                        report.problems.push(format!(
                            "audit record {} (log position {}) has been altered or moved",
                            leaf.seq, leaf.leaf_index
                        ));
                    }
                    h
                }
            };
            frontier.push(hash);
            report.records += 1;
            while let Some(cp) = next_cp.peek() {
                if cp.tree_size as u64 != frontier.size() {
                    break;
                }
                check_checkpoint(cp, &frontier, prev_size, key, &mut report);
                prev_size = cp.tree_size;
                next_cp.next();
            }
        }
    }
    if let Some(cp) = next_cp.next() {
        report.problems.push(format!(
            "the log has been truncated: a signed checkpoint covers {} records but only {} remain",
            cp.tree_size,
            frontier.size()
        ));
    }
    let inserted = store.audit_unsequenced_before(max_seq, 20).await?;
    for seq in inserted {
        report.problems.push(format!(
            "audit record {seq} was inserted into the part of the log already sequenced"
        ));
    }
    Ok(report)
}

fn check_checkpoint(
    cp: &CheckpointRow,
    frontier: &Frontier,
    prev_size: i64,
    key: &VerifyingKey,
    report: &mut VerifyReport,
) {
    let root = frontier.root();
    let sig: Option<[u8; 64]> = base64::engine::general_purpose::STANDARD
        .decode(&cp.signature)
        .ok()
        .and_then(|b| b.try_into().ok());
    let signed = sig.is_some_and(|signature| {
        unhex(&cp.root).is_some_and(|stored_root| {
            Checkpoint {
                tree_size: cp.tree_size as u64,
                root: stored_root,
                at: cp.at,
                key_id: cp.key_id.clone(),
                signature,
            }
            .verify(key)
        })
    });
    if !signed {
        report.problems.push(format!(
            "the checkpoint at {} records is not signed by this deployment's key (forged or altered)",
            cp.tree_size
        ));
    } else if hex::encode(root) != cp.root {
        report.problems.push(format!(
            "the checkpoint at {} records does not match the log: a record at log position {} to {} was changed and re-hashed",
            cp.tree_size,
            prev_size,
            cp.tree_size - 1
        ));
    }
}

/// What `bluelamp audit records` found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordsReport {
    /// Records whose version and content are those the trail's last write of them names.
    pub checked: u64,
    /// Active records the trail names no content for, all created before the trail began
    /// keeping content hashes (so written by an earlier version of Bluelamp, or put in by
    /// hand with an old date). The first few ids are in `unvouched_ids`.
    pub unvouched: u64,
    pub unvouched_ids: Vec<RecordId>,
    /// Every record that differs from what the trail says was written, or that was created
    /// since the trail began keeping content hashes with no write of it in the trail.
    pub problems: Vec<String>,
}

impl RecordsReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The last version of each record the trail names with a content hash, sorted by record.
struct Written {
    last: Vec<(RecordId, Version, Hash)>,
    /// When the trail's first audit record with a content hash was made.
    hashed_since: Option<jiff::Timestamp>,
}

impl Written {
    /// Reads the whole trail, keeping the writes of `only` when given. A page is 50 audit
    /// records: one bulk load's record can name thousands of versions.
    async fn read(
        store: &dyn Store,
        only: Option<&std::collections::HashSet<RecordId>>,
    ) -> Result<Self, AppError> {
        let mut all: Vec<(RecordId, Version, Hash)> = Vec::new();
        let mut hashed_since = None;
        let mut after = 0i64;
        loop {
            let page = store.audit_entries(after, 50).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.seq;
            for row in &page {
                for s in &row.entry.subjects {
                    let Some(hash) = s.content.as_deref().and_then(unhex) else {
                        continue;
                    };
                    hashed_since = Some(
                        hashed_since.map_or(row.entry.at, |t: jiff::Timestamp| t.min(row.entry.at)),
                    );
                    if only.is_none_or(|o| o.contains(&s.id)) {
                        all.push((s.id, s.version, hash));
                    }
                }
            }
        }
        // Stable, so of two writes of the same version (there are none) the later is kept:
        // `dedup_by` keeps the first of a run, here given the last's value.
        all.sort_by_key(|(id, version, _)| (id.0, *version));
        all.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                *kept = *later;
            }
            same
        });
        let last = all;
        Ok(Self { last, hashed_since })
    }

    fn get(&self, id: &RecordId) -> Option<&(RecordId, Version, Hash)> {
        self.last
            .binary_search_by_key(&id.0, |(i, _, _)| i.0)
            .ok()
            .and_then(|i| self.last.get(i))
    }
}

/// The records of `ids` as loaded, and why each that cannot be read cannot: a row changed
/// by hand into something that is not JSON (which every other read leaves out) is named
/// here rather than reported as missing. Bodies are read as text and decoded here.
async fn load_readable(
    store: &dyn Store,
    ids: &[RecordId],
) -> Result<
    (
        std::collections::HashMap<RecordId, bluelamp_store::StoredRecord>,
        std::collections::HashMap<RecordId, String>,
    ),
    AppError,
> {
    let mut found = std::collections::HashMap::new();
    let mut unreadable = std::collections::HashMap::new();
    for rec in store.load_json(ids).await? {
        match serde_json::from_str(&rec.body) {
            Ok(body) => {
                found.insert(rec.id, rec.map_body(|_| body));
            }
            Err(e) => {
                unreadable.insert(rec.id, format!("its body is not JSON: {e}"));
            }
        }
    }
    Ok((found, unreadable))
}

/// What is wrong with each of `ids` against `written`, if anything; and how many are right.
async fn compare(
    store: &dyn Store,
    ids: &[RecordId],
    written: &Written,
) -> Result<(Vec<(RecordId, String)>, u64), AppError> {
    let mut wrong = Vec::new();
    let mut right = 0u64;
    for chunk in ids.chunks(500) {
        let (found, unreadable) = load_readable(store, chunk).await?;
        for id in chunk {
            if let Some(why) = unreadable.get(id) {
                wrong.push((
                    *id,
                    format!("record {id} cannot be read ({why}): it was changed outside Bluelamp"),
                ));
                continue;
            }
            let rec = found.get(id);
            let Some((_, version, hash)) = written.get(id) else {
                // Loaded because it is new and the trail named no write of it.
                if let Some(rec) = rec {
                    wrong.push((*id, format!(
                        "record {id} ({}, created {}) was put into the database outside Bluelamp: the audit trail has no write of it",
                        rec.kind.as_str(),
                        rec.created_at
                    )));
                }
                continue;
            };
            match rec {
                // The store leaves out a row whose classification column was altered.
                None => wrong.push((*id, format!(
                    "record {id} is missing or left out: the audit trail's last write of it is version {version}, so it was deleted, or its classification column altered, outside Bluelamp"
                ))),
                Some(rec) if rec.version != *version => wrong.push((*id, format!(
                    "record {id} is at version {} but the audit trail's last write of it is version {version}: its version was changed outside Bluelamp",
                    rec.version
                ))),
                Some(rec) => {
                    if bluelamp_store::support::content_hash(rec)? == hex::encode(hash) {
                        right += 1;
                    } else {
                        wrong.push((*id, format!(
                            "record {id} (version {version}) does not hold what was written to it: it was changed outside Bluelamp"
                        )));
                    }
                }
            }
        }
    }
    Ok((wrong, right))
}

/// Checks every record the audit trail names a written version of against the hash of its
/// content kept in that audit record (the last write wins): a record changed, rolled back,
/// moved to another version or deleted by anything but Bluelamp's own writes is reported,
/// and so is an active record created since the trail began keeping hashes that no write
/// in the trail accounts for. A record written while the check runs can look wrong, so
/// whatever looks wrong is checked once more against the trail read again. The trail
/// itself is trusted here; `verify` is what shows it has not been altered. Holds 56 bytes
/// per version written in memory.
pub async fn check_records(store: &dyn Store) -> Result<RecordsReport, AppError> {
    check_records_interleaved(store, async || {}).await
}

/// [`check_records`], running `meanwhile` between reading the trail and reading the
/// records: where writes by others land in a real run (tests use it to put them there).
pub async fn check_records_interleaved(
    store: &dyn Store,
    meanwhile: impl AsyncFnOnce(),
) -> Result<RecordsReport, AppError> {
    use bluelamp_domain::RecordKind;
    let written = Written::read(store, None).await?;
    meanwhile().await;
    let mut report = RecordsReport::default();
    let ids: Vec<RecordId> = written.last.iter().map(|(id, _, _)| *id).collect();
    let (mut suspects, right) = compare(store, &ids, &written).await?;
    report.checked = right;
    for kind in RecordKind::ALL {
        let mut after = None;
        loop {
            // Ids and creation times only: the bodies are left as text, unread (and one
            // changed by hand into something that is not JSON does not stop the check).
            let page = store.scan_json(kind, after, 5_000).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = Some(last.id);
            for rec in page.iter().filter(|r| written.get(&r.id).is_none()) {
                if written.hashed_since.is_some_and(|t| rec.created_at >= t) {
                    suspects.push((rec.id, String::new()));
                } else {
                    report.unvouched += 1;
                    if report.unvouched_ids.len() < 20 {
                        report.unvouched_ids.push(rec.id);
                    }
                }
            }
        }
    }
    // Again, with the trail as it is now, while what looks wrong keeps changing: a write
    // committed since the last read (or, on PostgreSQL, committed late with an earlier
    // sequence number) is then seen. Three looks at most.
    let mut looks = 0;
    while !suspects.is_empty() && looks < 3 {
        looks += 1;
        let only: std::collections::HashSet<RecordId> =
            suspects.iter().map(|(id, _)| *id).collect();
        let again = Written::read(store, Some(&only)).await?;
        let mut ids: Vec<RecordId> = only.into_iter().collect();
        ids.sort_by_key(|id| id.0);
        let (wrong, right) = compare(store, &ids, &again).await?;
        report.checked += right;
        let settled =
            wrong.len() == suspects.len() && wrong.iter().zip(&suspects).all(|(a, b)| a.0 == b.0);
        suspects = wrong;
        suspects.sort_by_key(|(id, _)| id.0);
        if settled {
            break;
        }
    }
    report.problems = suspects.into_iter().map(|(_, why)| why).collect();
    Ok(report)
}

/// An inclusion proof of audit record `seq` against the latest checkpoint, as JSON that
/// `docs/audit/verify_proof.py` checks.
pub async fn prove_inclusion(log: &AuditLog, seq: i64) -> Result<Value, AppError> {
    let Some(cp) = log.store.audit_checkpoints().await?.pop() else {
        return Err(AppError::Invalid(
            bluelamp_domain::ValidationErrors::single("seq", "No checkpoint has been signed yet"),
        ));
    };
    let leaves = log.stored_leaves(cp.tree_size as u64).await?;
    let hashes: Vec<Hash> = leaves
        .iter()
        .map(|(l, _)| unhex(&l.leaf_hash).unwrap_or([0; 32]))
        .collect();
    let Some(index) = leaves.iter().position(|(l, _)| l.seq == seq) else {
        return Err(AppError::Invalid(
            bluelamp_domain::ValidationErrors::single(
                "seq",
                format!("Audit record {seq} is not covered by the latest checkpoint"),
            ),
        ));
    };
    let proof = merkle::inclusion_proof(&hashes, index).unwrap_or_default();
    Ok(json!({
        "type": "inclusion",
        "seq": seq,
        "leaf_index": index,
        "leaf_hash": hex::encode(hashes[index]),
        "tree_size": cp.tree_size,
        "root": cp.root,
        "proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
        "checkpoint": checkpoint_note(&cp),
    }))
}

/// A consistency proof between two checkpoints (by their sizes).
pub async fn prove_consistency(log: &AuditLog, from: i64, to: i64) -> Result<Value, AppError> {
    let cps = log.store.audit_checkpoints().await?;
    let find = |size: i64, field: &str| {
        cps.iter()
            .find(|c| c.tree_size == size)
            .cloned()
            .ok_or_else(|| {
                AppError::Invalid(bluelamp_domain::ValidationErrors::single(
                    field,
                    format!("No checkpoint covers exactly {size} records"),
                ))
            })
    };
    let (a, b) = (find(from, "from_size")?, find(to, "to_size")?);
    if a.tree_size > b.tree_size {
        return Err(AppError::Invalid(
            bluelamp_domain::ValidationErrors::single(
                "from_size",
                "The first checkpoint must be the smaller",
            ),
        ));
    }
    let leaves = log.stored_leaves(b.tree_size as u64).await?;
    let hashes: Vec<Hash> = leaves
        .iter()
        .map(|(l, _)| unhex(&l.leaf_hash).unwrap_or([0; 32]))
        .collect();
    let proof = merkle::consistency_proof(&hashes, a.tree_size as usize).unwrap_or_default();
    Ok(json!({
        "type": "consistency",
        "from_size": a.tree_size,
        "from_root": a.root,
        "to_size": b.tree_size,
        "to_root": b.root,
        "proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
        "from_checkpoint": checkpoint_note(&a),
        "to_checkpoint": checkpoint_note(&b),
    }))
}

fn checkpoint_note(cp: &CheckpointRow) -> String {
    let root = unhex(&cp.root).unwrap_or([0; 32]);
    format!(
        "{}\n— {} {}\n",
        Checkpoint::body(cp.tree_size as u64, &root, cp.at),
        cp.key_id,
        cp.signature
    )
}
