//! The PostgreSQL adapter, for a force's deployment (primary plus streaming replicas).
//! SQL stays portable to PostgreSQL-compatible distributed engines: no advisory locks, no
//! extensions, and a change that fails with a serialization failure (SQLSTATE 40001) or a
//! deadlock (40P01) is retried from the start.
//!
//! Row types stay in this crate (`rows`); only domain and store types cross its boundary.

mod audit_queue;
mod directory;
mod rows;

use async_trait::async_trait;
use bluelamp_domain::{AuditEntry, RecordId, RecordKind, Version};
use bluelamp_store::migrations::{Migration, verify_applied};
use bluelamp_store::support::{
    ChangeProgress, VERSION_SELECT, current_in_change, gate_history, gate_links, gate_record,
    gate_version, links_in_force_outcome, mark_missing, unchanged_outcome, versioned_outcome,
    written_subject,
};
use bluelamp_store::*;
use rows::*;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, QueryBuilder, Row, Transaction};
use std::str::FromStr;
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

const RECORD_COLUMNS: &str = "id, kind, version, classification, marking, summary, subtype, \
     body, link_from, link_to, link_role, status, created_at, created_by, updated_at, updated_by";

/// `RECORD_COLUMNS` with the body as text, for `scan_json` and `load_json`
/// (`rows::readable_scanned`).
const SCAN_JSON_COLUMNS: &str = "id, kind, version, classification, marking, summary, subtype, \
     body::text AS body, link_from, link_to, link_role, status, created_at, created_by, \
     updated_at, updated_by";

/// How often a change is retried after a serialization failure before giving up.
const MAX_ATTEMPTS: u32 = 5;

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Consultations' audit rows go through here, committed together (`audit_queue`).
    audits: audit_queue::AuditQueue,
}

impl PgStore {
    /// Up to `limit` active records of `kind` after `after`, in id order, as `columns`.
    async fn scan_rows(
        &self,
        columns: &str,
        kind: RecordKind,
        after: Option<RecordId>,
        limit: u32,
    ) -> StoreResult<Vec<sqlx::postgres::PgRow>> {
        sqlx::query(&format!(
            "SELECT {columns} FROM records WHERE kind = $1 AND status = 'active' \
             AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(kind.as_str())
        .bind(after.map(|a| a.0).unwrap_or(uuid::Uuid::nil()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(internal)
    }

    /// The rows of the records with these ids (those that exist), as `columns`.
    async fn load_rows(
        &self,
        columns: &str,
        ids: &[RecordId],
    ) -> StoreResult<Vec<sqlx::postgres::PgRow>> {
        let uuids: Vec<uuid::Uuid> = ids.iter().map(|i| i.0).collect();
        sqlx::query(&format!("SELECT {columns} FROM records WHERE id = ANY($1)"))
            .bind(&uuids)
            .fetch_all(&self.pool)
            .await
            .map_err(internal)
    }

    /// Connects to `url` (`postgres://user@host/db`) and applies migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad PostgreSQL URL: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        let store = Self {
            audits: audit_queue::AuditQueue::spawn(pool.clone()),
            pool,
        };
        store.migrate().await?;
        Ok(store)
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn migrate(&self) -> StoreResult<()> {
        // Created only when missing: an application role without CREATE (see
        // docs/deploy/postgres-roles.sql) must still start on a migrated database.
        let exists: Option<String> =
            sqlx::query_scalar("SELECT to_regclass('schema_migrations')::text")
                .fetch_one(&self.pool)
                .await
                .map_err(internal)?;
        if exists.is_none() {
            sqlx::raw_sql(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY,
                    name TEXT NOT NULL,
                    checksum TEXT NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )",
            )
            .execute(&self.pool)
            .await
            .map_err(internal)?;
        }
        let applied =
            sqlx::query("SELECT version, checksum FROM schema_migrations ORDER BY version")
                .fetch_all(&self.pool)
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
            let mut tx = self.pool.begin().await.map_err(internal)?;
            sqlx::raw_sql(m.sql)
                .execute(&mut *tx)
                .await
                .map_err(internal)?;
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
            )
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
        tx: &mut Transaction<'static, Postgres>,
        id: RecordId,
    ) -> StoreResult<Option<StoredRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM records WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await
        .map_err(internal)?;
        row.map(|r| record_from_row(&r)).transpose()
    }

    async fn insert_audit(
        tx: &mut Transaction<'static, Postgres>,
        entry: &AuditEntry,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (id, at, user_id, user_name, action, outcome, service, \
             correlation_id, source_address, user_agent, subjects, details, session_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(entry.id)
        .bind(to_odt(entry.at))
        .bind(&entry.actor.user_id)
        .bind(&entry.actor.display_name)
        .bind(entry.action.as_str())
        .bind(outcome_str(entry.outcome))
        .bind(&entry.service)
        .bind(&entry.context.correlation_id)
        .bind(&entry.context.source_address)
        .bind(&entry.context.user_agent)
        .bind(json_value(&entry.subjects)?)
        .bind(&entry.details)
        .bind(&entry.context.session_id)
        .execute(&mut **tx)
        .await
        .map_err(write_error)?;
        Ok(())
    }

    /// Commits the audit record of something that changed nothing (a consultation, a
    /// sign-in), together with others waiting (`audit_queue`).
    async fn commit_audit(&self, entry: AuditEntry) -> StoreResult<()> {
        self.audits.commit(entry).await
    }

    /// Runs `update`, an `UPDATE records ... WHERE id = .. AND version = ..` of `id` at
    /// `base_version`, in the change's order (after its pending inserts) and with the
    /// content of the version it supersedes kept (migration 0007): the new version, or why
    /// not. Every change to an existing record goes through here.
    async fn change_record<'q>(
        tx: &mut Transaction<'static, Postgres>,
        progress: &mut ChangeProgress,
        id: RecordId,
        base_version: Version,
        update: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    ) -> StoreResult<StoredRecord> {
        Self::flush_inserts(tx, progress).await?;
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
        tx: &mut Transaction<'static, Postgres>,
        progress: &mut ChangeProgress,
        id: RecordId,
        base_version: Version,
        to: RecordStatus,
        audit: &AuditEntry,
    ) -> StoreResult<StoredRecord> {
        let from = match to {
            RecordStatus::Ended => RecordStatus::Active,
            RecordStatus::Active => RecordStatus::Ended,
        };
        let update = sqlx::query(
            "UPDATE records SET version = version + 1, status = $1, updated_at = $2, \
             updated_by = $3 WHERE id = $4 AND version = $5 AND status = $6",
        )
        .bind(to.as_str())
        .bind(to_odt(audit.at))
        .bind(&audit.actor.display_name)
        .bind(id.0)
        .bind(base_version)
        .bind(from.as_str());
        Self::change_record(tx, progress, id, base_version, update).await
    }

    /// Applies one operation of a change: an insert joins the pending batch; an update or
    /// an end first writes the pending inserts, so the operations keep their order.
    async fn apply_op(
        tx: &mut Transaction<'static, Postgres>,
        op: &WriteOp,
        audit: &AuditEntry,
        progress: &mut ChangeProgress,
    ) -> StoreResult<()> {
        let at = audit.at;
        let who = &audit.actor.display_name;
        let (rec, kind) = match op {
            WriteOp::Insert(new) => {
                progress
                    .pending
                    .push(StoredRecord::first_version(new.clone(), audit));
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
                let update = sqlx::query(
                    "UPDATE records SET version = version + 1, classification = $1, marking = $2, \
                     summary = $3, sort_key = $4, subtype = $5, body = $6, updated_at = $7, \
                     updated_by = $8 WHERE id = $9 AND version = $10",
                )
                .bind(marking.classification.rank())
                .bind(json_value(marking)?)
                .bind(summary)
                .bind(sort_key(summary))
                .bind(subtype)
                .bind(body)
                .bind(to_odt(at))
                .bind(who)
                .bind(id.0)
                .bind(base_version);
                (
                    Self::change_record(tx, progress, *id, *base_version, update).await?,
                    ChangeKind::Update,
                )
            }
            WriteOp::End { id, base_version } => (
                Self::set_status(tx, progress, *id, *base_version, RecordStatus::Ended, audit)
                    .await?,
                ChangeKind::End,
            ),
            WriteOp::Reopen { id, base_version } => (
                Self::set_status(
                    tx,
                    progress,
                    *id,
                    *base_version,
                    RecordStatus::Active,
                    audit,
                )
                .await?,
                ChangeKind::Update,
            ),
            // The row is held (FOR SHARE) until this change commits: a change of the
            // record (a merge) waits for it, then sees what it wrote.
            WriteOp::Unchanged { id, base_version } => {
                let current: Option<i64> =
                    sqlx::query_scalar("SELECT version FROM records WHERE id = $1 FOR SHARE")
                        .bind(id.0)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(write_error)?;
                return unchanged_outcome(*id, *base_version, current);
            }
            WriteOp::LinksInForce {
                id,
                base_version,
                links,
            } => {
                // Links this change inserted count too.
                Self::flush_inserts(tx, progress).await?;
                let found: Vec<uuid::Uuid> = sqlx::query_scalar(
                    "SELECT id FROM records WHERE kind = 'link' AND status = 'active' \
                     AND (link_from = $1 OR link_to = $1)",
                )
                .bind(id.0)
                .fetch_all(&mut **tx)
                .await
                .map_err(write_error)?;
                let found = found.into_iter().map(RecordId).collect();
                return links_in_force_outcome(*id, *base_version, links, found);
            }
        };
        progress.record(rec, kind);
        Ok(())
    }

    async fn apply_once(&self, change: &Change) -> Result<Vec<StoredRecord>, Attempt> {
        let mut tx = self.pool.begin().await.map_err(Attempt::from_sqlx)?;
        // Consecutive inserts go in multi-row statements (one round trip per thousand rows).
        let mut progress = ChangeProgress::default();
        for op in &change.ops {
            Self::apply_op(&mut tx, op, &change.audit, &mut progress).await?;
        }
        Self::flush_inserts(&mut tx, &mut progress).await?;
        let ChangeProgress { written, kinds, .. } = progress;
        Self::insert_versions(&mut tx, &written, &kinds, &change.audit).await?;
        let mut audit = change.audit.clone();
        audit.subjects = written
            .iter()
            .map(written_subject)
            .collect::<StoreResult<_>>()?;
        Self::insert_audit(&mut tx, &audit).await?;
        for chunk in change.events.chunks(1000) {
            let mut q = QueryBuilder::<Postgres>::new(
                "INSERT INTO outbox (event_id, event_type, occurred_at, payload) ",
            );
            q.push_values(chunk, |mut b, e| {
                b.push_bind(e.event_id)
                    .push_bind(e.event_type.clone())
                    .push_bind(to_odt(e.occurred_at))
                    .push_bind(e.payload.clone());
            });
            q.build().execute(&mut *tx).await.map_err(write_error)?;
        }
        tx.commit().await.map_err(Attempt::from_sqlx)?;
        Ok(written)
    }

    /// Inserts the pending new records in multi-row statements and moves them to `written`.
    async fn flush_inserts(
        tx: &mut Transaction<'static, Postgres>,
        progress: &mut ChangeProgress,
    ) -> StoreResult<()> {
        for chunk in progress.pending.chunks(1000) {
            let mut rows = Vec::with_capacity(chunk.len());
            for rec in chunk {
                rows.push((rec, json_value(&rec.marking)?));
            }
            let mut q = QueryBuilder::<Postgres>::new(
                "INSERT INTO records (id, kind, version, classification, marking, summary, \
                 sort_key, subtype, body, link_from, link_to, link_role, status, created_at, \
                 created_by, updated_at, updated_by) ",
            );
            q.push_values(rows, |mut b, (rec, marking)| {
                let link = rec.link.as_ref();
                b.push_bind(rec.id.0)
                    .push_bind(rec.kind.as_str())
                    .push_bind(1_i64)
                    .push_bind(rec.marking.classification.rank())
                    .push_bind(marking)
                    .push_bind(rec.summary.clone())
                    .push_bind(sort_key(&rec.summary))
                    .push_bind(rec.subtype.clone())
                    .push_bind(rec.body.clone())
                    .push_bind(link.map(|l| l.from.0))
                    .push_bind(link.map(|l| l.to.0))
                    .push_bind(link.map(|l| l.role.clone()))
                    .push_bind("active")
                    .push_bind(to_odt(rec.created_at))
                    .push_bind(rec.created_by.clone())
                    .push_bind(to_odt(rec.updated_at))
                    .push_bind(rec.updated_by.clone());
            });
            q.build().execute(&mut **tx).await.map_err(write_error)?;
        }
        progress.inserted();
        Ok(())
    }

    /// Writes the version rows of everything a change wrote, in multi-row statements. A
    /// record's current version leaves its content to `records` (migration 0007).
    async fn insert_versions(
        tx: &mut Transaction<'static, Postgres>,
        recs: &[StoredRecord],
        kinds: &[ChangeKind],
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let current = current_in_change(recs);
        for ((chunk, kinds), current) in recs
            .chunks(1000)
            .zip(kinds.chunks(1000))
            .zip(current.chunks(1000))
        {
            let mut rows = Vec::with_capacity(chunk.len());
            for ((rec, kind), current) in chunk.iter().zip(kinds).zip(current) {
                let content = if *current {
                    (None, None, None)
                } else {
                    (
                        Some(json_value(&rec.marking)?),
                        Some(rec.summary.clone()),
                        Some(rec.body.clone()),
                    )
                };
                rows.push((rec, *kind, content));
            }
            let mut q = QueryBuilder::<Postgres>::new(
                "INSERT INTO record_versions (record_id, version, kind, classification, marking, \
                 summary, body, status, change, changed_at, changed_by, changed_by_name, audit_id) ",
            );
            q.push_values(rows, |mut b, (rec, kind, (marking, summary, body))| {
                b.push_bind(rec.id.0)
                    .push_bind(rec.version)
                    .push_bind(rec.kind.as_str())
                    .push_bind(rec.marking.classification.rank())
                    .push_bind(marking)
                    .push_bind(summary)
                    .push_bind(body)
                    .push_bind(rec.status.as_str())
                    .push_bind(kind.as_str())
                    .push_bind(to_odt(audit.at))
                    .push_bind(audit.actor.user_id.clone())
                    .push_bind(audit.actor.display_name.clone())
                    .push_bind(audit.id);
            });
            q.build().execute(&mut **tx).await.map_err(write_error)?;
        }
        Ok(())
    }

    /// Before a record changes: its current version's row gets the content it left to
    /// `records` (migration 0007), so the version about to be superseded keeps its own. A
    /// row that already has content (written before 0007, or already kept) is untouched.
    async fn keep_superseded_content(
        tx: &mut Transaction<'static, Postgres>,
        id: RecordId,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE record_versions v SET marking = r.marking, summary = r.summary, body = r.body \
             FROM records r WHERE r.id = $1 AND v.record_id = $1 AND v.body IS NULL",
        )
        .bind(id.0)
        .execute(&mut **tx)
        .await
        .map_err(write_error)?;
        Ok(())
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn apply(&self, change: Change) -> StoreResult<Vec<StoredRecord>> {
        let mut attempt = 1;
        loop {
            match self.apply_once(&change).await {
                Ok(written) => return Ok(written),
                Err(Attempt::Retry(e)) if attempt < MAX_ATTEMPTS => {
                    tracing::warn!(attempt, error = %e, "serialization failure or deadlock; retrying the change");
                    tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt))).await;
                    attempt += 1;
                }
                Err(Attempt::Retry(e)) => return Err(StoreError::Unavailable(e)),
                Err(Attempt::Fail(e)) => return Err(e),
            }
        }
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
            "{VERSION_SELECT} WHERE v.record_id = $1 ORDER BY v.version"
        ))
        .bind(id.0)
        .fetch_all(&self.pool)
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
            "{VERSION_SELECT} WHERE v.record_id = $1 AND v.version = $2"
        ))
        .bind(id.0)
        .bind(version)
        .fetch_optional(&self.pool)
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
        let cols = "l.id, l.kind, l.version, l.classification, l.marking, l.summary, l.subtype, l.body, \
                    l.link_from, l.link_to, l.link_role, l.status, l.created_at, l.created_by, \
                    l.updated_at, l.updated_by, o.id AS other_id, o.kind AS other_kind, \
                    o.summary AS other_summary, o.marking AS other_marking";
        let sql = format!(
            "SELECT {cols}, TRUE AS outgoing FROM records l JOIN records o ON o.id = l.link_to \
             WHERE l.link_from = $1 {status} \
             UNION ALL \
             SELECT {cols}, FALSE AS outgoing FROM records l JOIN records o ON o.id = l.link_from \
             WHERE l.link_to = $1 {status} \
             ORDER BY summary, other_summary, id"
        );
        let rows = sqlx::query(&sql)
            .bind(id.0)
            .fetch_all(&self.pool)
            .await
            .map_err(internal)?;
        let links = readable_links(&rows)?;
        let shown = gate_links(&mut audit, gate, &rec, links);
        self.commit_audit(audit).await?;
        Ok(shown.map(|links| (rec, links)))
    }

    async fn consult_list(&self, query: ListQuery, mut audit: AuditEntry) -> StoreResult<Page> {
        let (filter, n) = list_filter(&query);
        let order = match query.order {
            ListOrder::Summary => "sort_key COLLATE \"C\", id",
            ListOrder::RecentlyUpdated => "updated_at DESC, id DESC",
        };
        let count_sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1{filter} LIMIT {}) AS capped",
            COUNT_CAP + 1
        );
        let page_sql = format!(
            "SELECT {RECORD_COLUMNS}{filter} ORDER BY {order} LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let total: i64 = bind_list(&count_sql, &query)
            .fetch_one(&self.pool)
            .await
            .map_err(internal)?
            .try_get("n")
            .map_err(internal)?;
        let rows = bind_list(&page_sql, &query)
            .bind(i64::from(query.per_page))
            .bind(i64::try_from(query.offset()).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
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
        readable_records(&self.load_rows(RECORD_COLUMNS, ids).await?)
    }

    async fn load_json(&self, ids: &[RecordId]) -> StoreResult<Vec<ScannedRecord>> {
        readable_scanned(&self.load_rows(SCAN_JSON_COLUMNS, ids).await?)
    }

    async fn scan(
        &self,
        kind: RecordKind,
        after: Option<RecordId>,
        limit: u32,
    ) -> StoreResult<Vec<StoredRecord>> {
        let rows = self.scan_rows(RECORD_COLUMNS, kind, after, limit).await?;
        readable_records(&rows)
    }

    async fn scan_json(
        &self,
        kind: RecordKind,
        after: Option<RecordId>,
        limit: u32,
    ) -> StoreResult<Vec<ScannedRecord>> {
        let rows = self
            .scan_rows(SCAN_JSON_COLUMNS, kind, after, limit)
            .await?;
        readable_scanned(&rows)
    }

    async fn links_at(
        &self,
        end: LinkEnd,
        ids: &[RecordId],
        roles: &[&str],
    ) -> StoreResult<Vec<ScannedRecord>> {
        let uuids: Vec<uuid::Uuid> = ids.iter().map(|i| i.0).collect();
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        let rows = sqlx::query(&format!(
            "SELECT {SCAN_JSON_COLUMNS} FROM records WHERE {} = ANY($1) \
             AND link_role = ANY($2) AND status = 'active' ORDER BY id",
            end.column()
        ))
        .bind(&uuids)
        .bind(&roles)
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        readable_scanned(&rows)
    }

    async fn audit_only(&self, audit: AuditEntry) -> StoreResult<()> {
        self.commit_audit(audit).await
    }

    async fn outbox_pending(&self, limit: u32) -> StoreResult<Vec<OutboxRow>> {
        let rows = sqlx::query(
            "SELECT seq, event_id, event_type, occurred_at, payload FROM outbox \
             WHERE delivered_at IS NULL ORDER BY seq LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        rows.iter().map(outbox_from_row).collect()
    }

    async fn outbox_backlog(&self, cap: u32) -> StoreResult<u64> {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM outbox WHERE delivered_at IS NULL LIMIT $1) AS pending",
        )
        .bind(i64::from(cap))
        .fetch_one(&self.pool)
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
        sqlx::query("UPDATE outbox SET delivered_at = now() WHERE seq = ANY($1)")
            .bind(seqs)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn outbox_prune(&self, delivered_before: jiff::Timestamp) -> StoreResult<u64> {
        sqlx::query(
            "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox \
             WHERE delivered_at IS NOT NULL AND delivered_at < $1 LIMIT 10000)",
        )
        .bind(to_odt(delivered_before))
        .execute(&self.pool)
        .await
        .map(|r| r.rows_affected())
        .map_err(unavailable)
    }

    async fn audit_entries(&self, after: i64, limit: u32) -> StoreResult<Vec<AuditRow>> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(internal)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn count(&self, query: &ListQuery) -> StoreResult<(u64, bool)> {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1{} LIMIT {}) AS capped",
            list_filter(query).0,
            COUNT_CAP + 1
        );
        let n: i64 = bind_list(&sql, query)
            .fetch_one(&self.pool)
            .await
            .map_err(internal)?
            .try_get("n")
            .map_err(internal)?;
        let n = u64::try_from(n).unwrap_or(0);
        Ok((n.min(COUNT_CAP), n <= COUNT_CAP))
    }

    async fn counts(&self) -> StoreResult<Counts> {
        let rows = sqlx::query("SELECT kind, COUNT(*) AS n FROM records GROUP BY kind")
            .fetch_all(&self.pool)
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
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn grants(&self, filter: &GrantFilter) -> StoreResult<Vec<AccessGrant>> {
        let mut qb: sqlx::QueryBuilder<sqlx::Postgres> =
            sqlx::QueryBuilder::new("SELECT grant_json FROM access_grants WHERE TRUE");
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
            .fetch_all(&self.pool)
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
            "SELECT candidate_json FROM duplicate_candidates WHERE status = $1 \
             ORDER BY weight DESC, a, b LIMIT $2",
        )
        .bind(status.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        bluelamp_store::support::parse_candidates(&rows)
    }

    async fn duplicate_candidates_of(&self, id: RecordId) -> StoreResult<Vec<DuplicateCandidate>> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT candidate_json, weight, a, b FROM duplicate_candidates WHERE a = $1 \
             UNION ALL SELECT candidate_json, weight, a, b FROM duplicate_candidates \
             WHERE b = $1 ORDER BY weight DESC, a, b",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        bluelamp_store::support::parse_candidates(&rows)
    }

    async fn audit_search(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRow>> {
        let mut qb: sqlx::QueryBuilder<sqlx::Postgres> =
            sqlx::QueryBuilder::new("SELECT * FROM audit_log WHERE TRUE");
        if let Some(u) = &query.user_id {
            qb.push(" AND user_id = ").push_bind(u.clone());
        }
        if let Some(r) = query.record_id {
            qb.push(" AND subjects @> ")
                .push_bind(serde_json::json!([{ "id": r.to_string() }]));
        }
        if let Some(a) = query.action {
            qb.push(" AND action = ").push_bind(a.as_str());
        }
        if let Some(t) = query.from {
            qb.push(" AND at >= ").push_bind(to_odt(t));
        }
        if let Some(t) = query.to {
            qb.push(" AND at < ").push_bind(to_odt(t));
        }
        if let Some(s) = query.before_seq {
            qb.push(" AND seq < ").push_bind(s);
        }
        qb.push(" ORDER BY seq DESC LIMIT ")
            .push_bind(i64::from(query.limit));
        let rows = qb.build().fetch_all(&self.pool).await.map_err(internal)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn next_reference(&self, scope: &str) -> StoreResult<i64> {
        // One statement, atomic on its own; a serialization failure is retried.
        let mut attempt = 1;
        loop {
            let result = sqlx::query_scalar(
                "INSERT INTO reference_counters (scope, last) VALUES ($1, 1) \
                 ON CONFLICT (scope) DO UPDATE SET last = reference_counters.last + 1 \
                 RETURNING last",
            )
            .bind(scope)
            .fetch_one(&self.pool)
            .await;
            match result {
                Ok(n) => return Ok(n),
                Err(e) if attempt < 5 && is_retryable(&e) => attempt += 1,
                Err(e) => return Err(internal(e)),
            }
        }
    }

    async fn directory_apply(&self, change: DirectoryChange) -> StoreResult<DirectoryOutcome> {
        let mut attempt = 1;
        loop {
            match self.directory_once(&change).await {
                Ok(done) => return Ok(done),
                Err(Attempt::Retry(e)) if attempt < MAX_ATTEMPTS => {
                    tracing::warn!(attempt, error = %e, "serialization failure; retrying");
                    tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt))).await;
                    attempt += 1;
                }
                Err(Attempt::Retry(e)) => return Err(StoreError::Unavailable(e)),
                Err(Attempt::Fail(e)) => return Err(e),
            }
        }
    }

    async fn user(&self, username: &bluelamp_domain::Username) -> StoreResult<Option<UserAccount>> {
        let json: Option<serde_json::Value> =
            sqlx::query_scalar("SELECT account FROM users WHERE username = $1")
                .bind(username.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
        json.map(directory::account_from_json).transpose()
    }

    async fn users(&self) -> StoreResult<Vec<UserAccount>> {
        let rows: Vec<serde_json::Value> =
            sqlx::query_scalar("SELECT account FROM users ORDER BY username COLLATE \"C\"")
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?;
        rows.into_iter().map(directory::account_from_json).collect()
    }

    async fn session(&self, id_hash: &str) -> StoreResult<Option<Session>> {
        let row = sqlx::query("SELECT session FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.as_ref().map(directory::session_from_row).transpose()
    }

    async fn audit_unsequenced(&self, limit: u32) -> StoreResult<Vec<AuditRow>> {
        // Only records whose transactions finished before every transaction still running
        // began: nothing committed later can then take an earlier place. Late records are
        // looked for in a window of the last 100,000 seqs.
        let rows = sqlx::query(
            "SELECT a.* FROM audit_log a \
             LEFT JOIN audit_leaves l ON l.seq = a.seq \
             WHERE l.seq IS NULL \
               AND a.seq > COALESCE((SELECT MAX(seq) FROM audit_leaves), 0) - 100000 \
               AND a.tx_id < pg_snapshot_xmin(pg_current_snapshot()) \
             ORDER BY a.seq LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn audit_append(
        &self,
        leaves: Vec<LeafRow>,
        checkpoint: CheckpointRow,
    ) -> StoreResult<()> {
        match self.audit_append_once(&leaves, &checkpoint).await {
            Ok(()) => Ok(()),
            Err(Attempt::Retry(e)) => Err(StoreError::Unavailable(e)),
            Err(Attempt::Fail(e)) => Err(e),
        }
    }

    async fn audit_checkpoints(&self) -> StoreResult<Vec<CheckpointRow>> {
        let rows = sqlx::query("SELECT * FROM audit_checkpoints ORDER BY tree_size")
            .fetch_all(&self.pool)
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
             LEFT JOIN audit_log a ON a.seq = l.seq WHERE l.leaf_index >= $1 \
             ORDER BY l.leaf_index LIMIT $2",
        )
        .bind(from_index)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(internal)?;
        rows.iter()
            .map(|r| {
                let leaf = LeafRow {
                    leaf_index: r.try_get("leaf_index").map_err(internal)?,
                    seq: r.try_get("leaf_seq").map_err(internal)?,
                    leaf_hash: r.try_get("leaf_hash").map_err(internal)?,
                };
                let present: Option<uuid::Uuid> = r.try_get("id").map_err(internal)?;
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
            "SELECT a.seq FROM audit_log a LEFT JOIN audit_leaves l ON l.seq = a.seq \
             WHERE l.seq IS NULL AND a.seq < $1 ORDER BY a.seq LIMIT $2",
        )
        .bind(below_seq)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(internal)
    }
}

/// The FROM and WHERE of a list query and the number of placeholders it uses; `bind_list`
/// binds its values in the same order.
fn list_filter(query: &ListQuery) -> (String, usize) {
    let mut filter = String::from(" FROM records WHERE kind = $1");
    let mut n = 1;
    if query.subtype.is_some() {
        n += 1;
        filter.push_str(&format!(" AND subtype = ${n}"));
    }
    if query.summary_prefix.is_some() {
        filter.push_str(&format!(
            " AND sort_key COLLATE \"C\" >= ${} AND sort_key COLLATE \"C\" < ${}",
            n + 1,
            n + 2
        ));
        n += 2;
    }
    if query.visibility.is_some() {
        // Visibility::allows in SQL: clearance, every compartment held, and for a
        // restricted record a named team, the user named, or a supervisor in a named
        // officer's unit. Bound in bind_list's order.
        filter.push_str(&format!(
            " AND classification <= ${} \
             AND (marking -> 'compartments') <@ ${}::jsonb \
             AND (NOT (marking ? 'restriction') \
                  OR (marking -> 'restriction' -> 'teams') ? ${} \
                  OR (marking -> 'restriction' -> 'officers') ? ${} \
                  OR (${} AND (marking -> 'restriction' -> 'officer_units') ? ${}))",
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            n + 5,
            n + 3
        ));
        n += 5;
    }
    (filter, n)
}

/// Binds a list query's filter values in the order `consult_list` wrote their placeholders.
fn bind_list<'q>(
    sql: &'q str,
    query: &'q ListQuery,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
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
            .bind(serde_json::Value::from(v.compartments.clone()))
            .bind(v.unit.as_str())
            .bind(v.user_id.as_str())
            .bind(v.supervisor);
    }
    q
}
