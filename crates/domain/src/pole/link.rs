//! A link between two records, with a role ("suspect" of an event, "owner" of a vehicle,
//! "resides at" an address), an optional period of validity and the record (usually an
//! event) that asserted it. Which roles may join which kinds of record is a rule here, so
//! that a vehicle cannot be recorded as the suspect of a location.

use super::input::LinkInput;
use super::{marking, optional, required};
use crate::values::LongText;
use crate::{Marking, RecordId, RecordKind, ValidationErrors};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkRole {
    Suspect,
    Victim,
    Witness,
    Informant,
    ReportingPerson,
    /// The person held in a custody episode (recorded by the custody module at booking in).
    Detainee,
    Owner,
    Keeper,
    Driver,
    User,
    ResidesAt,
    WorksAt,
    Frequents,
    AssociateOf,
    FamilyOf,
    OccurredAt,
    LocatedAt,
    Involved,
    RelatedTo,
}

use RecordKind::{Event as E, Location as L, Object as O, Person as P};

impl LinkRole {
    pub const ALL: [LinkRole; 19] = [
        LinkRole::Suspect,
        LinkRole::Victim,
        LinkRole::Witness,
        LinkRole::Informant,
        LinkRole::ReportingPerson,
        LinkRole::Detainee,
        LinkRole::Owner,
        LinkRole::Keeper,
        LinkRole::Driver,
        LinkRole::User,
        LinkRole::ResidesAt,
        LinkRole::WorksAt,
        LinkRole::Frequents,
        LinkRole::AssociateOf,
        LinkRole::FamilyOf,
        LinkRole::OccurredAt,
        LinkRole::LocatedAt,
        LinkRole::Involved,
        LinkRole::RelatedTo,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            LinkRole::Suspect => "suspect",
            LinkRole::Victim => "victim",
            LinkRole::Witness => "witness",
            LinkRole::Informant => "informant",
            LinkRole::ReportingPerson => "reporting_person",
            LinkRole::Detainee => "detainee",
            LinkRole::Owner => "owner",
            LinkRole::Keeper => "keeper",
            LinkRole::Driver => "driver",
            LinkRole::User => "user",
            LinkRole::ResidesAt => "resides_at",
            LinkRole::WorksAt => "works_at",
            LinkRole::Frequents => "frequents",
            LinkRole::AssociateOf => "associate_of",
            LinkRole::FamilyOf => "family_of",
            LinkRole::OccurredAt => "occurred_at",
            LinkRole::LocatedAt => "located_at",
            LinkRole::Involved => "involved",
            LinkRole::RelatedTo => "related_to",
        }
    }

    /// How the link reads from its start: "Suspect in", "Owner of", "Resides at".
    pub fn label(&self) -> &'static str {
        match self {
            LinkRole::Suspect => "Suspect in",
            LinkRole::Victim => "Victim in",
            LinkRole::Witness => "Witness to",
            LinkRole::Informant => "Informant about",
            LinkRole::ReportingPerson => "Reported",
            LinkRole::Detainee => "Detained in",
            LinkRole::Owner => "Owner of",
            LinkRole::Keeper => "Registered keeper of",
            LinkRole::Driver => "Driver of",
            LinkRole::User => "User of",
            LinkRole::ResidesAt => "Resides at",
            LinkRole::WorksAt => "Works at",
            LinkRole::Frequents => "Frequents",
            LinkRole::AssociateOf => "Associate of",
            LinkRole::FamilyOf => "Family of",
            LinkRole::OccurredAt => "Occurred at",
            LinkRole::LocatedAt => "Located at",
            LinkRole::Involved => "Involved in",
            LinkRole::RelatedTo => "Related to",
        }
    }

    /// How the link reads from its end: "Suspect", "Owned by", "Residence of".
    pub fn inverse_label(&self) -> &'static str {
        match self {
            LinkRole::Suspect => "Suspect",
            LinkRole::Victim => "Victim",
            LinkRole::Witness => "Witness",
            LinkRole::Informant => "Informant",
            LinkRole::ReportingPerson => "Reported by",
            LinkRole::Detainee => "Detainee",
            LinkRole::Owner => "Owned by",
            LinkRole::Keeper => "Registered keeper",
            LinkRole::Driver => "Driven by",
            LinkRole::User => "Used by",
            LinkRole::ResidesAt => "Residence of",
            LinkRole::WorksAt => "Workplace of",
            LinkRole::Frequents => "Frequented by",
            LinkRole::AssociateOf => "Associate of",
            LinkRole::FamilyOf => "Family of",
            LinkRole::OccurredAt => "Scene of",
            LinkRole::LocatedAt => "Location of",
            LinkRole::Involved => "Involved",
            LinkRole::RelatedTo => "Related to",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| "Choose a link role from the list".to_string())
    }

    /// The kinds of record this role may join, as (start, end).
    pub fn allows(&self, from: RecordKind, to: RecordKind) -> bool {
        match self {
            LinkRole::Suspect
            | LinkRole::Victim
            | LinkRole::Witness
            | LinkRole::Informant
            | LinkRole::ReportingPerson
            | LinkRole::Detainee => (from, to) == (P, E),
            LinkRole::Owner | LinkRole::Keeper | LinkRole::Driver | LinkRole::User => {
                (from, to) == (P, O)
            }
            LinkRole::ResidesAt | LinkRole::WorksAt | LinkRole::Frequents => (from, to) == (P, L),
            LinkRole::AssociateOf | LinkRole::FamilyOf => (from, to) == (P, P),
            LinkRole::OccurredAt => (from, to) == (E, L),
            LinkRole::LocatedAt => (from, to) == (O, L),
            LinkRole::Involved => from != RecordKind::Link && to == E && from != E,
            LinkRole::RelatedTo => from != RecordKind::Link && to != RecordKind::Link,
        }
    }

    /// Words for an error when `allows` says no: "The role 'suspect' links a person to an event".
    pub fn expectation(&self) -> String {
        let (a, b) = match self {
            LinkRole::Suspect
            | LinkRole::Victim
            | LinkRole::Witness
            | LinkRole::Informant
            | LinkRole::ReportingPerson
            | LinkRole::Detainee => ("a person", "an event"),
            LinkRole::Owner | LinkRole::Keeper | LinkRole::Driver | LinkRole::User => {
                ("a person", "an object")
            }
            LinkRole::ResidesAt | LinkRole::WorksAt | LinkRole::Frequents => {
                ("a person", "a location")
            }
            LinkRole::AssociateOf | LinkRole::FamilyOf => ("a person", "another person"),
            LinkRole::OccurredAt => ("an event", "a location"),
            LinkRole::LocatedAt => ("an object", "a location"),
            LinkRole::Involved => ("a person, object or location", "an event"),
            LinkRole::RelatedTo => ("any record", "any other record"),
        };
        format!(
            "The role '{}' links {a} to {b}",
            self.as_str().replace('_', " ")
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub from: RecordId,
    pub to: RecordId,
    pub role: LinkRole,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    pub asserted_by: Option<RecordId>,
    pub notes: Option<LongText>,
}

fn date(s: &str) -> Result<Date, String> {
    s.trim()
        .parse::<Date>()
        .map_err(|_| "Enter a real date, like 2026-03-01".to_string())
}

impl Link {
    /// Parses the link itself. Whether its ends exist and suit the role is checked by the
    /// caller against the store, with [`Link::check_ends`].
    pub fn parse(input: &LinkInput) -> Result<(Link, Marking), ValidationErrors> {
        let mut e = ValidationErrors::new();
        let from = required(
            &mut e,
            "from_id",
            &input.from_id,
            "Choose the record the link starts at",
            |s| s.parse::<RecordId>(),
        );
        let to = required(
            &mut e,
            "to_id",
            &input.to_id,
            "Choose the record the link points to",
            |s| s.parse::<RecordId>(),
        );
        let role = required(
            &mut e,
            "role",
            &input.role,
            "Choose a link role",
            LinkRole::parse,
        );
        let valid_from = optional(&mut e, "valid_from", &input.valid_from, date);
        let valid_to = optional(&mut e, "valid_to", &input.valid_to, date);
        if let (Some(a), Some(b)) = (valid_from, valid_to)
            && b < a
        {
            e.push(
                "valid_to",
                "The end date must be on or after the start date",
            );
        }
        let asserted_by = optional(&mut e, "asserted_by", &input.asserted_by, |s| {
            s.parse::<RecordId>()
        });
        let notes = optional(&mut e, "notes", &input.notes, LongText::parse);
        if let (Some(a), Some(b)) = (from, to)
            && a == b
        {
            e.push("to_id", "A record cannot be linked to itself");
        }
        let marking = marking(&mut e, &input.marking);
        match (from, to, role) {
            (Some(from), Some(to), Some(role)) if e.is_empty() => Ok((
                Link {
                    from,
                    to,
                    role,
                    valid_from,
                    valid_to,
                    asserted_by,
                    notes,
                },
                marking,
            )),
            _ => Err(e),
        }
    }

    /// Checks the kinds of the two ends against the role.
    pub fn check_ends(&self, from: RecordKind, to: RecordKind) -> Result<(), ValidationErrors> {
        if from == RecordKind::Link || to == RecordKind::Link {
            return Err(ValidationErrors::single(
                "to_id",
                "A link cannot join another link",
            ));
        }
        if self.role.allows(from, to) {
            Ok(())
        } else {
            Err(ValidationErrors::single("role", self.role.expectation()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> String {
        uuid::Uuid::from_u128(n).to_string()
    }

    #[test]
    fn suspect_link_joins_a_person_to_an_event_only() {
        assert!(LinkRole::Suspect.allows(P, E));
        assert!(!LinkRole::Suspect.allows(O, E));
        assert!(!LinkRole::Suspect.allows(E, P));
    }

    #[test]
    fn every_role_allows_at_least_one_pair_of_kinds_and_no_link_ends() {
        let kinds = [P, O, L, E, RecordKind::Link];
        for role in LinkRole::ALL {
            assert!(
                kinds
                    .iter()
                    .any(|a| kinds.iter().any(|b| role.allows(*a, *b))),
                "{role:?}"
            );
            assert!(
                kinds
                    .iter()
                    .all(|k| !role.allows(RecordKind::Link, *k)
                        && !role.allows(*k, RecordKind::Link))
            );
            assert_eq!(LinkRole::parse(role.as_str()).unwrap(), role);
        }
    }

    #[test]
    fn link_to_itself_is_refused() {
        let err = Link::parse(&LinkInput {
            from_id: id(1),
            to_id: id(1),
            role: "associate_of".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.0[0].field, "to_id");
    }

    #[test]
    fn link_validity_must_not_end_before_it_starts() {
        let err = Link::parse(&LinkInput {
            from_id: id(1),
            to_id: id(2),
            role: "resides_at".into(),
            valid_from: "2025-01-01".into(),
            valid_to: "2024-01-01".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.0[0].field, "valid_to");
    }

    #[test]
    fn link_with_wrong_kinds_explains_the_role() {
        let (l, _) = Link::parse(&LinkInput {
            from_id: id(1),
            to_id: id(2),
            role: "owner".into(),
            ..Default::default()
        })
        .unwrap();
        let err = l.check_ends(O, P).unwrap_err();
        assert_eq!(err.0[0].field, "role");
        assert_eq!(
            err.0[0].message,
            "The role 'owner' links a person to an object"
        );
    }
}
