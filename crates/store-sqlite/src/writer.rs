//! Group commit. SQLite allows one writer at a time, and with `synchronous=FULL` every commit
//! waits for an fsync; committing each change (and each consultation's audit row) on its own
//! would cap the whole system at the disk's fsync rate. So one task owns the write
//! connection: it takes every job waiting in its queue, runs each inside its own SAVEPOINT (a
//! job that fails is rolled back alone, nothing half written), commits them all with one
//! fsync, and only then tells each caller its outcome. Nobody is told "done" before the data
//! is durable; if the commit fails, everyone in the group is told it failed.

use crate::SqliteStore;
use crate::rows::{json_text, unavailable};
use bluelamp_domain::AuditEntry;
use bluelamp_store::{
    Change, DirectoryChange, DirectoryOutcome, StoreError, StoreResult, StoredRecord,
};
use sqlx::sqlite::SqliteConnection;
use sqlx::{Connection, Sqlite, Transaction};
use tokio::sync::{mpsc, oneshot};

/// The most jobs committed together. Bounded so one commit's latency stays small.
const MAX_GROUP: usize = 256;

/// A change with its JSON already written out. The caller's task does that before queueing
/// (`Prepared::new`), so the one writer spends its time in SQLite, and a loader with a
/// second batch in flight encodes it while the first is written.
pub(crate) struct Prepared {
    pub change: Change,
    /// The marking and body text of each `WriteOp::Insert`, in the order of the ops.
    pub inserts: std::collections::VecDeque<(String, String)>,
    /// The payload text of each outbox event, in order.
    pub events: Vec<String>,
    /// The content hash of each inserted record, for its audit subject.
    pub hashes: std::collections::HashMap<bluelamp_domain::RecordId, String>,
}

impl Prepared {
    pub(crate) fn new(change: Change) -> StoreResult<Self> {
        let mut inserts = std::collections::VecDeque::new();
        let mut hashes = std::collections::HashMap::new();
        for op in &change.ops {
            if let bluelamp_store::WriteOp::Insert(new) = op {
                inserts.push_back((json_text(&new.marking)?, json_text(&new.body)?));
                hashes.insert(new.id, bluelamp_store::support::new_record_hash(new)?);
            }
        }
        let events = change
            .events
            .iter()
            .map(|e| json_text(&e.payload))
            .collect::<StoreResult<_>>()?;
        Ok(Self {
            change,
            inserts,
            events,
            hashes,
        })
    }
}

/// An audit entry with its JSON already written out by the caller's task.
pub(crate) struct PreparedAudit {
    pub entry: AuditEntry,
    pub subjects: String,
    pub details: String,
}

impl PreparedAudit {
    pub(crate) fn new(entry: AuditEntry) -> StoreResult<Self> {
        Ok(Self {
            subjects: json_text(&entry.subjects)?,
            details: json_text(&entry.details)?,
            entry,
        })
    }
}

/// The most consultations' audit rows written by one statement (13 values each, well
/// within SQLite's limit on bound values).
const AUDIT_ROWS_PER_INSERT: usize = 256;

enum Work {
    Apply(Box<Prepared>),
    Audit(Box<PreparedAudit>),
    Delivered(Vec<i64>),
    Prune(String),
    Directory(Box<DirectoryChange>),
    NextReference(String),
    AuditAppend(
        Vec<bluelamp_store::LeafRow>,
        Box<bluelamp_store::CheckpointRow>,
    ),
}

enum Done {
    Records(Vec<StoredRecord>),
    Count(u64),
    Directory(DirectoryOutcome),
    Nothing,
}

struct Job {
    work: Work,
    reply: oneshot::Sender<StoreResult<Done>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task, which owns `conn` (the only connection that writes). It
    /// stops, closing the connection, when the last handle to the store is dropped.
    pub(crate) fn spawn(conn: SqliteConnection) -> Self {
        let (queue, rx) = mpsc::channel(4 * MAX_GROUP);
        tokio::spawn(run(conn, rx));
        Self { queue }
    }

    async fn submit(&self, work: Work) -> StoreResult<Done> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { work, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the database writer has stopped".into()))?;
        answer.await.map_err(|_| {
            StoreError::Unavailable("the database writer stopped before answering".into())
        })?
    }

    pub(crate) async fn apply(&self, change: Change) -> StoreResult<Vec<StoredRecord>> {
        let prepared = Box::new(Prepared::new(change)?);
        match self.submit(Work::Apply(prepared)).await? {
            Done::Records(r) => Ok(r),
            Done::Count(_) | Done::Directory(_) | Done::Nothing => Ok(Vec::new()),
        }
    }

    pub(crate) async fn prune_outbox(&self, before: String) -> StoreResult<u64> {
        match self.submit(Work::Prune(before)).await? {
            Done::Count(n) => Ok(n),
            Done::Records(_) | Done::Directory(_) | Done::Nothing => Ok(0),
        }
    }

    pub(crate) async fn directory(&self, change: DirectoryChange) -> StoreResult<DirectoryOutcome> {
        match self.submit(Work::Directory(Box::new(change))).await? {
            Done::Directory(d) => Ok(d),
            Done::Records(_) | Done::Count(_) | Done::Nothing => Ok(DirectoryOutcome::default()),
        }
    }

    pub(crate) async fn audit_append(
        &self,
        leaves: Vec<bluelamp_store::LeafRow>,
        cp: bluelamp_store::CheckpointRow,
    ) -> StoreResult<()> {
        self.submit(Work::AuditAppend(leaves, Box::new(cp)))
            .await
            .map(|_| ())
    }

    pub(crate) async fn next_reference(&self, scope: String) -> StoreResult<i64> {
        match self.submit(Work::NextReference(scope)).await? {
            Done::Count(n) => i64::try_from(n)
                .map_err(|_| StoreError::Internal("a reference series overflowed".into())),
            Done::Records(_) | Done::Directory(_) | Done::Nothing => Err(StoreError::Internal(
                "the writer answered a reference request with something else".into(),
            )),
        }
    }

    pub(crate) async fn audit(&self, entry: PreparedAudit) -> StoreResult<()> {
        self.submit(Work::Audit(Box::new(entry))).await.map(|_| ())
    }

    pub(crate) async fn mark_delivered(&self, seqs: Vec<i64>) -> StoreResult<()> {
        self.submit(Work::Delivered(seqs)).await.map(|_| ())
    }
}

async fn run(mut conn: SqliteConnection, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        commit_group(&mut conn, jobs).await;
    }
}

async fn exec(tx: &mut Transaction<'_, Sqlite>, sql: &str) -> StoreResult<()> {
    sqlx::query(sql)
        .execute(&mut **tx)
        .await
        .map(|_| ())
        .map_err(unavailable)
}

async fn run_one(tx: &mut Transaction<'_, Sqlite>, work: Work) -> StoreResult<Done> {
    match work {
        Work::Apply(prepared) => SqliteStore::apply_in(tx, *prepared)
            .await
            .map(Done::Records),
        // `commit_group` writes audit rows itself, in runs (`audit_run`).
        Work::Audit(_) => Err(StoreError::Internal(
            "an audit row reached the one-job path".into(),
        )),
        Work::Delivered(seqs) => SqliteStore::mark_delivered_in(tx, &seqs)
            .await
            .map(|_| Done::Nothing),
        Work::Prune(before) => SqliteStore::prune_outbox_in(tx, &before)
            .await
            .map(Done::Count),
        Work::Directory(change) => SqliteStore::directory_in(tx, *change)
            .await
            .map(Done::Directory),
        Work::NextReference(scope) => {
            let n: i64 = sqlx::query_scalar(
                "INSERT INTO reference_counters (scope, last) VALUES (?, 1) \
                 ON CONFLICT (scope) DO UPDATE SET last = last + 1 RETURNING last",
            )
            .bind(scope)
            .fetch_one(&mut **tx)
            .await
            .map_err(unavailable)?;
            u64::try_from(n)
                .map(Done::Count)
                .map_err(|_| StoreError::Internal("a reference counter is negative".into()))
        }
        Work::AuditAppend(leaves, cp) => SqliteStore::audit_append_in(tx, leaves, *cp)
            .await
            .map(|_| Done::Nothing),
    }
}

async fn commit_group(conn: &mut SqliteConnection, jobs: Vec<Job>) {
    let mut tx = match conn.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(e) => {
            let e = unavailable(e);
            for job in jobs {
                let _ = job.reply.send(Err(StoreError::Unavailable(e.to_string())));
            }
            return;
        }
    };
    let mut outcomes = Vec::with_capacity(jobs.len());
    // Set when a failed job could not be undone: its half-written rows must not commit.
    let mut poisoned = false;
    let mut jobs = jobs.into_iter().peekable();
    while let Some(job) = jobs.next() {
        match job.work {
            // Consultations' audit rows, the commonest job by far: a run of them queued
            // together goes in one statement instead of three (savepoint, insert, release)
            // each.
            Work::Audit(first) => {
                let mut run = vec![(*first, job.reply)];
                while run.len() < AUDIT_ROWS_PER_INSERT
                    && let Some(Job {
                        work: Work::Audit(next),
                        reply,
                    }) = jobs.next_if(|j| matches!(j.work, Work::Audit(_)))
                {
                    run.push((*next, reply));
                }
                poisoned |= audit_run(&mut tx, run, &mut outcomes).await;
            }
            work => {
                let (result, fatal) = in_savepoint(&mut tx, work).await;
                poisoned |= fatal;
                outcomes.push((job.reply, result));
            }
        }
        if poisoned {
            // The transaction may be gone: a job run now could commit on its own. The rest
            // are not run, and every job in the group is told nothing was committed.
            outcomes
                .extend(jobs.map(|j| (j.reply, Err(StoreError::Unavailable("not run".into())))));
            break;
        }
    }
    if poisoned {
        let _ = tx.rollback().await;
        return fail_all(
            outcomes,
            "something in the same commit failed and could not be undone, so none of it was committed",
        );
    }
    match tx.commit().await {
        Ok(()) => {
            for (reply, result) in outcomes {
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            // Nothing in the group is durable: every caller is told so.
            tracing::error!(error = %e, "group commit failed");
            fail_all(outcomes, &format!("the commit failed: {e}"));
        }
    }
}

/// Runs one job within its own savepoint, so that if it fails it is undone alone. The flag
/// is true when it failed and could not be undone: then nothing in the group may commit.
async fn in_savepoint(tx: &mut Transaction<'_, Sqlite>, work: Work) -> (StoreResult<Done>, bool) {
    if let Err(e) = exec(tx, "SAVEPOINT job").await {
        return (Err(e), false);
    }
    match run_one(tx, work).await {
        Ok(done) => (exec(tx, "RELEASE job").await.map(|_| done), false),
        Err(e) => {
            // Undo this job only; the others in the group are unaffected.
            let undone = exec(tx, "ROLLBACK TO job").await;
            let released = exec(tx, "RELEASE job").await;
            match undone.and(released) {
                Ok(()) => (Err(e), false),
                Err(fatal) => {
                    tracing::error!(error = %fatal, "could not roll back a failed change; the whole group is abandoned");
                    (Err(e), true)
                }
            }
        }
    }
}

/// Writes a run of audit rows with one statement, without a savepoint: a statement is all
/// or nothing. A row SQLite refuses (a constraint) undoes only that statement, so the rows
/// are then written one by one and only the bad one fails its consultation. Any other
/// failure may have ended the transaction, so the group is abandoned. Returns the same flag
/// as [`in_savepoint`].
async fn audit_run(
    tx: &mut Transaction<'_, Sqlite>,
    run: Vec<(PreparedAudit, oneshot::Sender<StoreResult<Done>>)>,
    outcomes: &mut Vec<(oneshot::Sender<StoreResult<Done>>, StoreResult<Done>)>,
) -> bool {
    let (entries, replies): (Vec<_>, Vec<_>) = run.into_iter().unzip();
    let refused = match SqliteStore::insert_audits(tx, &entries).await {
        Ok(()) => {
            outcomes.extend(replies.into_iter().map(|r| (r, Ok(Done::Nothing))));
            return false;
        }
        Err(e) if is_refusal(&e) => e,
        Err(e) => {
            tracing::error!(error = %e, "could not write audit rows; the whole group is abandoned");
            let why = e.to_string();
            outcomes.extend(
                replies
                    .into_iter()
                    .map(|r| (r, Err(StoreError::Unavailable(why.clone())))),
            );
            return true;
        }
    };
    if entries.len() > 1 {
        tracing::warn!(error = %refused, rows = entries.len(), "a run of audit rows was refused; writing them one by one");
    }
    let mut poisoned = false;
    for (entry, reply) in entries.iter().zip(replies) {
        let result = match SqliteStore::insert_audits(tx, [entry]).await {
            Ok(()) => Ok(Done::Nothing),
            Err(e) => {
                poisoned |= !is_refusal(&e);
                Err(StoreError::Internal(format!(
                    "the consultation's audit record could not be written: {e}"
                )))
            }
        };
        outcomes.push((reply, result));
    }
    poisoned
}

/// Whether SQLite refused a statement's rows (a constraint), which undoes that statement
/// alone and leaves the transaction open.
fn is_refusal(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if matches!(
        db.kind(),
        sqlx::error::ErrorKind::UniqueViolation
            | sqlx::error::ErrorKind::ForeignKeyViolation
            | sqlx::error::ErrorKind::NotNullViolation
            | sqlx::error::ErrorKind::CheckViolation
    ))
}

/// Tells everyone in a group that nothing of it was committed.
fn fail_all(outcomes: Vec<(oneshot::Sender<StoreResult<Done>>, StoreResult<Done>)>, why: &str) {
    for (reply, _) in outcomes {
        let _ = reply.send(Err(StoreError::Unavailable(why.to_string())));
    }
}
