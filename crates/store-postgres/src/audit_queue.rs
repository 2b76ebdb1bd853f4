//! Consultations' audit rows, committed together. Every read of a record is audited, and the
//! reader is not answered until its audit row is committed; one transaction per
//! consultation (`BEGIN`, `INSERT`, `COMMIT`: three round trips and a WAL flush each) made
//! an audited read cost four times an unaudited one. So consultations hand their rows to a
//! few workers, each of which takes every row waiting in the queue and writes them with one
//! `INSERT ... SELECT FROM UNNEST(...)`: one statement, its own transaction, one round trip
//! and one WAL flush for the whole group. Nobody is answered before that statement has
//! committed. A change's own audit record is not written here: it stays in the change's
//! transaction.
//!
//! A statement is all or nothing. Should PostgreSQL refuse a group's statement for one of
//! its rows (a duplicate id, a value it cannot store: SQLSTATE classes 23 and 22), nothing
//! of it was written, and the rows are written again one by one so that only the bad row
//! fails its consultation. Any other failure (the connection, the pool, a timeout, a
//! read-only standby) fails the whole group: each caller is told its row was not written.

use crate::rows::{json_value, to_odt, unavailable, write_error};
use bluelamp_domain::AuditEntry;
use bluelamp_store::support::outcome_str;
use bluelamp_store::{StoreError, StoreResult};
use sqlx::PgPool;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

/// The most rows one statement writes.
const MAX_GROUP: usize = 256;
/// Groups written at once. PostgreSQL takes concurrent inserts, so while one group's commit
/// waits for its WAL flush another can be on its way.
const WORKERS: usize = 4;

const INSERT: &str = "INSERT INTO audit_log (id, at, user_id, user_name, action, outcome, \
     service, correlation_id, source_address, user_agent, subjects, details, session_id) \
     SELECT * FROM UNNEST($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], \
     $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::jsonb[], \
     $13::text[])";

/// An audit entry with its JSON built by the caller's task.
struct Row {
    entry: AuditEntry,
    subjects: serde_json::Value,
}

struct Job {
    row: Row,
    reply: oneshot::Sender<StoreResult<()>>,
}

#[derive(Debug, Clone)]
pub(crate) struct AuditQueue {
    queue: mpsc::Sender<Job>,
}

impl AuditQueue {
    /// Starts the workers. They stop when the last handle to the store is dropped.
    pub(crate) fn spawn(pool: PgPool) -> Self {
        let (queue, rx) = mpsc::channel(4 * MAX_GROUP);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..WORKERS {
            tokio::spawn(work(pool.clone(), rx.clone()));
        }
        Self { queue }
    }

    /// Writes `entry` and returns once it is committed.
    pub(crate) async fn commit(&self, entry: AuditEntry) -> StoreResult<()> {
        let row = Row {
            subjects: json_value(&entry.subjects)?,
            entry,
        };
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { row, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the audit writer has stopped".into()))?;
        answer.await.map_err(|_| {
            StoreError::Unavailable("the audit writer stopped before answering".into())
        })?
    }
}

async fn work(pool: PgPool, rx: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let group = {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else {
                return;
            };
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            group
        };
        write_group(&pool, group).await;
    }
}

async fn write_group(pool: &PgPool, group: Vec<Job>) {
    let (rows, replies): (Vec<Row>, Vec<_>) = group.into_iter().map(|j| (j.row, j.reply)).unzip();
    match insert(pool, &rows).await {
        Ok(()) => {
            for reply in replies {
                let _ = reply.send(Ok(()));
            }
        }
        // PostgreSQL refused a value (SQLSTATE class 22, data exception) or a constraint
        // (class 23): the statement, and so every row of it, was rolled back. Write them one
        // by one so that only the bad row fails. Anything else (a timeout, a read-only
        // standby, a full disk) would fail each row alike, so it fails the group at once.
        Err(sqlx::Error::Database(db)) if rows.len() > 1 && refuses_a_row(db.code().as_deref()) => {
            tracing::warn!(error = %db, rows = rows.len(), "a group of audit rows was refused; writing them one by one");
            for (row, reply) in rows.iter().zip(replies) {
                let result = insert(pool, std::slice::from_ref(row))
                    .await
                    .map_err(refused);
                let _ = reply.send(result);
            }
        }
        Err(e) if rows.len() == 1 => {
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(Err(refused(e)));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, rows = rows.len(), "could not write audit rows");
            let why = refused(e).to_string();
            for reply in replies {
                let _ = reply.send(Err(StoreError::Unavailable(why.clone())));
            }
        }
    }
}

/// Whether an SQLSTATE names something wrong with a row rather than with the database.
fn refuses_a_row(code: Option<&str>) -> bool {
    code.is_some_and(|c| c.starts_with("22") || c.starts_with("23"))
}

/// Why a row was not written, as the store reports it.
fn refused(e: sqlx::Error) -> StoreError {
    match e {
        e @ sqlx::Error::Database(_) => match write_error(e) {
            StoreError::Constraint(why) | StoreError::Internal(why) => StoreError::Internal(
                format!("the consultation's audit record could not be written: {why}"),
            ),
            other => other,
        },
        other => unavailable(other),
    }
}

async fn insert(pool: &PgPool, rows: &[Row]) -> Result<(), sqlx::Error> {
    let mut ids = Vec::with_capacity(rows.len());
    let mut at = Vec::with_capacity(rows.len());
    let mut user_ids = Vec::with_capacity(rows.len());
    let mut user_names = Vec::with_capacity(rows.len());
    let mut actions = Vec::with_capacity(rows.len());
    let mut outcomes = Vec::with_capacity(rows.len());
    let mut services = Vec::with_capacity(rows.len());
    let mut correlations = Vec::with_capacity(rows.len());
    let mut addresses = Vec::with_capacity(rows.len());
    let mut agents = Vec::with_capacity(rows.len());
    let mut subjects = Vec::with_capacity(rows.len());
    let mut details = Vec::with_capacity(rows.len());
    let mut sessions = Vec::with_capacity(rows.len());
    for Row { entry, subjects: s } in rows {
        ids.push(entry.id);
        at.push(to_odt(entry.at));
        user_ids.push(entry.actor.user_id.as_str());
        user_names.push(entry.actor.display_name.as_str());
        actions.push(entry.action.as_str());
        outcomes.push(outcome_str(entry.outcome));
        services.push(entry.service.as_str());
        correlations.push(entry.context.correlation_id.as_deref());
        addresses.push(entry.context.source_address.as_deref());
        agents.push(entry.context.user_agent.as_deref());
        subjects.push(s);
        details.push(&entry.details);
        sessions.push(entry.context.session_id.as_deref());
    }
    sqlx::query(INSERT)
        .bind(ids)
        .bind(at)
        .bind(user_ids)
        .bind(user_names)
        .bind(actions)
        .bind(outcomes)
        .bind(services)
        .bind(correlations)
        .bind(addresses)
        .bind(agents)
        .bind(subjects)
        .bind(details)
        .bind(sessions)
        .execute(pool)
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::refuses_a_row;

    #[test]
    fn only_a_refused_value_or_constraint_splits_a_group() {
        // Unique violation, not-null, check, invalid text (a NUL byte), a value too long.
        for code in ["23505", "23502", "23514", "22021", "22001"] {
            assert!(refuses_a_row(Some(code)), "{code}");
        }
        // Statement timeout, read-only standby, disk full, shutdown, serialization, none.
        for code in [
            Some("57014"),
            Some("25006"),
            Some("53100"),
            Some("57P01"),
            Some("40001"),
            None,
        ] {
            assert!(!refuses_a_row(code), "{code:?}");
        }
    }
}
