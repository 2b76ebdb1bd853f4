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
use sqlx::{Sqlite, SqlitePool, Transaction};
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
}

impl Prepared {
    pub(crate) fn new(change: Change) -> StoreResult<Self> {
        let mut inserts = std::collections::VecDeque::new();
        for op in &change.ops {
            if let bluelamp_store::WriteOp::Insert(new) = op {
                inserts.push_back((json_text(&new.marking)?, json_text(&new.body)?));
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
        })
    }
}

enum Work {
    Apply(Box<Prepared>),
    Audit(AuditEntry),
    Delivered(Vec<i64>),
    Prune(String),
    Directory(DirectoryChange),
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

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

impl Writer {
    /// Starts the writer task over `pool` (one connection). It stops when the last handle
    /// to the store is dropped.
    pub(crate) fn spawn(pool: SqlitePool) -> Self {
        let (queue, rx) = mpsc::channel(4 * MAX_GROUP);
        tokio::spawn(run(pool, rx));
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
        match self.submit(Work::Directory(change)).await? {
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

    pub(crate) async fn audit(&self, entry: AuditEntry) -> StoreResult<()> {
        self.submit(Work::Audit(entry)).await.map(|_| ())
    }

    pub(crate) async fn mark_delivered(&self, seqs: Vec<i64>) -> StoreResult<()> {
        self.submit(Work::Delivered(seqs)).await.map(|_| ())
    }
}

async fn run(pool: SqlitePool, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        commit_group(&pool, jobs).await;
    }
}

async fn exec(tx: &mut Transaction<'static, Sqlite>, sql: &str) -> StoreResult<()> {
    sqlx::query(sql)
        .execute(&mut **tx)
        .await
        .map(|_| ())
        .map_err(unavailable)
}

async fn run_one(tx: &mut Transaction<'static, Sqlite>, work: Work) -> StoreResult<Done> {
    match work {
        Work::Apply(prepared) => SqliteStore::apply_in(tx, *prepared)
            .await
            .map(Done::Records),
        Work::Audit(entry) => SqliteStore::insert_audit(tx, &entry)
            .await
            .map(|_| Done::Nothing),
        Work::Delivered(seqs) => SqliteStore::mark_delivered_in(tx, &seqs)
            .await
            .map(|_| Done::Nothing),
        Work::Prune(before) => SqliteStore::prune_outbox_in(tx, &before)
            .await
            .map(Done::Count),
        Work::Directory(change) => SqliteStore::directory_in(tx, change)
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

async fn commit_group(pool: &SqlitePool, jobs: Vec<Job>) {
    let mut tx = match pool.begin_with("BEGIN IMMEDIATE").await {
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
    for job in jobs {
        let result = match exec(&mut tx, "SAVEPOINT job").await {
            Err(e) => Err(e),
            Ok(()) => match run_one(&mut tx, job.work).await {
                Ok(done) => exec(&mut tx, "RELEASE job").await.map(|_| done),
                Err(e) => {
                    // Undo this job only; the others in the group are unaffected.
                    let undone = exec(&mut tx, "ROLLBACK TO job").await;
                    let released = exec(&mut tx, "RELEASE job").await;
                    match undone.and(released) {
                        Ok(()) => Err(e),
                        Err(fatal) => {
                            tracing::error!(error = %fatal, "could not roll back a failed change; the whole group is abandoned");
                            poisoned = true;
                            Err(e)
                        }
                    }
                }
            },
        };
        outcomes.push((job.reply, result));
    }
    if poisoned {
        let _ = tx.rollback().await;
        return fail_all(
            outcomes,
            "a change in the same commit could not be undone, so none was committed",
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

/// Tells everyone in a group that nothing of it was committed.
fn fail_all(outcomes: Vec<(oneshot::Sender<StoreResult<Done>>, StoreResult<Done>)>, why: &str) {
    for (reply, _) in outcomes {
        let _ = reply.send(Err(StoreError::Unavailable(why.to_string())));
    }
}
