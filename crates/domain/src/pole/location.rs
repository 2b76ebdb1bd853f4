//! A location: an address, a place without one (a park, a lay-by) described and pinned on a
//! map, or both.

use super::input::LocationInput;
use super::{marking, optional};
use crate::values::{Coordinates, LongText, Postcode, ShortText, Uprn};
use crate::{Marking, ValidationErrors};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationType {
    Residential,
    Commercial,
    PublicPlace,
    LicensedPremises,
    School,
    PoliceStation,
    OpenSpace,
    Transport,
    Other,
}

impl LocationType {
    pub const ALL: [LocationType; 9] = [
        LocationType::Residential,
        LocationType::Commercial,
        LocationType::PublicPlace,
        LocationType::LicensedPremises,
        LocationType::School,
        LocationType::PoliceStation,
        LocationType::OpenSpace,
        LocationType::Transport,
        LocationType::Other,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            LocationType::Residential => "residential",
            LocationType::Commercial => "commercial",
            LocationType::PublicPlace => "public_place",
            LocationType::LicensedPremises => "licensed_premises",
            LocationType::School => "school",
            LocationType::PoliceStation => "police_station",
            LocationType::OpenSpace => "open_space",
            LocationType::Transport => "transport",
            LocationType::Other => "other",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            LocationType::Residential => "Residential",
            LocationType::Commercial => "Commercial",
            LocationType::PublicPlace => "Public place",
            LocationType::LicensedPremises => "Licensed premises",
            LocationType::School => "School",
            LocationType::PoliceStation => "Police station",
            LocationType::OpenSpace => "Open space",
            LocationType::Transport => "Transport",
            LocationType::Other => "Other",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Ok(LocationType::Other);
        }
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| "Choose a location type from the list".to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub address_lines: Vec<ShortText>,
    pub town: Option<ShortText>,
    pub postcode: Option<Postcode>,
    pub uprn: Option<Uprn>,
    pub coordinates: Option<Coordinates>,
    pub location_type: LocationType,
    pub description: Option<LongText>,
}

impl Location {
    pub fn parse(input: &LocationInput) -> Result<(Location, Marking), ValidationErrors> {
        let mut e = ValidationErrors::new();
        let mut address_lines = Vec::new();
        if input.address_lines.len() > 4 {
            e.push("address_lines", "Enter at most 4 address lines");
        } else {
            for (i, l) in input.address_lines.iter().enumerate() {
                if let Some(l) =
                    optional(&mut e, &format!("address_lines.{i}"), l, ShortText::parse)
                {
                    address_lines.push(l);
                }
            }
        }
        let town = optional(&mut e, "town", &input.town, ShortText::parse);
        let postcode = optional(&mut e, "postcode", &input.postcode, Postcode::parse);
        let uprn = optional(&mut e, "uprn", &input.uprn, Uprn::parse);
        let coordinates = match (input.latitude, input.longitude) {
            (None, None) => None,
            (Some(lat), Some(lon)) => e.check("latitude", Coordinates::new(lat, lon)),
            (Some(_), None) => {
                e.push("longitude", "Enter a longitude as well as the latitude");
                None
            }
            (None, Some(_)) => {
                e.push("latitude", "Enter a latitude as well as the longitude");
                None
            }
        };
        let location_type = e.check("location_type", LocationType::parse(&input.location_type));
        let description = optional(&mut e, "description", &input.description, LongText::parse);
        let marking = marking(&mut e, &input.marking);
        if e.is_empty()
            && address_lines.is_empty()
            && postcode.is_none()
            && coordinates.is_none()
            && description.is_none()
        {
            e.push(
                "address_lines",
                "Enter an address, a postcode, map coordinates or a description",
            );
        }
        match location_type {
            Some(location_type) if e.is_empty() => Ok((
                Location {
                    address_lines,
                    town,
                    postcode,
                    uprn,
                    coordinates,
                    location_type,
                    description,
                },
                marking,
            )),
            _ => Err(e),
        }
    }

    /// "12 High Street, Leeds LS6 1AA"
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = self
            .address_lines
            .iter()
            .map(|l| l.as_str().to_string())
            .collect();
        let place = match (&self.town, &self.postcode) {
            (Some(t), Some(p)) => Some(format!("{} {}", t.as_str(), p.as_str())),
            (Some(t), None) => Some(t.as_str().to_string()),
            (None, Some(p)) => Some(p.as_str().to_string()),
            (None, None) => None,
        };
        parts.extend(place);
        if parts.is_empty() {
            if let Some(d) = &self.description {
                return d.as_str().chars().take(80).collect();
            }
            if let Some(c) = &self.coordinates {
                return format!("{:.5}, {:.5}", c.lat(), c.lon());
            }
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_summary_joins_address_town_and_postcode() {
        let (l, _) = Location::parse(&LocationInput {
            address_lines: vec!["12 High Street".into(), "".into()],
            town: "Leeds".into(),
            postcode: "ls61aa".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(l.summary(), "12 High Street, Leeds LS6 1AA");
        assert_eq!(l.location_type, LocationType::Other);
    }

    #[test]
    fn location_needs_something_to_find_it_by() {
        let err = Location::parse(&LocationInput {
            town: "Leeds".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.0[0].field, "address_lines");
    }

    #[test]
    fn location_latitude_without_longitude_names_the_missing_field() {
        let err = Location::parse(&LocationInput {
            latitude: Some(53.8),
            postcode: "LS6 1AA".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.0[0].field, "longitude");
    }

    #[test]
    fn location_bad_postcode_names_the_field() {
        let err = Location::parse(&LocationInput {
            postcode: "NOT A POSTCODE".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.0[0].field, "postcode");
    }
}
