//! An event: something that happened at a time (and usually a place). Business modules
//! (custody, investigation, intelligence, dispatch) add their own event types later.

use super::input::EventInput;
use super::{marking, optional, required};
use crate::values::{LongText, ShortText};
use crate::{Marking, RecordId, ValidationErrors};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    Incident,
    Crime,
    Arrest,
    CustodyEpisode,
    IntelligenceReport,
    StopAndSearch,
    CallForService,
    Other,
}

impl EventType {
    pub const ALL: [EventType; 8] = [
        EventType::Incident,
        EventType::Crime,
        EventType::Arrest,
        EventType::CustodyEpisode,
        EventType::IntelligenceReport,
        EventType::StopAndSearch,
        EventType::CallForService,
        EventType::Other,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            EventType::Incident => "incident",
            EventType::Crime => "crime",
            EventType::Arrest => "arrest",
            EventType::CustodyEpisode => "custody_episode",
            EventType::IntelligenceReport => "intelligence_report",
            EventType::StopAndSearch => "stop_and_search",
            EventType::CallForService => "call_for_service",
            EventType::Other => "other",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            EventType::Incident => "Incident",
            EventType::Crime => "Crime",
            EventType::Arrest => "Arrest",
            EventType::CustodyEpisode => "Custody episode",
            EventType::IntelligenceReport => "Intelligence report",
            EventType::StopAndSearch => "Stop and search",
            EventType::CallForService => "Call for service",
            EventType::Other => "Other",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| "Choose an event type from the list".to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub event_type: EventType,
    pub title: ShortText,
    pub starts_at: Timestamp,
    pub ends_at: Option<Timestamp>,
    pub location_id: Option<RecordId>,
    pub narrative: Option<LongText>,
}

/// Instants are accepted as RFC 3339 with an offset (`2026-03-01T21:14:00Z`); a bare local
/// time would be ambiguous across the clock change.
fn instant(s: &str) -> Result<Timestamp, String> {
    s.trim()
        .parse::<Timestamp>()
        .map_err(|_| "Enter a date and time with its offset, like 2026-03-01T21:14:00Z".to_string())
        .and_then(|t| {
            if t < Timestamp::from_second(-2_208_988_800).unwrap_or(Timestamp::MIN) {
                Err("Enter a date after 1900".to_string())
            } else {
                Ok(t)
            }
        })
}

impl Event {
    pub fn parse(input: &EventInput) -> Result<(Event, Marking), ValidationErrors> {
        let mut e = ValidationErrors::new();
        let event_type = e.check("event_type", EventType::parse(&input.event_type));
        let title = required(
            &mut e,
            "title",
            &input.title,
            "Enter a title",
            ShortText::parse,
        );
        let starts_at = required(
            &mut e,
            "starts_at",
            &input.starts_at,
            "Enter when it started",
            instant,
        );
        let ends_at = optional(&mut e, "ends_at", &input.ends_at, instant);
        if let (Some(s), Some(end)) = (starts_at, ends_at)
            && end < s
        {
            e.push("ends_at", "The end must be after the start");
        }
        let location_id = optional(&mut e, "location_id", &input.location_id, |s| {
            s.parse::<RecordId>()
        });
        let narrative = optional(&mut e, "narrative", &input.narrative, LongText::parse);
        let marking = marking(&mut e, &input.marking);
        match (event_type, title, starts_at) {
            (Some(event_type), Some(title), Some(starts_at)) if e.is_empty() => Ok((
                Event {
                    event_type,
                    title,
                    starts_at,
                    ends_at,
                    location_id,
                    narrative,
                },
                marking,
            )),
            _ => Err(e),
        }
    }

    pub fn summary(&self) -> String {
        self.title.as_str().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> EventInput {
        EventInput {
            event_type: "crime".into(),
            title: "Burglary at 12 High Street".into(),
            starts_at: "2026-03-01T21:14:00Z".into(),
            ..Default::default()
        }
    }

    #[test]
    fn event_with_type_title_and_start_is_valid() {
        let (ev, _) = Event::parse(&input()).unwrap();
        assert_eq!(ev.event_type, EventType::Crime);
        assert_eq!(ev.summary(), "Burglary at 12 High Street");
    }

    #[test]
    fn event_end_before_start_is_refused() {
        let mut i = input();
        i.ends_at = "2026-03-01T20:00:00Z".into();
        assert_eq!(Event::parse(&i).unwrap_err().0[0].field, "ends_at");
    }

    #[test]
    fn event_start_without_offset_is_refused_as_ambiguous() {
        let mut i = input();
        i.starts_at = "2026-03-01 21:14".into();
        assert_eq!(Event::parse(&i).unwrap_err().0[0].field, "starts_at");
    }

    #[test]
    fn event_type_must_be_known() {
        let mut i = input();
        i.event_type = "party".into();
        assert_eq!(Event::parse(&i).unwrap_err().0[0].field, "event_type");
    }
}
