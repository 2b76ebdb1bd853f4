//! Helpers both adapters use to turn what they write into audit subjects and back.

use crate::{RecordVersion, StoredRecord};
use bluelamp_domain::audit::AuditSubject;
use bluelamp_domain::{AuditAction, AuditOutcome};
use serde_json::Value;

pub fn subject(rec: &StoredRecord) -> AuditSubject {
    AuditSubject {
        id: rec.id,
        kind: rec.kind,
        version: rec.version,
        classification: rec.marking.classification,
    }
}

pub fn version_subject(v: &RecordVersion) -> AuditSubject {
    AuditSubject {
        id: v.id,
        kind: v.kind,
        version: v.version,
        classification: v.marking.classification,
    }
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
