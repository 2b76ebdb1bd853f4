//! Helpers both adapters use to turn what they write into audit subjects and back.

use crate::{
    Gate, LinkEnds, LinkView, NewRecord, RecordStatus, RecordVersion, StoreError, StoreResult,
    StoredRecord,
};
use bluelamp_audit::canonical::{write_canonical, write_canonical_with, write_scalar};
use bluelamp_domain::audit::AuditSubject;
use bluelamp_domain::{AuditAction, AuditEntry, AuditOutcome};
use serde_json::Value;

pub fn subject(rec: &StoredRecord) -> AuditSubject {
    AuditSubject {
        id: rec.id,
        kind: rec.kind,
        version: rec.version,
        classification: rec.marking.classification,
        content: None,
    }
}

/// The subject of a version written: [`subject`] with the hash of its content, so that the
/// audit trail (itself tamper-evident) vouches for what was written, not only that
/// something was.
pub fn written_subject(rec: &StoredRecord) -> StoreResult<AuditSubject> {
    Ok(AuditSubject {
        content: Some(content_hash(rec)?),
        ..subject(rec)
    })
}

/// SHA-256 (hex) of a record's content as stored: its kind, marking, summary, sub-type,
/// body, link ends and status, in the audit trail's canonical JSON (keys sorted, so
/// PostgreSQL's JSONB, which reorders keys, hashes as SQLite's text does). Who and when are
/// left out: the audit record that names the version already says so.
pub fn content_hash(rec: &StoredRecord) -> StoreResult<String> {
    hash_content(Content {
        kind: rec.kind,
        marking: &rec.marking,
        summary: &rec.summary,
        subtype: rec.subtype.as_deref(),
        body: &rec.body,
        link: rec.link.as_ref(),
        status: rec.status,
    })
}

/// The [`content_hash`] a new record will have once written (version 1, active), so that a
/// loader can work it out before the write.
pub fn new_record_hash(new: &NewRecord) -> StoreResult<String> {
    hash_content(Content {
        kind: new.kind,
        marking: &new.marking,
        summary: &new.summary,
        subtype: new.subtype.as_deref(),
        body: &new.body,
        link: new.link.as_ref(),
        status: RecordStatus::Active,
    })
}

/// A number in a record's content, written so that what a database gives back hashes as
/// what was written: integers exactly; a float with a whole value as that integer
/// (PostgreSQL's JSONB gives `1e16` back as `10000000000000000` and has no `-0`); any other
/// float to ten significant digits, far finer than anything recorded (a coordinate's
/// millimetre), and coarse enough that serde_json reading a float back one unit in the last
/// place out (it does, without its `float_roundtrip` feature) changes nothing.
fn content_number(n: &serde_json::Number, out: &mut Vec<u8>) {
    if n.is_i64() || n.is_u64() {
        return write_scalar(n, out);
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f.fract() == 0.0 && f.abs() < 9.0e18 {
        // In range, so the cast is exact.
        write_scalar(&(f as i64), out);
    } else {
        out.extend_from_slice(format!("{f:.9e}").as_bytes());
    }
}

struct Content<'a> {
    kind: bluelamp_domain::RecordKind,
    marking: &'a bluelamp_domain::Marking,
    summary: &'a str,
    subtype: Option<&'a str>,
    body: &'a Value,
    link: Option<&'a LinkEnds>,
    status: RecordStatus,
}

fn hash_content(c: Content<'_>) -> StoreResult<String> {
    use sha2::{Digest, Sha256};
    let marking = serde_json::to_value(c.marking)
        .map_err(|e| StoreError::Internal(format!("a marking could not be encoded: {e}")))?;
    let link = c.link.map_or(Value::Null, |l| {
        serde_json::json!({ "from": l.from.to_string(), "to": l.to.to_string(), "role": l.role })
    });
    // The canonical encoding of {"body", "kind", "link", "marking", "status", "subtype",
    // "summary"}, keys in sorted order, written field by field so the body is not copied.
    let mut bytes = Vec::with_capacity(1024);
    bytes.extend_from_slice(b"{\"body\":");
    write_canonical_with(c.body, &mut bytes, &content_number);
    bytes.extend_from_slice(b",\"kind\":");
    write_scalar(c.kind.as_str(), &mut bytes);
    bytes.extend_from_slice(b",\"link\":");
    write_canonical(&link, &mut bytes);
    bytes.extend_from_slice(b",\"marking\":");
    write_canonical(&marking, &mut bytes);
    bytes.extend_from_slice(b",\"status\":");
    write_scalar(c.status.as_str(), &mut bytes);
    bytes.extend_from_slice(b",\"subtype\":");
    write_scalar(&c.subtype, &mut bytes);
    bytes.extend_from_slice(b",\"summary\":");
    write_scalar(c.summary, &mut bytes);
    bytes.push(b'}');
    Ok(hex::encode(Sha256::digest(&bytes)))
}

pub fn version_subject(v: &RecordVersion) -> AuditSubject {
    AuditSubject {
        id: v.id,
        kind: v.kind,
        version: v.version,
        classification: v.marking.classification,
        content: None,
    }
}

/// Refuses a record whose `classification` column (what list and search filters read) is
/// not its marking's (what decisions on the record read): the two are written together,
/// so a difference means the row was changed outside Bluelamp, perhaps to let a record
/// into lists its marking keeps it out of. Failing the read is failing closed.
pub fn classification_agrees(
    id: bluelamp_domain::RecordId,
    column: i64,
    marking: &bluelamp_domain::Marking,
) -> StoreResult<()> {
    if column == i64::from(marking.classification.rank()) {
        Ok(())
    } else {
        Err(StoreError::Internal(format!(
            "record {id} is marked {} but its classification column says {column}: it was changed outside Bluelamp, so it is not shown",
            marking.banner()
        )))
    }
}

/// Whether a record read among many (a list, a load, a scan, a record's links) is shown:
/// not when its classification column and marking disagree ([`classification_agrees`]),
/// which is logged. One row altered by hand hides itself and does not stop the rest;
/// `bluelamp audit records` names it.
pub fn shown_among_many<B>(rec: &StoredRecord<B>, column: i64) -> bool {
    match classification_agrees(rec.id, column, &rec.marking) {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(record = %rec.id, error = %e, "a record left out of a read");
            false
        }
    }
}

/// Rows read among many, as `T`, leaving out those [`shown_among_many`] hides. `decode`
/// reads a row's record (its body decoded or as text) and its classification column;
/// `keep` makes what is returned of a row that is shown (the record itself, or a link with
/// its other end).
pub fn readable<R, B, T>(
    rows: &[R],
    decode: impl Fn(&R) -> StoreResult<(StoredRecord<B>, i64)>,
    keep: impl Fn(&R, StoredRecord<B>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let (rec, column) = decode(row)?;
        if shown_among_many(&rec, column) {
            out.push(keep(row, rec)?);
        }
    }
    Ok(out)
}

/// Adds `key: value` to an audit entry's details, keeping what the caller put there.
pub fn merge_details(details: Value, key: &str, value: String) -> Value {
    match details {
        Value::Object(mut map) => {
            map.insert(key.to_string(), Value::String(value));
            Value::Object(map)
        }
        Value::Null => serde_json::json!({ key: value }),
        other => serde_json::json!({ key: value, "details": other }),
    }
}

/// Puts a gate's decision into an audit entry: the record as its subject, outcome denied
/// when refused, and the deciding policies in the details. Returns whether it may be shown.
pub fn gate_record(
    audit: &mut AuditEntry,
    gate: &dyn Gate,
    kind: bluelamp_domain::RecordKind,
    marking: &bluelamp_domain::Marking,
    subject: AuditSubject,
) -> bool {
    let decision = gate.check_record(subject.id, kind, marking);
    audit.subjects = vec![subject];
    if !decision.allowed {
        audit.outcome = AuditOutcome::Denied;
    }
    let decision_json = serde_json::json!({
        "allowed": decision.allowed,
        "policies": decision.policies,
    });
    audit.details = match std::mem::take(&mut audit.details) {
        Value::Object(mut map) => {
            map.insert("decision".into(), decision_json);
            Value::Object(map)
        }
        Value::Null => serde_json::json!({ "decision": decision_json }),
        other => serde_json::json!({ "decision": decision_json, "details": other }),
    };
    decision.allowed
}

/// A consultation of a record and its links: decides the record, keeps only the links whose
/// own marking and whose other end the gate allows, and names what was shown in the audit
/// entry. `None` when the record is refused (the entry then records the refusal only).
pub fn gate_links(
    audit: &mut AuditEntry,
    gate: &dyn Gate,
    rec: &StoredRecord,
    links: Vec<LinkView>,
) -> Option<Vec<LinkView>> {
    if !gate_record(audit, gate, rec.kind, &rec.marking, subject(rec)) {
        return None;
    }
    let shown: Vec<LinkView> = links
        .into_iter()
        .filter(|l| {
            gate.check(l.link.kind, &l.link.marking).allowed
                && gate.check(l.other_kind, &l.other_marking).allowed
        })
        .collect();
    audit
        .subjects
        .extend(shown.iter().map(|l| subject(&l.link)));
    Some(shown)
}

/// A consultation of a record's history: refused as a whole when the latest version is,
/// otherwise only the versions whose marking the gate allows are shown.
pub fn gate_history(
    audit: &mut AuditEntry,
    gate: &dyn Gate,
    versions: Vec<RecordVersion>,
) -> Vec<RecordVersion> {
    let Some(latest) = versions.last() else {
        return versions;
    };
    if !gate_record(
        audit,
        gate,
        latest.kind,
        &latest.marking,
        version_subject(latest),
    ) {
        return Vec::new();
    }
    versions
        .into_iter()
        .filter(|v| gate.check_record(v.id, v.kind, &v.marking).allowed)
        .collect()
}

/// A consultation of one past version: refused unless the gate allows both that version and
/// the record as it is now (a record since raised to SECRET does not leak through its old
/// OFFICIAL versions).
pub fn gate_version(
    audit: &mut AuditEntry,
    gate: &dyn Gate,
    current: &StoredRecord,
    version: RecordVersion,
) -> Option<RecordVersion> {
    let now = gate_record(
        audit,
        gate,
        current.kind,
        &current.marking,
        subject(current),
    );
    if !now {
        return None;
    }
    if gate_record(
        audit,
        gate,
        version.kind,
        &version.marking,
        version_subject(&version),
    ) {
        Some(version)
    } else {
        None
    }
}

pub fn outcome_str(o: AuditOutcome) -> &'static str {
    match o {
        AuditOutcome::Success => "success",
        AuditOutcome::Denied => "denied",
        AuditOutcome::Failed => "failed",
    }
}

pub fn parse_outcome(s: &str) -> Option<AuditOutcome> {
    match s {
        "success" => Some(AuditOutcome::Success),
        "denied" => Some(AuditOutcome::Denied),
        "failed" => Some(AuditOutcome::Failed),
        _ => None,
    }
}

pub fn parse_action(s: &str) -> Option<AuditAction> {
    serde_json::from_value(Value::String(s.to_string())).ok()
}

/// What one change has written so far, and the new records waiting to be inserted together
/// (adapters write consecutive inserts in multi-row statements).
#[derive(Debug, Default)]
pub struct ChangeProgress {
    pub pending: Vec<crate::StoredRecord>,
    pub written: Vec<crate::StoredRecord>,
    pub kinds: Vec<crate::ChangeKind>,
}

impl ChangeProgress {
    /// The pending inserts' rows are in: they count as written, in order.
    pub fn inserted(&mut self) {
        self.kinds.extend(std::iter::repeat_n(
            crate::ChangeKind::Create,
            self.pending.len(),
        ));
        self.written.append(&mut self.pending);
    }

    pub fn record(&mut self, rec: crate::StoredRecord, kind: crate::ChangeKind) {
        self.written.push(rec);
        self.kinds.push(kind);
    }
}

/// The outcome of an optimistic `UPDATE ... WHERE id = ? AND version = base` that touched
/// `rows` rows, given the record as it is after the statement: the new version, or why not.
pub fn versioned_outcome(
    id: bluelamp_domain::RecordId,
    base_version: bluelamp_domain::Version,
    rows: u64,
    current: Option<crate::StoredRecord>,
) -> crate::StoreResult<crate::StoredRecord> {
    match current {
        None => Err(crate::StoreError::NotFound(id)),
        Some(rec) if rows == 1 => Ok(rec),
        Some(rec) => Err(crate::StoreError::Conflict {
            id,
            expected: base_version,
            // Same version but the row did not qualify (an ended link): still stale.
            current: if rec.version == base_version {
                rec.version + 1
            } else {
                rec.version
            },
        }),
    }
}

/// The outcome of [`crate::WriteOp::LinksInForce`]: `found` are the ids of the links in
/// force at `id` now.
pub fn links_in_force_outcome(
    id: bluelamp_domain::RecordId,
    base_version: bluelamp_domain::Version,
    expected: &[bluelamp_domain::RecordId],
    mut found: Vec<bluelamp_domain::RecordId>,
) -> crate::StoreResult<()> {
    let mut expected = expected.to_vec();
    expected.sort_unstable();
    expected.dedup();
    found.sort_unstable();
    if found == expected {
        Ok(())
    } else {
        Err(crate::StoreError::LinksChanged {
            id,
            version: base_version,
        })
    }
}

/// The outcome of [`crate::WriteOp::Unchanged`]: `current` is the record's version now.
pub fn unchanged_outcome(
    id: bluelamp_domain::RecordId,
    base_version: bluelamp_domain::Version,
    current: Option<bluelamp_domain::Version>,
) -> crate::StoreResult<()> {
    match current {
        None => Err(crate::StoreError::NotFound(id)),
        Some(v) if v == base_version => Ok(()),
        Some(v) => Err(crate::StoreError::Conflict {
            id,
            expected: base_version,
            current: v,
        }),
    }
}

/// Turns a consultation's audit entry into the record of a failed attempt: the record asked
/// for does not exist (or is not visible); the id asked for goes in the details.
pub fn mark_missing(audit: &mut bluelamp_domain::AuditEntry, id: bluelamp_domain::RecordId) {
    audit.outcome = AuditOutcome::Failed;
    audit.subjects.clear();
    audit.details = merge_details(audit.details.take(), "requested_id", id.to_string());
}

/// For each record a change wrote, in order: is it that record's current version once the
/// change commits (the last version of its id in the change)? A current version's row leaves
/// its content to `records` (migration 0007); an earlier version written in the same change
/// keeps its own.
pub fn current_in_change(written: &[crate::StoredRecord]) -> Vec<bool> {
    let mut last = std::collections::HashMap::with_capacity(written.len());
    for (i, rec) in written.iter().enumerate() {
        last.insert(rec.id, i);
    }
    written
        .iter()
        .enumerate()
        .map(|(i, rec)| last.get(&rec.id) == Some(&i))
        .collect()
}

/// Checks a version row read with its content taken from `records` where the row holds
/// none: that is right only while the row is the record's current version. Anything else
/// means a change skipped keeping the superseded content, and is reported, not shown.
pub fn check_held_content(
    id: bluelamp_domain::RecordId,
    version: bluelamp_domain::Version,
    held_in_record: bool,
    current_version: bluelamp_domain::Version,
) -> crate::StoreResult<()> {
    if held_in_record && version != current_version {
        return Err(crate::StoreError::Internal(format!(
            "version {version} of {id} has lost its content (the record is at version \
             {current_version})"
        )));
    }
    Ok(())
}

/// Version rows with their content: a row that holds none is its record's current version,
/// whose content is the one in `records` (migration 0007); each adapter's
/// `version_from_row` checks that with `check_held_content`. Plain SQL both adapters run.
pub const VERSION_SELECT: &str = "SELECT v.record_id, v.version, v.kind, v.classification, \
     COALESCE(v.marking, r.marking) AS marking, COALESCE(v.summary, r.summary) AS summary, \
     COALESCE(v.body, r.body) AS body, v.status, v.change, v.changed_at, v.changed_by, \
     v.changed_by_name, v.audit_id, v.body IS NULL AS held_in_record, \
     r.version AS current_version \
     FROM record_versions v JOIN records r ON r.id = v.record_id";

/// Duplicate candidates read back from their JSON, in the order given.
pub fn parse_candidates(rows: &[String]) -> StoreResult<Vec<crate::DuplicateCandidate>> {
    rows.iter()
        .map(|s| {
            serde_json::from_str(s)
                .map_err(|e| StoreError::Internal(format!("bad duplicate candidate: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bluelamp_domain::{Marking, RecordId, RecordKind};

    fn rec(id: RecordId, version: bluelamp_domain::Version) -> crate::StoredRecord {
        let at = jiff::Timestamp::UNIX_EPOCH;
        crate::StoredRecord {
            id,
            kind: RecordKind::Person,
            version,
            marking: Marking::official(),
            summary: String::new(),
            subtype: None,
            body: serde_json::Value::Null,
            link: None,
            status: crate::RecordStatus::Active,
            created_at: at,
            created_by: String::new(),
            updated_at: at,
            updated_by: String::new(),
        }
    }

    #[test]
    fn only_the_last_version_of_each_record_in_a_change_is_current() {
        let (a, b) = (
            RecordId(uuid::Uuid::now_v7()),
            RecordId(uuid::Uuid::now_v7()),
        );
        let written = [rec(a, 1), rec(b, 1), rec(a, 2), rec(b, 2), rec(a, 3)];
        assert_eq!(
            current_in_change(&written),
            [false, false, false, true, true]
        );
        assert!(current_in_change(&[]).is_empty());
    }

    #[test]
    fn a_row_without_content_must_be_the_current_version() {
        let id = RecordId(uuid::Uuid::now_v7());
        assert!(check_held_content(id, 3, true, 3).is_ok());
        assert!(check_held_content(id, 2, false, 3).is_ok());
        let err = check_held_content(id, 2, true, 3).unwrap_err();
        assert!(err.to_string().contains("lost its content"), "{err}");
    }

    #[test]
    fn a_content_hash_survives_what_a_database_does_to_numbers_and_sees_a_real_change() {
        let hash = |body: serde_json::Value| {
            let mut r = rec(RecordId(uuid::Uuid::nil()), 1);
            r.body = body;
            content_hash(&r).unwrap()
        };
        let lat = 51.501364_f64;
        let one_ulp = f64::from_bits(lat.to_bits() + 1);
        let base = hash(serde_json::json!({"lat": lat, "z": -0.0, "big": 1e16, "n": 3}));
        // Read back one unit in the last place out, without a negative zero, the big float
        // as an integer, keys in another order: the same content.
        assert_eq!(
            base,
            hash(
                serde_json::json!({"n": 3, "big": 10_000_000_000_000_000_u64, "z": 0, "lat": one_ulp})
            )
        );
        // A coordinate moved by a metre, an integer changed: different content.
        assert_ne!(
            base,
            hash(serde_json::json!({"lat": 51.501373, "z": 0, "big": 1e16, "n": 3}))
        );
        assert_ne!(
            base,
            hash(serde_json::json!({"lat": lat, "z": 0, "big": 1e16, "n": 4}))
        );
    }
}
