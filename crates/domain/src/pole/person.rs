//! A person: one record per real human being, however many times they have come to notice.

use super::input::PersonInput;
use super::{check_list_len, marking, optional, required};
use crate::values::{
    DateOfBirth, Ethnicity, Flag, Gender, LongText, NamePart, NameType, Nationality,
    PersonIdentifier, ShortText, WarningMarker,
};
use crate::{Marking, ValidationErrors};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtherName {
    pub family_name: NamePart,
    pub given_names: Option<NamePart>,
    pub name_type: NameType,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhysicalDescription {
    pub height_cm: Option<u16>,
    pub build: Option<ShortText>,
    pub hair: Option<ShortText>,
    pub eyes: Option<ShortText>,
    pub marks: Option<LongText>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub family_name: NamePart,
    pub given_names: Option<NamePart>,
    pub other_names: Vec<OtherName>,
    pub date_of_birth: DateOfBirth,
    pub gender: Gender,
    pub ethnicity: Option<Ethnicity>,
    pub place_of_birth: Option<ShortText>,
    pub nationality: Option<Nationality>,
    pub description: PhysicalDescription,
    pub identifiers: Vec<PersonIdentifier>,
    pub warning_markers: Vec<WarningMarker>,
    pub flags: Vec<Flag>,
}

impl Person {
    /// Builds a person from what a client sent, or every problem with it. `today` (the
    /// Europe/London date) bounds the date of birth.
    pub fn parse(input: &PersonInput, today: Date) -> Result<(Person, Marking), ValidationErrors> {
        let mut e = ValidationErrors::new();
        let family_name = required(
            &mut e,
            "family_name",
            &input.family_name,
            "Enter a family name",
            NamePart::parse,
        );
        let given_names = optional(&mut e, "given_names", &input.given_names, NamePart::parse);
        let mut other_names = Vec::new();
        if check_list_len(&mut e, "other_names", input.other_names.len()) {
            for (i, o) in input.other_names.iter().enumerate() {
                let f = required(
                    &mut e,
                    &format!("other_names.{i}.family_name"),
                    &o.family_name,
                    "Enter a family name",
                    NamePart::parse,
                );
                let g = optional(
                    &mut e,
                    &format!("other_names.{i}.given_names"),
                    &o.given_names,
                    NamePart::parse,
                );
                let t = if o.name_type.trim().is_empty() {
                    Some(NameType::Alias)
                } else {
                    e.check(
                        &format!("other_names.{i}.name_type"),
                        NameType::parse(&o.name_type),
                    )
                };
                if let (Some(family_name), Some(name_type)) = (f, t) {
                    other_names.push(OtherName {
                        family_name,
                        given_names: g,
                        name_type,
                    });
                }
            }
        }
        let date_of_birth = e.check(
            "date_of_birth",
            DateOfBirth::parse(&input.date_of_birth, today),
        );
        let gender = e.check("gender", Gender::parse(&input.gender));
        let ethnicity = optional(&mut e, "ethnicity", &input.ethnicity, Ethnicity::parse);
        let place_of_birth = optional(
            &mut e,
            "place_of_birth",
            &input.place_of_birth,
            ShortText::parse,
        );
        let nationality = optional(
            &mut e,
            "nationality",
            &input.nationality,
            Nationality::parse,
        );
        let d = &input.description;
        if let Some(h) = d.height_cm
            && !(30..=272).contains(&h)
        {
            e.push(
                "description.height_cm",
                "Enter a height between 30 and 272 centimetres",
            );
        }
        let description = PhysicalDescription {
            height_cm: d.height_cm.filter(|h| (30..=272).contains(h)),
            build: optional(&mut e, "description.build", &d.build, ShortText::parse),
            hair: optional(&mut e, "description.hair", &d.hair, ShortText::parse),
            eyes: optional(&mut e, "description.eyes", &d.eyes, ShortText::parse),
            marks: optional(&mut e, "description.marks", &d.marks, LongText::parse),
        };
        let mut identifiers: Vec<PersonIdentifier> = Vec::new();
        if check_list_len(&mut e, "identifiers", input.identifiers.len()) {
            for (i, id) in input.identifiers.iter().enumerate() {
                if let Some(parsed) = e.check(
                    &format!("identifiers.{i}.value"),
                    PersonIdentifier::parse(&id.id_type, &id.value),
                ) {
                    if identifiers.contains(&parsed) {
                        e.push(
                            format!("identifiers.{i}.value"),
                            "This identifier is already listed",
                        );
                    } else {
                        identifiers.push(parsed);
                    }
                }
            }
        }
        let mut warning_markers = Vec::new();
        if check_list_len(&mut e, "warning_markers", input.warning_markers.len()) {
            for (i, w) in input.warning_markers.iter().enumerate() {
                if let Some(w) = e.check(&format!("warning_markers.{i}"), WarningMarker::parse(w))
                    && !warning_markers.contains(&w)
                {
                    warning_markers.push(w);
                }
            }
        }
        let mut flags = Vec::new();
        if check_list_len(&mut e, "flags", input.flags.len()) {
            for (i, f) in input.flags.iter().enumerate() {
                if let Some(f) = e.check(&format!("flags.{i}"), Flag::parse(f))
                    && !flags.contains(&f)
                {
                    flags.push(f);
                }
            }
        }
        let marking = marking(&mut e, &input.marking);
        match (family_name, date_of_birth, gender) {
            (Some(family_name), Some(date_of_birth), Some(gender)) if e.is_empty() => Ok((
                Person {
                    family_name,
                    given_names,
                    other_names,
                    date_of_birth,
                    gender,
                    ethnicity,
                    place_of_birth,
                    nationality,
                    description,
                    identifiers,
                    warning_markers,
                    flags,
                },
                marking,
            )),
            _ => Err(e),
        }
    }

    /// "SMITH, John William": family name in capitals first, as police systems list people.
    pub fn summary(&self) -> String {
        match &self.given_names {
            Some(g) => format!(
                "{}, {}",
                self.family_name.as_str().to_uppercase(),
                g.as_str()
            ),
            None => self.family_name.as_str().to_uppercase(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pole::input::{IdentifierInput, MarkingInput, OtherNameInput};

    fn today() -> Date {
        jiff::civil::date(2026, 11, 22)
    }

    fn minimal() -> PersonInput {
        PersonInput {
            family_name: "Smith".into(),
            given_names: "John  William".into(),
            date_of_birth: "1985-03-02".into(),
            ..Default::default()
        }
    }

    #[test]
    fn person_with_family_name_only_is_valid_and_official() {
        let (p, m) = Person::parse(
            &PersonInput {
                family_name: "Nguyễn".into(),
                ..Default::default()
            },
            today(),
        )
        .unwrap();
        assert_eq!(p.summary(), "NGUYỄN");
        assert_eq!(p.date_of_birth, DateOfBirth::Unknown);
        assert_eq!(m, Marking::official());
    }

    #[test]
    fn person_summary_puts_family_name_first_in_capitals() {
        let (p, _) = Person::parse(&minimal(), today()).unwrap();
        assert_eq!(p.summary(), "SMITH, John William");
    }

    #[test]
    fn person_parse_reports_every_bad_field_by_name() {
        let input = PersonInput {
            family_name: "".into(),
            date_of_birth: "2030-01-01".into(),
            gender: "robot".into(),
            identifiers: vec![IdentifierInput {
                id_type: "PNC".into(),
                value: "not a pnc".into(),
            }],
            other_names: vec![OtherNameInput {
                family_name: "Sm1th".into(),
                ..Default::default()
            }],
            marking: Some(MarkingInput {
                classification: "TOP SECRET".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let err = Person::parse(&input, today()).unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "family_name",
            "other_names.0.family_name",
            "date_of_birth",
            "gender",
            "identifiers.0.value",
            "marking.classification",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn person_refuses_a_repeated_identifier() {
        let mut input = minimal();
        input.identifiers = vec![
            IdentifierInput {
                id_type: "NI".into(),
                value: "QQ123456C".into(),
            },
            IdentifierInput {
                id_type: "ni".into(),
                value: "qq 12 34 56 c".into(),
            },
        ];
        let err = Person::parse(&input, today()).unwrap_err();
        assert_eq!(err.0[0].field, "identifiers.1.value");
    }

    #[test]
    fn person_refuses_an_unreasonable_number_of_aliases() {
        let mut input = minimal();
        input.other_names = vec![
            OtherNameInput {
                family_name: "Alias".into(),
                ..Default::default()
            };
            51
        ];
        assert_eq!(
            Person::parse(&input, today()).unwrap_err().0[0].field,
            "other_names"
        );
    }

    #[test]
    fn person_round_trips_through_json() {
        let mut input = minimal();
        input.identifiers = vec![IdentifierInput {
            id_type: "NI".into(),
            value: "QQ123456C".into(),
        }];
        let (p, _) = Person::parse(&input, today()).unwrap();
        let json = serde_json::to_value(&p).unwrap();
        let back: Person = serde_json::from_value(json).unwrap();
        assert_eq!(back, p);
    }
}
