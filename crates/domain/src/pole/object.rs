//! An object: a vehicle, phone or device, weapon, document, item of property or drugs. A new
//! kind is one more variant here and in `input::ObjectDetailsInput`; storage does not change.

use super::input::{ObjectDetailsInput, ObjectInput};
use super::{marking, optional, required};
use crate::values::{Imei, LongText, Nationality, PhoneNumber, ShortText, Vin, Vrm};
use crate::{Marking, ValidationErrors};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ObjectDetails {
    Vehicle {
        vrm: Vrm,
        make: Option<ShortText>,
        model: Option<ShortText>,
        colour: Option<ShortText>,
        vin: Option<Vin>,
    },
    Phone {
        number: Option<PhoneNumber>,
        imei: Option<Imei>,
        make: Option<ShortText>,
        model: Option<ShortText>,
    },
    Weapon {
        weapon_type: ShortText,
        serial_number: Option<ShortText>,
    },
    Document {
        document_type: ShortText,
        number: Option<ShortText>,
        issuing_country: Option<Nationality>,
    },
    Property {
        category: ShortText,
        serial_number: Option<ShortText>,
    },
    Drugs {
        drug_type: ShortText,
        quantity: Option<ShortText>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Object {
    pub details: ObjectDetails,
    pub description: Option<LongText>,
}

impl Object {
    pub fn parse(input: &ObjectInput) -> Result<(Object, Marking), ValidationErrors> {
        let mut e = ValidationErrors::new();
        let details = parse_details(&mut e, &input.details);
        let description = optional(&mut e, "description", &input.description, LongText::parse);
        let marking = marking(&mut e, &input.marking);
        match details {
            Some(details) if e.is_empty() => Ok((
                Object {
                    details,
                    description,
                },
                marking,
            )),
            _ => Err(e),
        }
    }

    /// The kind, for filters: vehicle, phone, weapon, document, property, drugs.
    pub fn kind(&self) -> &'static str {
        match self.details {
            ObjectDetails::Vehicle { .. } => "vehicle",
            ObjectDetails::Phone { .. } => "phone",
            ObjectDetails::Weapon { .. } => "weapon",
            ObjectDetails::Document { .. } => "document",
            ObjectDetails::Property { .. } => "property",
            ObjectDetails::Drugs { .. } => "drugs",
        }
    }

    /// The number a phone's [`Object::summary`] shows, read back from it (a link carries
    /// the summary of the record at its other end, not its body); `None` for any other
    /// summary, or a phone known only by its IMEI.
    pub fn phone_number_in_summary(summary: &str) -> Option<PhoneNumber> {
        let rest = summary.strip_prefix("Phone ")?;
        if rest.starts_with("IMEI ") {
            return None;
        }
        PhoneNumber::parse(rest.split(" (").next()?).ok()
    }

    /// "Vehicle AB12 CDE (Ford Focus, blue)", "Phone 07700 900123", "Weapon: kitchen knife".
    pub fn summary(&self) -> String {
        fn extras(parts: &[&Option<ShortText>]) -> String {
            let words: Vec<&str> = parts
                .iter()
                .filter_map(|p| p.as_ref().map(|t| t.as_str()))
                .collect();
            if words.is_empty() {
                String::new()
            } else {
                format!(" ({})", words.join(", "))
            }
        }
        match &self.details {
            ObjectDetails::Vehicle {
                vrm,
                make,
                model,
                colour,
                ..
            } => {
                let mm = match (make, model) {
                    (Some(a), Some(b)) => Some(format!("{} {}", a.as_str(), b.as_str())),
                    (Some(a), None) => Some(a.as_str().to_string()),
                    (None, Some(b)) => Some(b.as_str().to_string()),
                    (None, None) => None,
                };
                let mut words: Vec<String> = mm.into_iter().collect();
                if let Some(c) = colour {
                    words.push(c.as_str().to_lowercase());
                }
                let tail = if words.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", words.join(", "))
                };
                format!("Vehicle {}{tail}", vrm.display_spaced())
            }
            ObjectDetails::Phone {
                number,
                imei,
                make,
                model,
            } => match (number, imei) {
                (Some(n), _) => format!("Phone {}{}", n.display_national(), extras(&[make, model])),
                (None, Some(i)) => format!("Phone IMEI {}{}", i.as_str(), extras(&[make, model])),
                (None, None) => format!("Phone{}", extras(&[make, model])),
            },
            ObjectDetails::Weapon { weapon_type, .. } => {
                format!("Weapon: {}", weapon_type.as_str())
            }
            ObjectDetails::Document {
                document_type,
                number,
                ..
            } => match number {
                Some(n) => format!("Document: {} {}", document_type.as_str(), n.as_str()),
                None => format!("Document: {}", document_type.as_str()),
            },
            ObjectDetails::Property { category, .. } => format!("Property: {}", category.as_str()),
            ObjectDetails::Drugs {
                drug_type,
                quantity,
            } => match quantity {
                Some(q) => format!("Drugs: {} ({})", drug_type.as_str(), q.as_str()),
                None => format!("Drugs: {}", drug_type.as_str()),
            },
        }
    }
}

fn parse_details(e: &mut ValidationErrors, d: &ObjectDetailsInput) -> Option<ObjectDetails> {
    let short = |e: &mut ValidationErrors, f: &str, v: &str| {
        optional(e, &format!("details.{f}"), v, ShortText::parse)
    };
    match d {
        ObjectDetailsInput::Vehicle {
            vrm,
            make,
            model,
            colour,
            vin,
        } => {
            let vrm = required(
                e,
                "details.vrm",
                vrm,
                "Enter the vehicle registration",
                Vrm::parse,
            );
            let make = short(e, "make", make);
            let model = short(e, "model", model);
            let colour = short(e, "colour", colour);
            let vin = optional(e, "details.vin", vin, Vin::parse);
            vrm.map(|vrm| ObjectDetails::Vehicle {
                vrm,
                make,
                model,
                colour,
                vin,
            })
        }
        ObjectDetailsInput::Phone {
            number,
            imei,
            make,
            model,
        } => {
            if number.trim().is_empty() && imei.trim().is_empty() {
                e.push("details.number", "Enter a phone number or an IMEI");
                return None;
            }
            let number = optional(e, "details.number", number, PhoneNumber::parse);
            let imei = optional(e, "details.imei", imei, Imei::parse);
            let make = short(e, "make", make);
            let model = short(e, "model", model);
            Some(ObjectDetails::Phone {
                number,
                imei,
                make,
                model,
            })
        }
        ObjectDetailsInput::Weapon {
            weapon_type,
            serial_number,
        } => {
            let weapon_type = required(
                e,
                "details.weapon_type",
                weapon_type,
                "Enter the type of weapon",
                ShortText::parse,
            );
            let serial_number = short(e, "serial_number", serial_number);
            weapon_type.map(|weapon_type| ObjectDetails::Weapon {
                weapon_type,
                serial_number,
            })
        }
        ObjectDetailsInput::Document {
            document_type,
            number,
            issuing_country,
        } => {
            let document_type = required(
                e,
                "details.document_type",
                document_type,
                "Enter the type of document",
                ShortText::parse,
            );
            let number = short(e, "number", number);
            let issuing_country = optional(
                e,
                "details.issuing_country",
                issuing_country,
                Nationality::parse,
            );
            document_type.map(|document_type| ObjectDetails::Document {
                document_type,
                number,
                issuing_country,
            })
        }
        ObjectDetailsInput::Property {
            category,
            serial_number,
        } => {
            let category = required(
                e,
                "details.category",
                category,
                "Enter what the property is",
                ShortText::parse,
            );
            let serial_number = short(e, "serial_number", serial_number);
            category.map(|category| ObjectDetails::Property {
                category,
                serial_number,
            })
        }
        ObjectDetailsInput::Drugs {
            drug_type,
            quantity,
        } => {
            let drug_type = required(
                e,
                "details.drug_type",
                drug_type,
                "Enter the type of drug",
                ShortText::parse,
            );
            let quantity = short(e, "quantity", quantity);
            drug_type.map(|drug_type| ObjectDetails::Drugs {
                drug_type,
                quantity,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vehicle(vrm: &str) -> ObjectInput {
        ObjectInput {
            details: ObjectDetailsInput::Vehicle {
                vrm: vrm.into(),
                make: "Ford".into(),
                model: "Focus".into(),
                colour: "Blue".into(),
                vin: "".into(),
            },
            description: "".into(),
            marking: None,
        }
    }

    #[test]
    fn vehicle_summary_shows_spaced_registration_make_model_and_colour() {
        let (o, _) = Object::parse(&vehicle("ab12cde")).unwrap();
        assert_eq!(o.summary(), "Vehicle AB12 CDE (Ford Focus, blue)");
        assert_eq!(o.kind(), "vehicle");
    }

    #[test]
    fn vehicle_without_registration_names_the_field() {
        let err = Object::parse(&vehicle(" ")).unwrap_err();
        assert_eq!(err.0[0].field, "details.vrm");
    }

    #[test]
    fn phone_needs_a_number_or_an_imei() {
        let input = ObjectInput {
            details: ObjectDetailsInput::Phone {
                number: "".into(),
                imei: "".into(),
                make: "".into(),
                model: "".into(),
            },
            description: "".into(),
            marking: None,
        };
        assert_eq!(
            Object::parse(&input).unwrap_err().0[0].field,
            "details.number"
        );
    }

    #[test]
    fn phone_number_is_stored_in_e164_and_shown_nationally() {
        let input = ObjectInput {
            details: ObjectDetailsInput::Phone {
                number: "07700 900123".into(),
                imei: "".into(),
                make: "".into(),
                model: "".into(),
            },
            description: "".into(),
            marking: None,
        };
        let (o, _) = Object::parse(&input).unwrap();
        assert_eq!(o.summary(), "Phone 07700 900123");
        let json = serde_json::to_value(&o).unwrap();
        assert_eq!(json["details"]["number"], "+447700900123");
        assert_eq!(json["details"]["kind"], "phone");
    }

    #[test]
    fn a_phones_number_reads_back_from_its_summary() {
        let phone = |number: &str, imei: &str, make: &str| ObjectInput {
            details: ObjectDetailsInput::Phone {
                number: number.into(),
                imei: imei.into(),
                make: make.into(),
                model: "".into(),
            },
            description: "".into(),
            marking: None,
        };
        for (number, make) in [
            ("07700 900123", ""),
            ("020 7946 0000", "Nokia"),
            ("+48 601 234 567", "Samsung"),
            ("0113 496 0000", ""),
        ] {
            let (o, _) = Object::parse(&phone(number, "", make)).unwrap();
            let ObjectDetails::Phone {
                number: Some(n), ..
            } = &o.details
            else {
                panic!("a phone with a number");
            };
            assert_eq!(
                Object::phone_number_in_summary(&o.summary()).as_ref(),
                Some(n),
                "{}",
                o.summary()
            );
        }
        let (imei_only, _) = Object::parse(&phone("", "490154203237518", "Apple")).unwrap();
        assert_eq!(Object::phone_number_in_summary(&imei_only.summary()), None);
        assert_eq!(Object::phone_number_in_summary("Vehicle AB12 CDE"), None);
    }
}
