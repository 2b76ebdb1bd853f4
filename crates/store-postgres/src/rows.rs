//! PostgreSQL rows to domain types and back. Private to the adapter.

use bluelamp_domain::audit::AuditSubject;
use bluelamp_domain::{Actor, AuditEntry, Marking, RecordId, RecordKind, RequestContext};
use bluelamp_store::support::{
    check_held_content, classification_agrees, parse_action, parse_outcome, readable,
};
use bluelamp_store::*;
use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::Row;
use sqlx::postgres::PgRow;
use std::str::FromStr;
use time::OffsetDateTime;
use uuid::Uuid;

pub use bluelamp_store::support::outcome_str;

/// jiff instants become `time` values only at this boundary, because sqlx binds `time`.
pub fn to_odt(t: Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(t.as_nanosecond())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn from_odt(t: OffsetDateTime) -> StoreResult<Timestamp> {
    Timestamp::from_nanosecond(t.unix_timestamp_nanos())
        .map_err(|e| StoreError::Internal(format!("timestamp out of range in database: {e}")))
}

pub fn json_value<T: Serialize>(v: &T) -> StoreResult<Value> {
    serde_json::to_value(v).map_err(|e| StoreError::Internal(format!("cannot encode JSON: {e}")))
}

fn from_json<T: DeserializeOwned>(v: Value) -> StoreResult<T> {
    serde_json::from_value(v)
        .map_err(|e| StoreError::Internal(format!("bad JSON in database: {e}")))
}

fn get<'r, T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>>(
    row: &'r PgRow,
    col: &str,
) -> StoreResult<T> {
    row.try_get(col).map_err(internal)
}

fn kind(s: &str) -> StoreResult<RecordKind> {
    RecordKind::from_str(s).map_err(StoreError::Internal)
}

fn status(s: &str) -> StoreResult<RecordStatus> {
    RecordStatus::parse(s).ok_or_else(|| StoreError::Internal(format!("bad status {s:?}")))
}

/// A row as a record, refusing (an error) a row whose classification column and marking
/// disagree: for reads of one record that must not go on without it (a change's own read).
pub fn record_from_row(row: &PgRow) -> StoreResult<StoredRecord> {
    let (rec, column) = decoded(row)?;
    classification_agrees(rec.id, column, &rec.marking)?;
    Ok(rec)
}

/// Rows as records, leaving out those `support::shown_among_many` hides.
pub fn readable_records(rows: &[PgRow]) -> StoreResult<Vec<StoredRecord>> {
    readable(rows, decoded, |_, rec| Ok(rec))
}

/// Rows of `SCAN_JSON_COLUMNS` (the body as text) as records, leaving out those
/// `support::shown_among_many` hides.
pub fn readable_scanned(rows: &[PgRow]) -> StoreResult<Vec<ScannedRecord>> {
    readable(
        rows,
        |row| {
            Ok((
                record_with(row, get::<String>(row, "body")?)?,
                classification(row)?,
            ))
        },
        |_, rec| Ok(rec),
    )
}

/// A row's record and its classification column, not yet compared.
fn decoded(row: &PgRow) -> StoreResult<(StoredRecord, i64)> {
    Ok((record_unchecked(row)?, classification(row)?))
}

fn classification(row: &PgRow) -> StoreResult<i64> {
    get::<i16>(row, "classification").map(i64::from)
}

fn record_unchecked(row: &PgRow) -> StoreResult<StoredRecord> {
    record_with(row, get(row, "body")?)
}

/// A row as a record, with `body` as its body (decoded, or the column's text).
fn record_with<B>(row: &PgRow, body: B) -> StoreResult<StoredRecord<B>> {
    let link_from: Option<Uuid> = get(row, "link_from")?;
    let link_to: Option<Uuid> = get(row, "link_to")?;
    let link_role: Option<String> = get(row, "link_role")?;
    let link = match (link_from, link_to, link_role) {
        (Some(f), Some(t), Some(role)) => Some(LinkEnds {
            from: RecordId(f),
            to: RecordId(t),
            role,
        }),
        _ => None,
    };
    Ok(StoredRecord {
        id: RecordId(get(row, "id")?),
        kind: kind(&get::<String>(row, "kind")?)?,
        version: get(row, "version")?,
        marking: from_json::<Marking>(get(row, "marking")?)?,
        summary: get(row, "summary")?,
        subtype: get(row, "subtype")?,
        body,
        link,
        status: status(&get::<String>(row, "status")?)?,
        created_at: from_odt(get(row, "created_at")?)?,
        created_by: get(row, "created_by")?,
        updated_at: from_odt(get(row, "updated_at")?)?,
        updated_by: get(row, "updated_by")?,
    })
}

/// A row of `VERSION_SELECT`.
pub fn version_from_row(row: &PgRow) -> StoreResult<RecordVersion> {
    let change: String = get(row, "change")?;
    let record_id = RecordId(get(row, "record_id")?);
    let version = get(row, "version")?;
    check_held_content(
        record_id,
        version,
        get(row, "held_in_record")?,
        get(row, "current_version")?,
    )?;
    Ok(RecordVersion {
        id: record_id,
        kind: kind(&get::<String>(row, "kind")?)?,
        version,
        marking: from_json(get(row, "marking")?)?,
        summary: get(row, "summary")?,
        body: get(row, "body")?,
        status: status(&get::<String>(row, "status")?)?,
        change: ChangeKind::parse(&change)
            .ok_or_else(|| StoreError::Internal(format!("bad change {change:?}")))?,
        changed_at: from_odt(get(row, "changed_at")?)?,
        changed_by: get(row, "changed_by")?,
        changed_by_name: get(row, "changed_by_name")?,
        audit_id: get(row, "audit_id")?,
    })
}

/// A record's links, leaving out those `support::shown_among_many` hides.
pub fn readable_links(rows: &[PgRow]) -> StoreResult<Vec<LinkView>> {
    readable(rows, decoded, link_view)
}

fn link_view(row: &PgRow, link: StoredRecord) -> StoreResult<LinkView> {
    Ok(LinkView {
        link,
        other_id: RecordId(get(row, "other_id")?),
        other_kind: kind(&get::<String>(row, "other_kind")?)?,
        other_summary: get(row, "other_summary")?,
        other_marking: from_json(get(row, "other_marking")?)?,
        outgoing: get(row, "outgoing")?,
    })
}

pub fn outbox_from_row(row: &PgRow) -> StoreResult<OutboxRow> {
    Ok(OutboxRow {
        seq: get(row, "seq")?,
        event: OutboxEvent {
            event_id: get(row, "event_id")?,
            event_type: get(row, "event_type")?,
            occurred_at: from_odt(get(row, "occurred_at")?)?,
            payload: get(row, "payload")?,
        },
    })
}

pub fn audit_from_row(row: &PgRow) -> StoreResult<AuditRow> {
    let action: String = get(row, "action")?;
    let outcome: String = get(row, "outcome")?;
    Ok(AuditRow {
        seq: get(row, "seq")?,
        entry: AuditEntry {
            id: get(row, "id")?,
            at: from_odt(get(row, "at")?)?,
            actor: Actor {
                user_id: get(row, "user_id")?,
                display_name: get(row, "user_name")?,
            },
            action: parse_action(&action)
                .ok_or_else(|| StoreError::Internal(format!("bad audit action {action:?}")))?,
            outcome: parse_outcome(&outcome)
                .ok_or_else(|| StoreError::Internal(format!("bad audit outcome {outcome:?}")))?,
            subjects: from_json::<Vec<AuditSubject>>(get(row, "subjects")?)?,
            service: get(row, "service")?,
            context: RequestContext {
                correlation_id: get(row, "correlation_id")?,
                source_address: get(row, "source_address")?,
                user_agent: get(row, "user_agent")?,
                session_id: get(row, "session_id")?,
            },
            details: get(row, "details")?,
        },
    })
}

pub fn internal(e: sqlx::Error) -> StoreError {
    StoreError::Internal(e.to_string())
}

pub fn unavailable(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Database(db) => StoreError::Internal(db.to_string()),
        other => StoreError::Unavailable(other.to_string()),
    }
}

pub(crate) fn is_retryable(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("40001" | "40P01")))
}

/// Why one attempt at a change failed: worth retrying (serialization failure) or final.
pub enum Attempt {
    Retry(String),
    Fail(StoreError),
}

impl Attempt {
    pub fn from_sqlx(e: sqlx::Error) -> Self {
        if is_retryable(&e) {
            Attempt::Retry(e.to_string())
        } else {
            Attempt::Fail(unavailable(e))
        }
    }
}

/// How [`write_error`] words a statement PostgreSQL refused so that the change may be tried
/// again (a deadlock, a serialization failure); [`Attempt`] knows it by this.
const TRY_AGAIN: &str = "the database asked for the change to be tried again";

impl From<StoreError> for Attempt {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) if m.starts_with(TRY_AGAIN) => Attempt::Retry(m),
            e => Attempt::Fail(e),
        }
    }
}

pub fn write_error(e: sqlx::Error) -> StoreError {
    if is_retryable(&e) {
        // Only the change's own statements: the change is retried from the start.
        return StoreError::Unavailable(format!("{TRY_AGAIN}: {e}"));
    }
    if let sqlx::Error::Database(db) = &e {
        match db.kind() {
            sqlx::error::ErrorKind::ForeignKeyViolation => {
                return StoreError::Constraint("a linked record does not exist".into());
            }
            sqlx::error::ErrorKind::UniqueViolation => {
                return StoreError::Constraint("a record with this id already exists".into());
            }
            sqlx::error::ErrorKind::CheckViolation => {
                return StoreError::Constraint(format!("a stored value breaks a rule: {db}"));
            }
            _ => {}
        }
    }
    internal(e)
}
