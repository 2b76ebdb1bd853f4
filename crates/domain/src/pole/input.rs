//! What a client sends to create or change a POLE record: plain strings and numbers, exactly
//! as typed into a form or a JSON body. `parse()` (in the sibling modules) turns an input into
//! a valid entity or into a list of every field problem. Unknown fields are refused.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// A record's marking as sent by a client. Omitted means OFFICIAL with no compartments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MarkingInput {
    /// OFFICIAL, OFFICIAL-SENSITIVE or SECRET.
    pub classification: String,
    #[serde(default)]
    pub compartments: Vec<String>,
    #[serde(default)]
    pub caveats: Vec<String>,
    /// Restrict the record to named teams and officers (need to know beyond the
    /// classification and compartments).
    #[serde(default)]
    pub restriction: Option<RestrictionInput>,
}

/// Who may see a restricted record: members of the named teams, the named officers (by user
/// name) and supervisors in those officers' units.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RestrictionInput {
    #[serde(default)]
    pub teams: Vec<String>,
    #[serde(default)]
    pub officers: Vec<String>,
}

/// Another name a person is known by.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OtherNameInput {
    pub family_name: String,
    #[serde(default)]
    pub given_names: String,
    /// alias, maiden, nickname, previous or other.
    #[serde(default)]
    pub name_type: String,
}

/// A person identifier, typed: PNC, CRO, NI, NOMS, CRN, PASSPORT, DRIVER.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IdentifierInput {
    #[serde(rename = "type")]
    pub id_type: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DescriptionInput {
    pub height_cm: Option<u16>,
    #[serde(default)]
    pub build: String,
    #[serde(default)]
    pub hair: String,
    #[serde(default)]
    pub eyes: String,
    /// Scars, marks, tattoos.
    #[serde(default)]
    pub marks: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    pub family_name: String,
    /// Given names separated by spaces, in order.
    #[serde(default)]
    pub given_names: String,
    #[serde(default)]
    pub other_names: Vec<OtherNameInput>,
    /// `YYYY-MM-DD`, `YYYY-MM`, `YYYY`, or empty when unknown.
    #[serde(default)]
    pub date_of_birth: String,
    /// male, female, other, not_known.
    #[serde(default)]
    pub gender: String,
    /// Self-defined ethnicity code (18+1), such as W1 or A2.
    #[serde(default)]
    pub ethnicity: String,
    #[serde(default)]
    pub place_of_birth: String,
    /// ISO 3166-1 alpha-3 code, such as GBR.
    #[serde(default)]
    pub nationality: String,
    #[serde(default)]
    pub description: DescriptionInput,
    #[serde(default)]
    pub identifiers: Vec<IdentifierInput>,
    /// Warning marker codes, such as VI (violent) or WE (weapons).
    #[serde(default)]
    pub warning_markers: Vec<String>,
    /// Free-form flags (VIP, STAFF, ...).
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default)]
    pub marking: Option<MarkingInput>,
}

/// The details of an object, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ObjectDetailsInput {
    Vehicle {
        /// Vehicle registration mark (number plate).
        vrm: String,
        #[serde(default)]
        make: String,
        #[serde(default)]
        model: String,
        #[serde(default)]
        colour: String,
        #[serde(default)]
        vin: String,
    },
    Phone {
        /// Any common format; stored as E.164.
        #[serde(default)]
        number: String,
        #[serde(default)]
        imei: String,
        #[serde(default)]
        make: String,
        #[serde(default)]
        model: String,
    },
    Weapon {
        weapon_type: String,
        #[serde(default)]
        serial_number: String,
    },
    Document {
        document_type: String,
        #[serde(default)]
        number: String,
        /// ISO 3166-1 alpha-3 code of the issuing country.
        #[serde(default)]
        issuing_country: String,
    },
    Property {
        category: String,
        #[serde(default)]
        serial_number: String,
    },
    Drugs {
        drug_type: String,
        #[serde(default)]
        quantity: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ObjectInput {
    pub details: ObjectDetailsInput,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub marking: Option<MarkingInput>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    /// Up to 4 lines: building, street, locality.
    #[serde(default)]
    pub address_lines: Vec<String>,
    #[serde(default)]
    pub town: String,
    #[serde(default)]
    pub postcode: String,
    /// Unique Property Reference Number.
    #[serde(default)]
    pub uprn: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// residential, commercial, public_place, licensed_premises, school, police_station,
    /// open_space, transport, other.
    #[serde(default)]
    pub location_type: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub marking: Option<MarkingInput>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// incident, crime, arrest, custody_episode, intelligence_report, stop_and_search,
    /// call_for_service, other.
    pub event_type: String,
    /// A one-line title ("Burglary at 12 High Street").
    pub title: String,
    /// RFC 3339 instant.
    pub starts_at: String,
    /// RFC 3339 instant, if the event has ended.
    #[serde(default)]
    pub ends_at: String,
    /// The record id of the location where it happened.
    #[serde(default)]
    pub location_id: String,
    #[serde(default)]
    pub narrative: String,
    #[serde(default)]
    pub marking: Option<MarkingInput>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    pub from_id: String,
    pub to_id: String,
    /// suspect, victim, witness, informant, reporting_person, detainee, owner, keeper, driver,
    /// user, resides_at, works_at, frequents, associate_of, family_of, occurred_at, involved,
    /// related_to.
    pub role: String,
    /// `YYYY-MM-DD`
    #[serde(default)]
    pub valid_from: String,
    /// `YYYY-MM-DD`
    #[serde(default)]
    pub valid_to: String,
    /// The record (usually an event) that asserted this link.
    #[serde(default)]
    pub asserted_by: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub marking: Option<MarkingInput>,
}
