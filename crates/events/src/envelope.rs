//! The event envelope, and the one place event types are named.

use bluelamp_domain::time::to_rfc3339;
use bluelamp_domain::{RecordId, RecordKind, Version};
use bluelamp_store::OutboxEvent;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

/// The version of the envelope's shape; consumers may rely on fields it names.
pub const ENVELOPE_VERSION: u32 = 1;

/// The JSON Schema of the envelope, for consumers and tests.
pub const SCHEMA: &str = include_str!("../schema/event-envelope.schema.json");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypedIdentifier {
    #[serde(rename = "type")]
    pub id_type: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonReference {
    pub identifiers: Vec<TypedIdentifier>,
}

/// One domain event as it travels on the bus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventEnvelope {
    pub event_id: Uuid,
    /// `<context>.<entity>.<past-tense-verb>`, lower kebab case: `pole.person.created`.
    pub event_type: String,
    pub version: u32,
    /// RFC 3339, UTC, milliseconds.
    pub occurred_at: String,
    pub description: String,
    /// Where a consumer with the right to see it fetches the detail.
    pub detail_url: String,
    pub additional_information: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_reference: Option<PersonReference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    pub source: String,
}

impl EventEnvelope {
    pub fn into_outbox(self, occurred_at: Timestamp) -> OutboxEvent {
        let payload = serde_json::to_value(&self).unwrap_or(Value::Null);
        OutboxEvent {
            event_id: self.event_id,
            event_type: self.event_type,
            occurred_at,
            payload,
        }
    }
}

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordChange {
    Created,
    Updated,
    Ended,
}

impl RecordChange {
    fn verb(&self) -> &'static str {
        match self {
            RecordChange::Created => "created",
            RecordChange::Updated => "updated",
            RecordChange::Ended => "ended",
        }
    }
}

/// The event for a change to a POLE record: `pole.<kind>.<verb>`, carrying the record's
/// id, kind and version (and, for links, the ids of both ends and the role), never content.
pub fn record_event(
    id: RecordId,
    kind: RecordKind,
    version: Version,
    change: RecordChange,
    link: Option<(RecordId, RecordId, &str)>,
    at: Timestamp,
    correlation_id: Option<String>,
) -> OutboxEvent {
    let mut info = json!({ "id": id.to_string(), "kind": kind.as_str(), "version": version });
    if let Some((from, to, role)) = link {
        info["fromId"] = json!(from.to_string());
        info["toId"] = json!(to.to_string());
        info["role"] = json!(role);
    }
    let person_reference = (kind == RecordKind::Person).then(|| PersonReference {
        identifiers: vec![TypedIdentifier {
            id_type: "POLE_PERSON".into(),
            value: id.to_string(),
        }],
    });
    EventEnvelope {
        event_id: RecordId::new_at(at).0,
        event_type: format!("pole.{}.{}", kind.as_str(), change.verb()),
        version: ENVELOPE_VERSION,
        occurred_at: to_rfc3339(at),
        description: format!("A {} record was {}", kind.as_str(), change.verb()),
        detail_url: format!("/api/v1/{}/{}", kind.plural(), id),
        additional_information: info,
        person_reference,
        correlation_id,
        source: "bluelamp".into(),
    }
    .into_outbox(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Value {
        serde_json::from_str(SCHEMA).unwrap()
    }

    /// Checks `event` against the schema's required fields, their JSON types and the
    /// event-type pattern (the parts of JSON Schema the envelope's schema uses).
    fn conforms(event: &Value) -> Result<(), String> {
        let schema = schema();
        let obj = event.as_object().ok_or("not an object")?;
        for req in schema["required"].as_array().unwrap() {
            let name = req.as_str().unwrap();
            if !obj.contains_key(name) {
                return Err(format!("missing {name}"));
            }
        }
        for (name, value) in obj {
            let prop = schema["properties"]
                .get(name)
                .ok_or(format!("unexpected {name}"))?;
            let ok = match prop["type"].as_str() {
                Some("string") => value.is_string(),
                Some("integer") => value.is_u64(),
                Some("object") => value.is_object(),
                _ => true,
            };
            if !ok {
                return Err(format!("{name} has the wrong type"));
            }
        }
        let et = obj["eventType"].as_str().unwrap();
        let parts: Vec<&str> = et.split('.').collect();
        if parts.len() != 3
            || !parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        {
            return Err(format!(
                "eventType {et} is not <context>.<entity>.<verb> in kebab case"
            ));
        }
        Ok(())
    }

    #[test]
    fn every_record_event_kind_conforms_to_the_envelope_schema() {
        let at: Timestamp = "2026-05-01T10:00:00.123456Z".parse().unwrap();
        let a = RecordId::new_at(at);
        let b = RecordId::new_at(at);
        for kind in RecordKind::ALL {
            for change in [
                RecordChange::Created,
                RecordChange::Updated,
                RecordChange::Ended,
            ] {
                let link = (kind == RecordKind::Link).then_some((a, b, "owner"));
                let ev = record_event(a, kind, 2, change, link, at, Some("req-1".into()));
                conforms(&ev.payload).unwrap_or_else(|e| panic!("{kind:?} {change:?}: {e}"));
                assert_eq!(ev.payload["occurredAt"], "2026-05-01T10:00:00.123Z");
                assert_eq!(ev.payload["eventId"], ev.event_id.to_string());
            }
        }
    }

    #[test]
    fn person_events_carry_a_typed_identifier_and_no_content() {
        let at: Timestamp = "2026-05-01T10:00:00Z".parse().unwrap();
        let id = RecordId::new_at(at);
        let ev = record_event(
            id,
            RecordKind::Person,
            1,
            RecordChange::Created,
            None,
            at,
            None,
        );
        assert_eq!(ev.event_type, "pole.person.created");
        assert_eq!(
            ev.payload["personReference"]["identifiers"][0]["type"],
            "POLE_PERSON"
        );
        assert_eq!(ev.payload["detailUrl"], format!("/api/v1/persons/{id}"));
        let keys: Vec<_> = ev.payload["additionalInformation"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["id", "kind", "version"]);
    }

    #[test]
    fn the_schema_rejects_an_event_missing_its_type() {
        let mut v = record_event(
            RecordId::new_at(Timestamp::UNIX_EPOCH),
            RecordKind::Event,
            1,
            RecordChange::Created,
            None,
            Timestamp::UNIX_EPOCH,
            None,
        )
        .payload;
        v.as_object_mut().unwrap().remove("eventType");
        assert!(conforms(&v).is_err());
    }
}
