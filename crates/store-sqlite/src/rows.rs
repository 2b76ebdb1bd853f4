//! SQLite rows to domain types and back. Private to the adapter: nothing outside this crate
//! sees a row. Instants are stored as fixed-width RFC 3339 text in UTC with microseconds, so
//! text order is time order.

use bluelamp_domain::{Actor, audit::AuditSubject};
use bluelamp_domain::{AuditEntry, Marking, RecordId, RecordKind, RequestContext};
use bluelamp_store::support::{
    check_held_content, classification_agrees, parse_action, parse_outcome, readable,
};
use bluelamp_store::*;
use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use std::str::FromStr;
use uuid::Uuid;

pub use bluelamp_store::support::outcome_str;

pub fn ts_text(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn parse_ts(s: &str) -> StoreResult<Timestamp> {
    s.parse()
        .map_err(|e| StoreError::Internal(format!("bad timestamp {s:?} in database: {e}")))
}

pub fn json_text<T: Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Internal(format!("cannot encode JSON: {e}")))
}

fn parse_json<T: DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Internal(format!("bad JSON in database: {e}")))
}

fn id(s: &str) -> StoreResult<RecordId> {
    RecordId::from_str(s).map_err(|e| StoreError::Internal(format!("bad id in database: {e}")))
}

fn uuid(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Internal(format!("bad uuid in database: {e}")))
}

fn get<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(
    row: &'r SqliteRow,
    col: &str,
) -> StoreResult<T> {
    row.try_get(col).map_err(internal)
}

fn kind(s: &str) -> StoreResult<RecordKind> {
    RecordKind::from_str(s).map_err(StoreError::Internal)
}

/// A row as a record, refusing (an error) a row whose classification column and marking
/// disagree: for reads of one record that must not go on without it (a change's own read).
pub fn record_from_row(row: &SqliteRow) -> StoreResult<StoredRecord> {
    let (rec, column) = decoded(row)?;
    classification_agrees(rec.id, column, &rec.marking)?;
    Ok(rec)
}

/// Rows as records, leaving out those `support::shown_among_many` hides and those whose
/// body is not JSON. SQLite keeps bodies as text, so a body changed by hand can be
/// anything; such a row is left out of every read of many records (a load, a scan, a list),
/// and logged, as a row whose classification column was altered is, so that it stops
/// neither the rest nor the search index. `bluelamp audit records` names it.
pub fn readable_records(rows: &[SqliteRow]) -> StoreResult<Vec<StoredRecord>> {
    Ok(readable_scanned(rows)?
        .into_iter()
        .filter_map(|rec| match serde_json::from_str(&rec.body) {
            Ok(body) => Some(rec.map_body(|_| body)),
            Err(e) => {
                tracing::error!(record.id = %rec.id, error = %e, "a record whose body is not JSON (changed outside Bluelamp) is left out of this read; `bluelamp audit records` names it");
                None
            }
        })
        .collect())
}

/// Rows as records with their bodies as text (`Store::scan_json`), leaving out those
/// `support::shown_among_many` hides.
pub fn readable_scanned(rows: &[SqliteRow]) -> StoreResult<Vec<ScannedRecord>> {
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
fn decoded(row: &SqliteRow) -> StoreResult<(StoredRecord, i64)> {
    Ok((record_unchecked(row)?, classification(row)?))
}

fn classification(row: &SqliteRow) -> StoreResult<i64> {
    get::<i64>(row, "classification")
}

fn record_unchecked(row: &SqliteRow) -> StoreResult<StoredRecord> {
    record_with(row, parse_json(&get::<String>(row, "body")?)?)
}

/// A row as a record, with `body` as its body (decoded, or the column's text).
fn record_with<B>(row: &SqliteRow, body: B) -> StoreResult<StoredRecord<B>> {
    let link_from: Option<String> = get(row, "link_from")?;
    let link_to: Option<String> = get(row, "link_to")?;
    let link_role: Option<String> = get(row, "link_role")?;
    let link = match (link_from, link_to, link_role) {
        (Some(f), Some(t), Some(role)) => Some(LinkEnds {
            from: id(&f)?,
            to: id(&t)?,
            role,
        }),
        _ => None,
    };
    let status: String = get(row, "status")?;
    Ok(StoredRecord {
        id: id(&get::<String>(row, "id")?)?,
        kind: kind(&get::<String>(row, "kind")?)?,
        version: get(row, "version")?,
        marking: parse_json::<Marking>(&get::<String>(row, "marking")?)?,
        summary: get(row, "summary")?,
        subtype: get(row, "subtype")?,
        body,
        link,
        status: RecordStatus::parse(&status)
            .ok_or_else(|| StoreError::Internal(format!("bad status {status:?}")))?,
        created_at: parse_ts(&get::<String>(row, "created_at")?)?,
        created_by: get(row, "created_by")?,
        updated_at: parse_ts(&get::<String>(row, "updated_at")?)?,
        updated_by: get(row, "updated_by")?,
    })
}

/// A row of `VERSION_SELECT`.
pub fn version_from_row(row: &SqliteRow) -> StoreResult<RecordVersion> {
    let status: String = get(row, "status")?;
    let change: String = get(row, "change")?;
    let record_id = id(&get::<String>(row, "record_id")?)?;
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
        marking: parse_json(&get::<String>(row, "marking")?)?,
        summary: get(row, "summary")?,
        body: parse_json(&get::<String>(row, "body")?)?,
        status: RecordStatus::parse(&status)
            .ok_or_else(|| StoreError::Internal(format!("bad status {status:?}")))?,
        change: ChangeKind::parse(&change)
            .ok_or_else(|| StoreError::Internal(format!("bad change {change:?}")))?,
        changed_at: parse_ts(&get::<String>(row, "changed_at")?)?,
        changed_by: get(row, "changed_by")?,
        changed_by_name: get(row, "changed_by_name")?,
        audit_id: uuid(&get::<String>(row, "audit_id")?)?,
    })
}

/// A record's links, leaving out those `support::shown_among_many` hides.
pub fn readable_links(rows: &[SqliteRow]) -> StoreResult<Vec<LinkView>> {
    readable(rows, decoded, link_view)
}

fn link_view(row: &SqliteRow, link: StoredRecord) -> StoreResult<LinkView> {
    let outgoing: i64 = get(row, "outgoing")?;
    Ok(LinkView {
        link,
        other_id: id(&get::<String>(row, "other_id")?)?,
        other_kind: kind(&get::<String>(row, "other_kind")?)?,
        other_summary: get(row, "other_summary")?,
        other_marking: parse_json(&get::<String>(row, "other_marking")?)?,
        outgoing: outgoing == 1,
    })
}

pub fn outbox_from_row(row: &SqliteRow) -> StoreResult<OutboxRow> {
    Ok(OutboxRow {
        seq: get(row, "seq")?,
        event: OutboxEvent {
            event_id: uuid(&get::<String>(row, "event_id")?)?,
            event_type: get(row, "event_type")?,
            occurred_at: parse_ts(&get::<String>(row, "occurred_at")?)?,
            payload: parse_json(&get::<String>(row, "payload")?)?,
        },
    })
}

pub fn audit_from_row(row: &SqliteRow) -> StoreResult<AuditRow> {
    let action: String = get(row, "action")?;
    let outcome: String = get(row, "outcome")?;
    Ok(AuditRow {
        seq: get(row, "seq")?,
        entry: AuditEntry {
            id: uuid(&get::<String>(row, "id")?)?,
            at: parse_ts(&get::<String>(row, "at")?)?,
            actor: Actor {
                user_id: get(row, "user_id")?,
                display_name: get(row, "user_name")?,
            },
            action: parse_action(&action)
                .ok_or_else(|| StoreError::Internal(format!("bad audit action {action:?}")))?,
            outcome: parse_outcome(&outcome)
                .ok_or_else(|| StoreError::Internal(format!("bad audit outcome {outcome:?}")))?,
            subjects: parse_json::<Vec<AuditSubject>>(&get::<String>(row, "subjects")?)?,
            service: get(row, "service")?,
            context: RequestContext {
                correlation_id: get(row, "correlation_id")?,
                source_address: get(row, "source_address")?,
                user_agent: get(row, "user_agent")?,
                session_id: get(row, "session_id")?,
            },
            details: parse_json(&get::<String>(row, "details")?)?,
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

/// Turns a refused write into a clear store error: a missing link end or a repeated id is
/// the caller's problem (409/422), anything else is ours.
pub fn write_error(e: sqlx::Error) -> StoreError {
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
