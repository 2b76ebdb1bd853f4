//! The SQLite adapter: Bluelamp's embedded default. One file in the data directory, in WAL
//! mode with `synchronous=FULL` (a committed change survives power loss), one writer
//! connection owned by one task that takes `BEGIN IMMEDIATE` for each group of writes
//! (`writer.rs`), and a fixed set of read-only connections (`readers.rs`).
//!
//! Row types stay in this crate (`rows`); only domain and store types cross its boundary.

mod directory;
mod readers;
mod rows;
mod writer;

use async_trait::async_trait;
use bluelamp_domain::audit::AuditSubject;
use bluelamp_domain::{AuditEntry, RecordId, RecordKind, Version};
use bluelamp_store::migrations::{Migration, verify_applied};
use bluelamp_store::support::{
    ChangeProgress, VERSION_SELECT, current_in_change, gate_history, gate_links, gate_record,
    gate_version, links_in_force_outcome, mark_missing, subject, unchanged_outcome,
    versioned_outcome, written_subject,
};
use bluelamp_store::*;
use rows::*;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, QueryBuilder, Row, Sqlite, Transaction};
use std::collections::VecDeque;
use std::path::Path;
use std::time::Duration;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "pole_store",
        sql: include_str!("../migrations/0001_pole_store.sql"),
    },
    Migration {
        version: 2,
        name: "directory",
        sql: include_str!("../migrations/0002_directory.sql"),
    },
    Migration {
        version: 3,
        name: "references",
        sql: include_str!("../migrations/0003_references.sql"),
    },
    Migration {
        version: 4,
        name: "audit_search",
        sql: include_str!("../migrations/0004_audit_search.sql"),
    },
    Migration {
        version: 5,
        name: "access_grants",
        sql: include_str!("../migrations/0005_access_grants.sql"),
    },
    Migration {
        version: 6,
        name: "duplicate_candidates",
        sql: include_str!("../migrations/0006_duplicate_candidates.sql"),
    },
    Migration {
        version: 7,
        name: "current_version_content_once",
        sql: include_str!("../migrations/0007_current_version_content_once.sql"),
    },
    Migration {
        version: 8,
        name: "duplicate_candidates_by_record",
        sql: include_str!("../migrations/0008_duplicate_candidates_by_record.sql"),
    },
    Migration {
        version: 9,
        name: "record_versions_write_once",
        sql: include_str!("../migrations/0009_record_versions_write_once.sql"),
    },
];

/// Read-only connections: each has its own thread in sqlx, and reads in WAL mode do not
/// wait for the writer or for each other.
const READERS: usize = 4;

/// The duplicate candidates that name a record (`?1`), through the primary key for the
/// smaller side and `duplicate_candidates_by_b` for the other, best first.
const CANDIDATES_OF: &str = "SELECT candidate_json, weight, a, b FROM duplicate_candidates \
     WHERE a = ?1 UNION ALL SELECT candidate_json, weight, a, b FROM duplicate_candidates \
     WHERE b = ?1 ORDER BY weight DESC, a, b";

const RECORD_COLUMNS: &str = "id, kind, version, classification, marking, summary, subtype, \
     body, link_from, link_to, link_role, status, created_at, created_by, updated_at, updated_by";

#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Every write goes to the one writer task (see `writer.rs`), which commits in groups.
    writer: writer::Writer,
    readers: readers::Readers,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file `path` and applies migrations.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let base = SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // 64 MiB of page cache for the writer (the default is 2 MiB): index pages stay in
            // memory during bulk loads and busy periods. Readers are set below.
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory")
            // Checkpoint the WAL every 10,000 pages (about 40 MiB) rather than 1,000: each
            // checkpoint fsyncs the database file, and a bulk load would otherwise spend its time
            // there. The WAL file is truncated back to 64 MiB after a checkpoint.
            .pragma("wal_autocheckpoint", "10000")
            .pragma("journal_size_limit", "67108864");
        let mut writer = base
            .clone()
            .create_if_missing(true)
            .connect()
            .await
            .map_err(unavailable)?;
        Self::migrate(&mut writer).await?;
        // Readers keep SQLite's default 2 MiB page cache, not the writer's 64 MiB: a reader
        // throws its whole cache away at the start of any read after a commit, and every
        // consultation commits its audit row, so a large cache was only more to throw away
        // (freeing it was a fifth of an audited read's time). sqlx's connection thread hands
        // rows over through a channel of 50 by default; a scan of thousands of rows would
        // stop and wake both threads every 50 rows.
        let reader_options = base
            .read_only(true)
            .pragma("cache_size", "-2000")
            .row_buffer_size(1_024);
        let readers = readers::Readers::open(&reader_options, READERS).await?;
        Ok(Self {
            writer: writer::Writer::spawn(writer),
            readers,
        })
    }

    /// Opens a database by URL: `sqlite://path/to/file.db` or a plain path.
    pub async fn open_url(url: &str) -> StoreResult<Self> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        Self::open(Path::new(path)).await
    }

    async fn migrate(conn: &mut SqliteConnection) -> StoreResult<()> {
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                checksum TEXT NOT NULL,
                applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
            )",
        )
        .execute(&mut *conn)
        .await
        .map_err(internal)?;
        let applied =
            sqlx::query("SELECT version, checksum FROM schema_migrations ORDER BY version")
                .fetch_all(&mut *conn)
                .await
                .map_err(internal)?;
        let mut done = Vec::new();
        for row in applied {
            let version: i64 = row.try_get("version").map_err(internal)?;
            let checksum: String = row.try_get("checksum").map_err(internal)?;
            verify_applied(MIGRATIONS, version, &checksum)?;
            done.push(version);
        }
        for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
            let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.map_err(internal)?;
            sqlx::raw_sql(m.sql)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            sqlx::query("INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)")
                .bind(m.version)
                .bind(m.name)
                .bind(m.checksum())
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            tracing::info!(version = m.version, name = m.name, "applied migration");
        }
        Ok(())
    }

    async fn fetch_current(
        tx: &mut Transaction<'_, Sqlite>,
        id: RecordId,
    ) -> StoreResult<Option<StoredRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM records WHERE id = ?"
        ))
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await
        .map_err(internal)?;
        row.map(|r| record_from_row(&r)).transpose()
    }

    /// Writes an audit entry inside a transaction the caller commits.
    pub(crate) async fn insert_audit(
        tx: &mut Transaction<'_, Sqlite>,
        entry: AuditEntry,
    ) -> StoreResult<()> {
        let prepared = writer::PreparedAudit::new(entry)?;
        Self::insert_audits(tx, [&prepared]).await.map_err(internal)
    }

    /// Writes audit entries, their JSON already encoded, in one statement (a statement is
    /// all or nothing: if it fails, none of its rows is written). The error is SQLite's, so
    /// the writer can tell a refused row from a failed transaction.
    pub(crate) async fn insert_audits<'a>(
        conn: &mut SqliteConnection,
        entries: impl IntoIterator<Item = &'a writer::PreparedAudit>,
    ) -> Result<(), sqlx::Error> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO audit_log (id, at, user_id, user_name, action, outcome, service, \
             correlation_id, source_address, user_agent, subjects, details, session_id) ",
        );
        q.push_values(entries, |mut b, a| {
            let e = &a.entry;
            b.push_bind(e.id.to_string())
                .push_bind(ts_text(e.at))
                .push_bind(&e.actor.user_id)
                .push_bind(&e.actor.display_name)
                .push_bind(e.action.as_str())
                .push_bind(outcome_str(e.outcome))
                .push_bind(&e.service)
                .push_bind(&e.context.correlation_id)
                .push_bind(&e.context.source_address)
                .push_bind(&e.context.user_agent)
                .push_bind(&a.subjects)
                .push_bind(&a.details)
                .push_bind(&e.context.session_id);
        });
        q.build().execute(conn).await.map(|_| ())
    }

    /// The rows of the records with these ids (those that exist), 500 ids a query (`load`
    /// decodes their bodies, `load_json` keeps them as the column's text).
    async fn load_rows(&self, ids: &[RecordId]) -> StoreResult<Vec<sqlx::sqlite::SqliteRow>> {
        let mut rows = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let sql = format!("SELECT {RECORD_COLUMNS} FROM records WHERE id IN ({placeholders})");
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id.to_string());
            }
            rows.extend(
                q.fetch_all(&mut *self.readers.get().await?)
                    .await
                    .map_err(internal)?,
            );
        }
        Ok(rows)
    }

    /// Up to `limit` active records of `kind` after `after`, in id order (`scan` decodes
    /// their bodies, `scan_json` keeps them as the column's text).
    async fn scan_rows(
        &self,
        kind: RecordKind,
        after: Option<RecordId>,
        limit: u32,
    ) -> StoreResult<Vec<sqlx::sqlite::SqliteRow>> {
        sqlx::query(&scan_sql())
            .bind(kind.as_str())
            .bind(after.map(|a| a.to_string()).unwrap_or_default())
            .bind(i64::from(limit))
            .fetch_all(&mut *self.readers.get().await?)
            .await
            .map_err(internal)
    }

    /// Commits an audit entry (in the writer's next group): the audit half of a
    /// consultation. Returns once it is durable.
    async fn commit_audit(&self, entry: AuditEntry) -> StoreResult<()> {
        self.writer.audit(writer::PreparedAudit::new(entry)?).await
    }

    /// Writes one change inside the writer's transaction (within its own savepoint).
    pub(crate) async fn apply_in(
        tx: &mut Transaction<'_, Sqlite>,
        prepared: writer::Prepared,
    ) -> StoreResult<Vec<StoredRecord>> {
        let writer::Prepared {
            change:
                Change {
                    ops,
                    mut audit,
                    events,
                },
            mut inserts,
            events: payloads,
            mut hashes,
        } = prepared;
        // Consecutive inserts go in multi-row statements: a bulk load is a few statements per
        // hundreds of records rather than three per record.
        let mut progress = ChangeProgress::default();
        for op in ops {
            Self::apply_op(tx, op, &audit, &mut progress, &mut inserts).await?;
        }
        Self::flush_inserts(tx, &mut progress, &mut inserts).await?;
        let ChangeProgress {
            written,
            kinds: changes,
            ..
        } = progress;
        Self::insert_versions(tx, &written, &changes, &audit).await?;
        // A record inserted by this change was hashed by the caller's task (`Prepared`).
        audit.subjects = written
            .iter()
            .map(|rec| match hashes.remove(&rec.id) {
                Some(hash) if rec.version == 1 => Ok(AuditSubject {
                    content: Some(hash),
                    ..subject(rec)
                }),
                _ => written_subject(rec),
            })
            .collect::<StoreResult<_>>()?;
        Self::insert_audit(tx, audit).await?;
        // The caller encoded one text per insert and per event; anything else is a bug here.
        if !inserts.is_empty() || payloads.len() != events.len() {
            return Err(StoreError::Internal(
                "a prepared change does not match its operations".into(),
            ));
        }
        let mut payloads = payloads.into_iter();
        for chunk in events.chunks(1000) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO outbox (event_id, event_type, occurred_at, payload) ",
            );
            q.push_values(
                chunk.iter().zip(payloads.by_ref()),
                |mut b, (e, payload)| {
                    b.push_bind(e.event_id.to_string())
                        .push_bind(e.event_type.clone())
                        .push_bind(ts_text(e.occurred_at))
                        .push_bind(payload);
                },
            );
            q.build().execute(&mut **tx).await.map_err(write_error)?;
        }
        Ok(written)
    }

    /// Deletes outbox rows delivered before `before` inside the writer's transaction.
    pub(crate) async fn prune_outbox_in(
        tx: &mut Transaction<'_, Sqlite>,
        before: &str,
    ) -> StoreResult<u64> {
        // At most 10,000 rows a call, so the writer is never held for long.
        sqlx::query(
            "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox \
             WHERE delivered_at IS NOT NULL AND delivered_at < ? LIMIT 10000)",
        )
        .bind(before)
        .execute(&mut **tx)
        .await
        .map(|r| r.rows_affected())
        .map_err(internal)
    }

    /// Marks outbox rows delivered inside the writer's transaction.
    pub(crate) async fn mark_delivered_in(
        tx: &mut Transaction<'_, Sqlite>,
        seqs: &[i64],
    ) -> StoreResult<()> {
        for chunk in seqs.chunks(500) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "UPDATE outbox SET delivered_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
                 WHERE seq IN ({placeholders})"
            );
            let mut q = sqlx::query(&sql);
            for s in chunk {
                q = q.bind(*s);
            }
            q.execute(&mut **tx).await.map_err(internal)?;
        }
        Ok(())
    }

    /// Writes the version rows of everything a change wrote, in multi-row statements. A
    /// record's current version leaves its content to `records` (migration 0007).
    async fn insert_versions(
        tx: &mut Transaction<'_, Sqlite>,
        recs: &[StoredRecord],
        kinds: &[ChangeKind],
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let at = ts_text(audit.at);
        let audit_id = audit.id.to_string();
        let current = current_in_change(recs);
        for ((chunk, kinds), current) in recs
            .chunks(500)
            .zip(kinds.chunks(500))
            .zip(current.chunks(500))
        {
            let mut rows = Vec::with_capacity(chunk.len());
            for ((rec, kind), current) in chunk.iter().zip(kinds).zip(current) {
                let content = if *current {
                    (None, None, None)
                } else {
                    (
                        Some(json_text(&rec.marking)?),
                        Some(rec.summary.clone()),
                        Some(json_text(&rec.body)?),
                    )
                };
                rows.push((rec, *kind, content));
            }
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO record_versions (record_id, version, kind, classification, marking, \
                 summary, body, status, change, changed_at, changed_by, changed_by_name, audit_id) ",
            );
            q.push_values(rows, |mut b, (rec, kind, (marking, summary, body))| {
                b.push_bind(rec.id.to_string())
                    .push_bind(rec.version)
                    .push_bind(rec.kind.as_str())
                    .push_bind(rec.marking.classification.rank())
                    .push_bind(marking)
                    .push_bind(summary)
                    .push_bind(body)
                    .push_bind(rec.status.as_str())
                    .push_bind(kind.as_str())
                    .push_bind(at.clone())
                    .push_bind(audit.actor.user_id.clone())
                    .push_bind(audit.actor.display_name.clone())
                    .push_bind(audit_id.clone());
            });
            q.build().execute(&mut **tx).await.map_err(write_error)?;
        }
        Ok(())
    }

    /// Before a record changes: its current version's row gets the content it left to
    /// `records` (migration 0007), so the version about to be superseded keeps its own. A
    /// row that already has content (written before 0007, or already kept) is untouched.
    async fn keep_superseded_content(
        tx: &mut Transaction<'_, Sqlite>,
        id: RecordId,
    ) -> StoreResult<()> {
        let id = id.to_string();
        sqlx::query(
            "UPDATE record_versions SET (marking, summary, body) = \
             (SELECT marking, summary, body FROM records WHERE id = ?) \
             WHERE record_id = ? AND body IS NULL",
        )
        .bind(&id)
        .bind(&id)
        .execute(&mut **tx)
        .await
        .map_err(write_error)?;
        Ok(())
    }

    /// Inserts the pending new records in multi-row statements and moves them to `written`.
    async fn flush_inserts(
        tx: &mut Transaction<'_, Sqlite>,
        progress: &mut ChangeProgress,
        texts: &mut VecDeque<(String, String)>,
    ) -> StoreResult<()> {
        for chunk in progress.pending.chunks(500) {
            let mut rows = Vec::with_capacity(chunk.len());
            for rec in chunk {
                let (marking, body) = texts.pop_front().ok_or_else(|| {
                    StoreError::Internal("a prepared change does not match its operations".into())
                })?;
                rows.push((rec, marking, body, ts_text(rec.created_at)));
            }
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO records (id, kind, version, classification, marking, summary, \
                 sort_key, subtype, body, link_from, link_to, link_role, status, created_at, \
                 created_by, updated_at, updated_by) ",
            );
            q.push_values(rows, |mut b, (rec, marking, body, at)| {
                let link = rec.link.as_ref();
                b.push_bind(rec.id.to_string())
                    .push_bind(rec.kind.as_str())
                    .push_bind(1_i64)
                    .push_bind(rec.marking.classification.rank())
                    .push_bind(marking)
                    .push_bind(rec.summary.clone())
                    .push_bind(sort_key(&rec.summary))
                    .push_bind(rec.subtype.clone())
                    .push_bind(body)
                    .push_bind(link.map(|l| l.from.to_string()))
                    .push_bind(link.map(|l| l.to.to_string()))
                    .push_bind(link.map(|l| l.role.clone()))
                    .push_bind("active")
                    .push_bind(at.clone())
                    .push_bind(rec.created_by.clone())
                    .push_bind(at)
                    .push_bind(rec.updated_by.clone());
            });
            q.build().execute(&mut **tx).await.map_err(write_error)?;
        }
        progress.inserted();
        Ok(())
    }

    /// Runs `update`, an `UPDATE records ... WHERE id = ? AND version = ?` of `id` at
    /// `base_version`, in the change's order (after its pending inserts) and with the
    /// content of the version it supersedes kept (migration 0007): the new version, or why
    /// not. Every change to an existing record goes through here.
    async fn change_record<'q>(
        tx: &mut Transaction<'_, Sqlite>,
        progress: &mut ChangeProgress,
        texts: &mut VecDeque<(String, String)>,
        id: RecordId,
        base_version: Version,
        update: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    ) -> StoreResult<StoredRecord> {
        Self::flush_inserts(tx, progress, texts).await?;
        Self::keep_superseded_content(tx, id).await?;
        let done = update.execute(&mut **tx).await.map_err(write_error)?;
        versioned_outcome(
            id,
            base_version,
            done.rows_affected(),
            Self::fetch_current(tx, id).await?,
        )
    }

    /// Ends a record in force, or brings an ended one back (`to`), provided it is still at
    /// `base_version` and in the other status.
    async fn set_status(
        tx: &mut Transaction<'_, Sqlite>,
        progress: &mut ChangeProgress,
        id: RecordId,
        base_version: Version,
        to: RecordStatus,
        audit: &AuditEntry,
        texts: &mut VecDeque<(String, String)>,
    ) -> StoreResult<StoredRecord> {
        let from = match to {
            RecordStatus::Ended => RecordStatus::Active,
            RecordStatus::Active => RecordStatus::Ended,
        };
        let update = sqlx::query(
            "UPDATE records SET version = version + 1, status = ?, updated_at = ?, \
             updated_by = ? WHERE id = ? AND version = ? AND status = ?",
        )
        .bind(to.as_str())
        .bind(ts_text(audit.at))
        .bind(&audit.actor.display_name)
        .bind(id.to_string())
        .bind(base_version)
        .bind(from.as_str());
        Self::change_record(tx, progress, texts, id, base_version, update).await
    }

    /// Applies one operation of a change: an insert joins the pending batch; an update or
    /// an end first writes the pending inserts, so the operations keep their order.
    async fn apply_op(
        tx: &mut Transaction<'_, Sqlite>,
        op: WriteOp,
        audit: &AuditEntry,
        progress: &mut ChangeProgress,
        texts: &mut VecDeque<(String, String)>,
    ) -> StoreResult<()> {
        let at = audit.at;
        let who = audit.actor.display_name.clone();
        let (rec, kind) = match op {
            WriteOp::Insert(new) => {
                progress
                    .pending
                    .push(StoredRecord::first_version(new, audit));
                return Ok(());
            }
            WriteOp::Update {
                id,
                base_version,
                marking,
                summary,
                subtype,
                body,
            } => {
                let key = sort_key(&summary);
                let update = sqlx::query(
                    "UPDATE records SET version = version + 1, classification = ?, marking = ?, \
                     summary = ?, sort_key = ?, subtype = ?, body = ?, updated_at = ?, \
                     updated_by = ? WHERE id = ? AND version = ?",
                )
                .bind(marking.classification.rank())
                .bind(json_text(&marking)?)
                .bind(summary)
                .bind(key)
                .bind(subtype)
                .bind(json_text(&body)?)
                .bind(ts_text(at))
                .bind(who)
                .bind(id.to_string())
                .bind(base_version);
                (
                    Self::change_record(tx, progress, texts, id, base_version, update).await?,
                    ChangeKind::Update,
                )
            }
            WriteOp::End { id, base_version } => (
                Self::set_status(
                    tx,
                    progress,
                    id,
                    base_version,
                    RecordStatus::Ended,
                    audit,
                    texts,
                )
                .await?,
                ChangeKind::End,
            ),
            WriteOp::Reopen { id, base_version } => (
                Self::set_status(
                    tx,
                    progress,
                    id,
                    base_version,
                    RecordStatus::Active,
                    audit,
                    texts,
                )
                .await?,
                ChangeKind::Update,
            ),
            // One writer: nothing can change between this check and the commit.
            WriteOp::Unchanged { id, base_version } => {
                let current: Option<i64> =
                    sqlx::query_scalar("SELECT version FROM records WHERE id = ?")
                        .bind(id.to_string())
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(write_error)?;
                return unchanged_outcome(id, base_version, current);
            }
            WriteOp::LinksInForce {
                id,
                base_version,
                links,
            } => {
                // Links this change inserted count too.
                Self::flush_inserts(tx, progress, texts).await?;
                let found: Vec<String> = sqlx::query_scalar(
                    "SELECT id FROM records WHERE kind = 'link' AND status = 'active' \
                     AND (link_from = ?1 OR link_to = ?1)",
                )
                .bind(id.to_string())
                .fetch_all(&mut **tx)
                .await
                .map_err(write_error)?;
                let found = found
                    .iter()
                    .map(|s| s.parse())
                    .collect::<Result<Vec<RecordId>, _>>()
                    .map_err(|e| StoreError::Internal(format!("a link id does not read: {e}")))?;
                return links_in_force_outcome(id, base_version, &links, found);
            }
        };
        progress.record(rec, kind);
        Ok(())
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn apply(&self, change: Change) -> StoreResult<Vec<StoredRecord>> {
        self.writer.apply(change).await
    }

    async fn consult(
        &self,
        id: RecordId,
        gate: &dyn Gate,
        mut audit: AuditEntry,
    ) -> StoreResult<Option<StoredRecord>> {
        let found = self.load(&[id]).await?.into_iter().next();
        let shown = match found {
            Some(rec) => {
                gate_record(&mut audit, gate, rec.kind, &rec.marking, subject(&rec)).then_some(rec)
            }
            None => {
                mark_missing(&mut audit, id);
                None
            }
        };
        self.commit_audit(audit).await?;
        Ok(shown)
    }

    async fn consult_history(
        &self,
        id: RecordId,
        gate: &dyn Gate,
        mut audit: AuditEntry,
    ) -> StoreResult<Vec<RecordVersion>> {
        let rows = sqlx::query(&format!(
            "{VERSION_SELECT} WHERE v.record_id = ? ORDER BY v.version"
        ))
        .bind(id.to_string())
        .fetch_all(&mut *self.readers.get().await?)
        .await
        .map_err(internal)?;
        let versions = rows
            .iter()
            .map(version_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        if versions.is_empty() {
            mark_missing(&mut audit, id);
        }
        let shown = gate_history(&mut audit, gate, versions);
        self.commit_audit(audit).await?;
        Ok(shown)
    }

    async fn consult_version(
        &self,
        id: RecordId,
        version: Version,
        gate: &dyn Gate,
        mut audit: AuditEntry,
    ) -> StoreResult<Option<RecordVersion>> {
        let current = self.load(&[id]).await?.into_iter().next();
        let row = sqlx::query(&format!(
            "{VERSION_SELECT} WHERE v.record_id = ? AND v.version = ?"
        ))
        .bind(id.to_string())
        .bind(version)
        .fetch_optional(&mut *self.readers.get().await?)
        .await
        .map_err(internal)?;
        let found = row.as_ref().map(version_from_row).transpose()?;
        let shown = match (current, found) {
            (Some(current), Some(v)) => gate_version(&mut audit, gate, &current, v),
            _ => {
                mark_missing(&mut audit, id);
                None
            }
        };
        self.commit_audit(audit).await?;
        Ok(shown)
    }

    async fn consult_with_links(
        &self,
        id: RecordId,
        include_ended: bool,
        gate: &dyn Gate,
        mut audit: AuditEntry,
    ) -> StoreResult<Option<(StoredRecord, Vec<LinkView>)>> {
        let Some(rec) = self.load(&[id]).await?.into_iter().next() else {
            mark_missing(&mut audit, id);
            self.commit_audit(audit).await?;
            return Ok(None);
        };
        let status = if include_ended {
            ""
        } else {
            "AND l.status = 'active'"
        };
        // Named with AS: SQLite matches a compound select's ORDER BY against aliases.
        let cols = "l.id AS id, l.kind, l.version, l.classification, l.marking, l.summary AS summary, l.subtype, l.body, \
                    l.link_from, l.link_to, l.link_role, l.status, l.created_at, l.created_by, \
                    l.updated_at, l.updated_by, o.id AS other_id, o.kind AS other_kind, \
                    o.summary AS other_summary, o.marking AS other_marking";
        let sql = format!(
            "SELECT {cols}, 1 AS outgoing FROM records l JOIN records o ON o.id = l.link_to \
             WHERE l.link_from = ?1 {status} \
             UNION ALL \
             SELECT {cols}, 0 AS outgoing FROM records l JOIN records o ON o.id = l.link_from \
             WHERE l.link_to = ?1 {status} \
             ORDER BY summary, other_summary, id"
        );
        let rows = sqlx::query(&sql)
            .bind(id.to_string())
            .fetch_all(&mut *self.readers.get().await?)
            .await
            .map_err(internal)?;
        let links = readable_links(&rows)?;
        let shown = gate_links(&mut audit, gate, &rec, links);
        self.commit_audit(audit).await?;
        Ok(shown.map(|links| (rec, links)))
    }

    async fn consult_list(&self, query: ListQuery, mut audit: AuditEntry) -> StoreResult<Page> {
        let filter = list_filter(&query);
        let order = match query.order {
            ListOrder::Summary => "sort_key, id",
            ListOrder::RecentlyUpdated => "updated_at DESC, id DESC",
        };
        let count_sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1{filter} LIMIT {})",
            COUNT_CAP + 1
        );
        let page_sql = format!("SELECT {RECORD_COLUMNS}{filter} ORDER BY {order} LIMIT ? OFFSET ?");
        let total: i64 = bind_list(&count_sql, &query)
            .fetch_one(&mut *self.readers.get().await?)
            .await
            .map_err(internal)?
            .try_get("n")
            .map_err(internal)?;
        let rows = bind_list(&page_sql, &query)
            .bind(i64::from(query.per_page))
            .bind(i64::try_from(query.offset()).unwrap_or(i64::MAX))
            .fetch_all(&mut *self.readers.get().await?)
            .await
            .map_err(internal)?;
        let items = readable_records(&rows)?;
        audit.subjects = items.iter().map(subject).collect();
        self.commit_audit(audit).await?;
        let total = u64::try_from(total).unwrap_or(0);
        Ok(Page {
            items,
            total: total.min(COUNT_CAP),
            total_exact: total <= COUNT_CAP,
            page: query.page,
            per_page: query.per_page,
        })
    }

    async fn load(&self, ids: &[RecordId]) -> StoreResult<Vec<StoredRecord>> {
        readable_records(&self.load_rows(ids).await?)
    }

    async fn load_json(&self, ids: &[RecordId]) -> StoreResult<Vec<ScannedRecord>> {
        readable_scanned(&self.load_rows(ids).await?)
    }

    async fn scan(
        &self,
        kind: RecordKind,
        after: Option<RecordId>,
        limit: u32,
    ) -> StoreResult<Vec<StoredRecord>> {
        readable_records(&self.scan_rows(kind, after, limit).await?)
    }

    async fn scan_json(
        &self,
        kind: RecordKind,
        after: Option<RecordId>,
        limit: u32,
    ) -> StoreResult<Vec<ScannedRecord>> {
        readable_scanned(&self.scan_rows(kind, after, limit).await?)
    }

    async fn links_at(
        &self,
        end: LinkEnd,
        ids: &[RecordId],
        roles: &[&str],
    ) -> StoreResult<Vec<ScannedRecord>> {
        let mut rows = Vec::new();
        if roles.is_empty() {
            return Ok(Vec::new());
        }
        let role_marks = vec!["?"; roles.len()].join(", ");
        // Each id once, so no link is read twice from two chunks.
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        for chunk in ids.chunks(400) {
            let id_marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT {RECORD_COLUMNS} FROM records WHERE {} IN ({id_marks}) \
                 AND link_role IN ({role_marks}) AND status = 'active' ORDER BY id",
                end.column()
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id.to_string());
            }
            for role in roles {
                q = q.bind(*role);
            }
            rows.extend(
                q.fetch_all(&mut *self.readers.get().await?)
                    .await
                    .map_err(internal)?,
            );
        }
        let mut links = readable_scanned(&rows)?;
        links.sort_by_key(|l| l.id);
        Ok(links)
    }

    async fn audit_only(&self, audit: AuditEntry) -> StoreResult<()> {
        self.commit_audit(audit).await
    }

    async fn outbox_pending(&self, limit: u32) -> StoreResult<Vec<OutboxRow>> {
        let rows = sqlx::query(
            "SELECT seq, event_id, event_type, occurred_at, payload FROM outbox \
             WHERE delivered_at IS NULL ORDER BY seq LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *self.readers.get().await?)
        .await
        .map_err(internal)?;
        rows.iter().map(outbox_from_row).collect()
    }

    async fn outbox_backlog(&self, cap: u32) -> StoreResult<u64> {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM outbox WHERE delivered_at IS NULL LIMIT ?) AS pending",
        )
        .bind(i64::from(cap))
        .fetch_one(&mut *self.readers.get().await?)
        .await
        .map_err(unavailable)?
        .try_get("n")
        .map_err(internal)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn outbox_mark_delivered(&self, seqs: &[i64]) -> StoreResult<()> {
        if seqs.is_empty() {
            return Ok(());
        }
        self.writer.mark_delivered(seqs.to_vec()).await
    }

    async fn outbox_prune(&self, delivered_before: jiff::Timestamp) -> StoreResult<u64> {
        self.writer.prune_outbox(ts_text(delivered_before)).await
    }

    async fn audit_entries(&self, after: i64, limit: u32) -> StoreResult<Vec<AuditRow>> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?")
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.readers.get().await?)
            .await
            .map_err(internal)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn count(&self, query: &ListQuery) -> StoreResult<(u64, bool)> {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1{} LIMIT {})",
            list_filter(query),
            COUNT_CAP + 1
        );
        let n: i64 = bind_list(&sql, query)
            .fetch_one(&mut *self.readers.get().await?)
            .await
            .map_err(internal)?
            .try_get("n")
            .map_err(internal)?;
        let n = u64::try_from(n).unwrap_or(0);
        Ok((n.min(COUNT_CAP), n <= COUNT_CAP))
    }

    async fn counts(&self) -> StoreResult<Counts> {
        let rows = sqlx::query("SELECT kind, COUNT(*) AS n FROM records GROUP BY kind")
            .fetch_all(&mut *self.readers.get().await?)
            .await
            .map_err(internal)?;
        let mut counts = Counts::default();
        for r in rows {
            let kind: String = r.try_get("kind").map_err(internal)?;
            let n: i64 = r.try_get("n").map_err(internal)?;
            counts.add(&kind, n);
        }
        Ok(counts)
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&mut *self.readers.get().await?)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn directory_apply(&self, change: DirectoryChange) -> StoreResult<DirectoryOutcome> {
        self.writer.directory(change).await
    }

    async fn next_reference(&self, scope: &str) -> StoreResult<i64> {
        self.writer.next_reference(scope.to_string()).await
    }

    async fn grants(&self, filter: &GrantFilter) -> StoreResult<Vec<AccessGrant>> {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT grant_json FROM access_grants WHERE 1 = 1");
        if let Some(id) = &filter.id {
            qb.push(" AND id = ").push_bind(id.clone());
        }
        if let Some(u) = &filter.username {
            qb.push(" AND username = ")
                .push_bind(u.as_str().to_string());
        }
        if let Some(s) = filter.status {
            qb.push(" AND status = ").push_bind(s.as_str());
        }
        qb.push(" ORDER BY requested_at DESC, id DESC LIMIT 1000");
        let rows: Vec<String> = qb
            .build_query_scalar()
            .fetch_all(&mut *self.readers.get().await?)
            .await
            .map_err(internal)?;
        rows.iter()
            .map(|s| {
                serde_json::from_str(s)
                    .map_err(|e| StoreError::Internal(format!("bad access grant: {e}")))
            })
            .collect()
    }

    async fn duplicate_candidates(
        &self,
        status: CandidateStatus,
        limit: u32,
    ) -> StoreResult<Vec<DuplicateCandidate>> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT candidate_json FROM duplicate_candidates WHERE status = ? \
             ORDER BY weight DESC, a, b LIMIT ?",
        )
        .bind(status.as_str())
        .bind(i64::from(limit))
        .fetch_all(&mut *self.readers.get().await?)
        .await
        .map_err(internal)?;
        bluelamp_store::support::parse_candidates(&rows)
    }

    async fn duplicate_candidates_of(&self, id: RecordId) -> StoreResult<Vec<DuplicateCandidate>> {
        let rows: Vec<String> = sqlx::query_scalar(CANDIDATES_OF)
            .bind(id.to_string())
            .fetch_all(&mut *self.readers.get().await?)
            .await
            .map_err(internal)?;
        bluelamp_store::support::parse_candidates(&rows)
    }

    async fn audit_search(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRow>> {
        // Through the index the checkpointer keeps (see migration 0004): sequenced records.
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT a.* FROM audit_index i JOIN audit_log a ON a.seq = i.seq WHERE 1 = 1",
        );
        if let Some(u) = &query.user_id {
            qb.push(" AND i.user_id = ").push_bind(u.clone());
        }
        if let Some(r) = query.record_id {
            qb.push(" AND i.seq IN (SELECT seq FROM audit_subjects WHERE record_id = ")
                .push_bind(r.to_string())
                .push(")");
        }
        if let Some(a) = query.action {
            qb.push(" AND i.action = ").push_bind(a.as_str());
        }
        if let Some(t) = query.from {
            qb.push(" AND i.at >= ").push_bind(ts_text(t));
        }
        if let Some(t) = query.to {
            qb.push(" AND i.at < ").push_bind(ts_text(t));
        }
        if let Some(s) = query.before_seq {
            qb.push(" AND i.seq < ").push_bind(s);
        }
        qb.push(" ORDER BY i.seq DESC LIMIT ")
            .push_bind(i64::from(query.limit));
        let rows = qb
            .build()
            .fetch_all(&mut *self.readers.get().await?)
            .await
            .map_err(internal)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn user(&self, username: &bluelamp_domain::Username) -> StoreResult<Option<UserAccount>> {
        let json: Option<String> =
            sqlx::query_scalar("SELECT account FROM users WHERE username = ?")
                .bind(username.as_str())
                .fetch_optional(&mut *self.readers.get().await?)
                .await
                .map_err(unavailable)?;
        json.as_deref()
            .map(directory::account_from_json)
            .transpose()
    }

    async fn users(&self) -> StoreResult<Vec<UserAccount>> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT account FROM users ORDER BY username")
            .fetch_all(&mut *self.readers.get().await?)
            .await
            .map_err(unavailable)?;
        rows.iter()
            .map(|s| directory::account_from_json(s))
            .collect()
    }

    async fn session(&self, id_hash: &str) -> StoreResult<Option<Session>> {
        let row = sqlx::query("SELECT session FROM sessions WHERE id_hash = ?")
            .bind(id_hash)
            .fetch_optional(&mut *self.readers.get().await?)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(directory::session_from_row).transpose()
    }

    async fn audit_unsequenced(&self, limit: u32) -> StoreResult<Vec<AuditRow>> {
        // One writer commits in seq order, so every committed record can be sequenced.
        let rows = sqlx::query(
            "SELECT * FROM audit_log WHERE seq > COALESCE((SELECT MAX(seq) FROM audit_leaves), 0) \
             ORDER BY seq LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *self.readers.get().await?)
        .await
        .map_err(internal)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn audit_append(
        &self,
        leaves: Vec<LeafRow>,
        checkpoint: CheckpointRow,
    ) -> StoreResult<()> {
        self.writer.audit_append(leaves, checkpoint).await
    }

    async fn audit_checkpoints(&self) -> StoreResult<Vec<CheckpointRow>> {
        let rows = sqlx::query("SELECT * FROM audit_checkpoints ORDER BY tree_size")
            .fetch_all(&mut *self.readers.get().await?)
            .await
            .map_err(internal)?;
        rows.iter().map(directory::checkpoint_from_row).collect()
    }

    async fn audit_leaves(
        &self,
        from_index: i64,
        limit: u32,
    ) -> StoreResult<Vec<(LeafRow, Option<AuditRow>)>> {
        let rows = sqlx::query(
            "SELECT l.leaf_index, l.seq AS leaf_seq, l.leaf_hash, a.* FROM audit_leaves l \
             LEFT JOIN audit_log a ON a.seq = l.seq WHERE l.leaf_index >= ? \
             ORDER BY l.leaf_index LIMIT ?",
        )
        .bind(from_index)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.readers.get().await?)
        .await
        .map_err(internal)?;
        rows.iter()
            .map(|r| {
                let leaf = LeafRow {
                    leaf_index: r.try_get("leaf_index").map_err(internal)?,
                    seq: r.try_get("leaf_seq").map_err(internal)?,
                    leaf_hash: r.try_get("leaf_hash").map_err(internal)?,
                };
                let present: Option<String> = r.try_get("id").map_err(internal)?;
                let audit = match present {
                    Some(_) => Some(audit_from_row(r)?),
                    None => None,
                };
                Ok((leaf, audit))
            })
            .collect()
    }

    async fn audit_unsequenced_before(&self, below_seq: i64, limit: u32) -> StoreResult<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT seq FROM audit_log WHERE seq < ? AND seq NOT IN (SELECT seq FROM audit_leaves) \
             ORDER BY seq LIMIT ?",
        )
        .bind(below_seq)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.readers.get().await?)
        .await
        .map_err(internal)
    }
}

/// The FROM and WHERE of a list query; `bind_list` binds its values in the same order.
fn list_filter(query: &ListQuery) -> String {
    let mut filter = String::from(" FROM records WHERE kind = ?");
    if query.subtype.is_some() {
        filter.push_str(" AND subtype = ?");
    }
    if query.summary_prefix.is_some() {
        filter.push_str(" AND sort_key >= ? AND sort_key < ?");
    }
    if query.visibility.is_some() {
        // Visibility::allows in SQL: clearance, every compartment held, and for a
        // restricted record a named team, the user named, or a supervisor in a named
        // officer's unit. Bound in bind_list's order.
        filter.push_str(
            " AND classification <= ? \
             AND NOT EXISTS (SELECT 1 FROM json_each(marking, '$.compartments') c \
                             WHERE c.value NOT IN (SELECT value FROM json_each(?))) \
             AND (json_type(marking, '$.restriction') IS NULL \
                  OR EXISTS (SELECT 1 FROM json_each(marking, '$.restriction.teams') WHERE value = ?) \
                  OR EXISTS (SELECT 1 FROM json_each(marking, '$.restriction.officers') WHERE value = ?) \
                  OR (? AND EXISTS (SELECT 1 FROM json_each(marking, '$.restriction.officer_units') WHERE value = ?)))",
        );
    }
    filter
}

/// Binds a list query's filter values in the order `consult_list` wrote their placeholders.
fn bind_list<'q>(
    sql: &'q str,
    query: &'q ListQuery,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    let mut q = sqlx::query(sql).bind(query.kind.as_str());
    if let Some(s) = &query.subtype {
        q = q.bind(s.as_str());
    }
    if let Some(p) = &query.summary_prefix {
        let (low, high) = prefix_bounds(p);
        q = q.bind(low).bind(high);
    }
    if let Some(v) = &query.visibility {
        q = q
            .bind(v.max_rank)
            .bind(serde_json::to_string(&v.compartments).unwrap_or_else(|_| "[]".into()))
            .bind(v.unit.as_str())
            .bind(v.user_id.as_str())
            .bind(v.supervisor)
            .bind(v.unit.as_str());
    }
    q
}

/// A page of one kind's active records in id order (a rebuild or a scan walks them all).
/// `+kind` keeps SQLite from using the `(kind, ...)` list indexes here: through one of them
/// it would gather every record of the kind and sort them by id for each page, so a walk
/// over a million persons cost a million-row sort per page. Walking the primary key and
/// skipping other kinds reads each record once.
fn scan_sql() -> String {
    format!(
        "SELECT {RECORD_COLUMNS} FROM records WHERE +kind = ? AND status = 'active' \
         AND id > ? ORDER BY id LIMIT ?"
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use sqlx::sqlite::SqliteArguments;

    /// SQLite's plan for `query` (its `EXPLAIN QUERY PLAN` details) on a new, empty store.
    async fn plan_of<'q>(
        query: sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>,
    ) -> Vec<String> {
        let dir = std::env::temp_dir().join(format!("bluelamp-test-{}", uuid::Uuid::now_v7()));
        let store = SqliteStore::open(&dir.join("bluelamp.db")).await.unwrap();
        query
            .fetch_all(&mut *store.readers.get().await.unwrap())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("detail"))
            .collect()
    }

    #[tokio::test]
    async fn a_scan_walks_the_primary_key_and_sorts_nothing() {
        let sql = format!("EXPLAIN QUERY PLAN {}", scan_sql());
        let plan = plan_of(sqlx::query(&sql).bind("person").bind("").bind(10)).await;
        assert!(
            plan.iter()
                .any(|d| d.contains("sqlite_autoindex_records_1")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|d| d.contains("TEMP B-TREE")), "{plan:?}");
    }

    #[tokio::test]
    async fn a_records_duplicate_candidates_are_found_from_either_side_by_index() {
        let sql = format!("EXPLAIN QUERY PLAN {CANDIDATES_OF}");
        let plan = plan_of(sqlx::query(&sql).bind("x")).await;
        assert!(
            plan.iter()
                .any(|d| d.contains("sqlite_autoindex_duplicate_candidates_1")),
            "{plan:?}"
        );
        assert!(
            plan.iter().any(|d| d.contains("duplicate_candidates_by_b")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|d| d.starts_with("SCAN")), "{plan:?}");
    }
}
