//! Record identity: every POLE entity and every link is a record with a UUIDv7 id, a kind
//! and a version number that grows by one with each change.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// A record's internal identifier (UUIDv7: time-ordered, so indexes stay compact).
/// Human references (custody numbers, crime numbers) are separate formatted values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordId(pub Uuid);

impl RecordId {
    /// A new id whose time part comes from `at` (taken from the injected clock).
    pub fn new_at(at: jiff::Timestamp) -> Self {
        let secs = u64::try_from(at.as_second()).unwrap_or(0);
        let nanos = u32::try_from(at.subsec_nanosecond()).unwrap_or(0);
        let ts = uuid::Timestamp::from_unix(uuid::NoContext, secs, nanos);
        Self(Uuid::new_v7(ts))
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for RecordId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s.trim())
            .map(RecordId)
            .map_err(|_| "Enter a record id in UUID form".to_string())
    }
}

/// A record's version: 1 when created, one more with each change.
pub type Version = i64;

/// The kinds of record in the POLE store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Person,
    Object,
    Location,
    Event,
    Link,
}

impl RecordKind {
    pub const ALL: [RecordKind; 5] = [
        RecordKind::Person,
        RecordKind::Object,
        RecordKind::Location,
        RecordKind::Event,
        RecordKind::Link,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            RecordKind::Person => "person",
            RecordKind::Object => "object",
            RecordKind::Location => "location",
            RecordKind::Event => "event",
            RecordKind::Link => "link",
        }
    }

    /// The plural used in URLs and page titles (`persons`, `objects`, ...).
    pub fn plural(&self) -> &'static str {
        match self {
            RecordKind::Person => "persons",
            RecordKind::Object => "objects",
            RecordKind::Location => "locations",
            RecordKind::Event => "events",
            RecordKind::Link => "links",
        }
    }

    pub fn from_plural(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.plural() == s)
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown record kind '{s}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_ids_are_time_ordered() {
        let a = RecordId::new_at("2026-01-01T00:00:00Z".parse().unwrap());
        let b = RecordId::new_at("2026-01-01T00:00:01Z".parse().unwrap());
        assert!(a < b);
        assert_eq!(a.0.get_version_num(), 7);
    }

    #[test]
    fn kind_round_trips_through_its_plural() {
        for k in RecordKind::ALL {
            assert_eq!(RecordKind::from_plural(k.plural()), Some(k));
            assert_eq!(k.as_str().parse::<RecordKind>().unwrap(), k);
        }
    }
}
