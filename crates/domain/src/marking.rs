//! Protective markings. Every record carries one: a Government Security Classification,
//! the compartments (need-to-know groups) a reader must hold, and handling caveats.
//! This module stores and orders them; the authz crate (Security issue) enforces them.
//!
//! OFFICIAL-SENSITIVE is formally OFFICIAL with a handling caveat; it is modelled as its own
//! level between OFFICIAL and SECRET because access decisions treat it as stricter than
//! OFFICIAL.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Classification {
    #[serde(rename = "OFFICIAL")]
    Official,
    #[serde(rename = "OFFICIAL-SENSITIVE")]
    OfficialSensitive,
    #[serde(rename = "SECRET")]
    Secret,
}

impl Classification {
    pub const ALL: [Classification; 3] = [
        Classification::Official,
        Classification::OfficialSensitive,
        Classification::Secret,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Classification::Official => "OFFICIAL",
            Classification::OfficialSensitive => "OFFICIAL-SENSITIVE",
            Classification::Secret => "SECRET",
        }
    }

    /// A number that orders the levels, for storage and SQL comparison.
    pub fn rank(&self) -> i16 {
        match self {
            Classification::Official => 1,
            Classification::OfficialSensitive => 2,
            Classification::Secret => 3,
        }
    }

    pub fn from_rank(rank: i16) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.rank() == rank)
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Classification {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalised = s.trim().to_ascii_uppercase().replace([' ', '_'], "-");
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == normalised)
            .ok_or_else(|| "Choose OFFICIAL, OFFICIAL-SENSITIVE or SECRET".to_string())
    }
}

/// A need-to-know group, such as `OPERATION-KESTREL` or `PSD`: 1 to 40 characters of
/// capital letters, digits and hyphens (input is upper-cased).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Compartment(String);

impl Compartment {
    pub fn parse(s: &str) -> Result<Self, String> {
        code_name(s, "compartment name").map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Compartment {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Compartment> for String {
    fn from(c: Compartment) -> String {
        c.0
    }
}

/// A handling caveat, such as `UK EYES ONLY` or `NOT FOR DISSEMINATION`: 1 to 60 characters
/// of capital letters, digits, spaces and hyphens (input is upper-cased).
/// An upper-case code of letters, digits and hyphens (compartments, units).
fn code_name(s: &str, what: &str) -> Result<String, String> {
    let v = s.trim().to_ascii_uppercase();
    if v.is_empty() || v.len() > 40 {
        return Err(format!("A {what} must be 1 to 40 characters"));
    }
    if !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!("A {what} may use only letters, digits and hyphens"));
    }
    Ok(v)
}

/// A team or unit code (`CID-NORTH`, `PSD`, `CUSTODY-CENTRAL`): where a user works, and
/// which teams a restricted record is open to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Unit(String);

impl Unit {
    pub fn parse(s: &str) -> Result<Self, String> {
        code_name(s, "unit code").map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Unit {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Unit> for String {
    fn from(c: Unit) -> String {
        c.0
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A need-to-know restriction on top of classification and compartments: the record is open
/// only to the named teams, the named officers (the officer in the case) and supervisors in
/// those officers' units. An empty restriction opens the record to nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Restriction {
    #[serde(default)]
    pub teams: Vec<Unit>,
    /// User ids of the named officers.
    #[serde(default)]
    pub officers: Vec<String>,
    /// The units those officers belonged to when they were named (filled in by the
    /// application from the user directory; a supervisor in one of them may see the record).
    #[serde(default)]
    pub officer_units: Vec<Unit>,
}

impl Restriction {
    /// A restriction from its input: team codes and officers' user names. Officer units are
    /// filled in later by whoever knows the directory.
    pub fn parse(teams: &[String], officers: &[String]) -> Result<Self, crate::ValidationErrors> {
        let mut errors = crate::ValidationErrors::new();
        let mut out = Restriction::default();
        for (i, t) in teams.iter().enumerate() {
            if let Some(u) = errors.check(&format!("marking.restriction.teams.{i}"), Unit::parse(t))
            {
                out.teams.push(u);
            }
        }
        for (i, o) in officers.iter().enumerate() {
            if let Some(u) = errors.check(
                &format!("marking.restriction.officers.{i}"),
                crate::identity::Username::parse(o),
            ) {
                out.officers.push(u.as_str().to_string());
            }
        }
        if teams.is_empty() && officers.is_empty() {
            errors.push(
                "marking.restriction",
                "Name at least one team or officer who may see a restricted record",
            );
        }
        out.normalise();
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    pub fn normalise(&mut self) {
        self.teams.sort();
        self.teams.dedup();
        self.officers.sort();
        self.officers.dedup();
        self.officer_units.sort();
        self.officer_units.dedup();
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HandlingCaveat(String);

impl HandlingCaveat {
    pub fn parse(s: &str) -> Result<Self, String> {
        let v = s
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_uppercase();
        if v.is_empty() || v.len() > 60 {
            return Err("A handling caveat must be 1 to 60 characters".into());
        }
        if !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ')
        {
            return Err(
                "A handling caveat may use only letters, digits, spaces and hyphens".into(),
            );
        }
        Ok(Self(v))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for HandlingCaveat {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<HandlingCaveat> for String {
    fn from(c: HandlingCaveat) -> String {
        c.0
    }
}

/// The marking a record carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Marking {
    pub classification: Classification,
    #[serde(default)]
    pub compartments: Vec<Compartment>,
    #[serde(default)]
    pub caveats: Vec<HandlingCaveat>,
    /// Open only to named teams and officers; `None` for most records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restriction: Option<Restriction>,
}

impl Default for Marking {
    fn default() -> Self {
        Self::official()
    }
}

impl Marking {
    pub fn official() -> Self {
        Self {
            classification: Classification::Official,
            compartments: Vec::new(),
            caveats: Vec::new(),
            restriction: None,
        }
    }

    /// Builds a marking from its parts, sorting and de-duplicating the lists so that two
    /// markings with the same meaning compare equal.
    pub fn new(
        classification: Classification,
        mut compartments: Vec<Compartment>,
        mut caveats: Vec<HandlingCaveat>,
    ) -> Self {
        compartments.sort();
        compartments.dedup();
        caveats.sort();
        caveats.dedup();
        Self {
            classification,
            compartments,
            caveats,
            restriction: None,
        }
    }

    pub fn with_restriction(mut self, restriction: Option<Restriction>) -> Self {
        self.restriction = restriction.map(|mut r| {
            r.normalise();
            r
        });
        self
    }

    /// Parses the parts as a form or API sends them: compartments and caveats as lists
    /// (a form's comma-separated text is split by the caller).
    pub fn parse(
        classification: &str,
        compartments: &[String],
        caveats: &[String],
    ) -> Result<Self, crate::ValidationErrors> {
        let mut errors = crate::ValidationErrors::new();
        let class = errors.check(
            "marking.classification",
            classification.parse::<Classification>(),
        );
        let mut comps = Vec::new();
        for (i, c) in compartments.iter().enumerate() {
            if let Some(c) =
                errors.check(&format!("marking.compartments.{i}"), Compartment::parse(c))
            {
                comps.push(c);
            }
        }
        let mut cavs = Vec::new();
        for (i, c) in caveats.iter().enumerate() {
            if let Some(c) = errors.check(&format!("marking.caveats.{i}"), HandlingCaveat::parse(c))
            {
                cavs.push(c);
            }
        }
        match class {
            Some(class) if errors.is_empty() => Ok(Self::new(class, comps, cavs)),
            _ => Err(errors),
        }
    }

    /// Whether everyone whose clearance opens a record marked `outer` is, by the marking
    /// alone, cleared for one marked `self`: a classification no higher, no compartment or
    /// caveat `outer` lacks, and no restriction other than `outer`'s. What a process may
    /// carry from one record into what it shows about another (a person's duplicate check
    /// weighs the addresses and numbers linked to them only where this holds).
    pub fn within(&self, outer: &Marking) -> bool {
        self.classification <= outer.classification
            && self
                .compartments
                .iter()
                .all(|c| outer.compartments.contains(c))
            && self.caveats.iter().all(|c| outer.caveats.contains(c))
            && (self.restriction.is_none() || self.restriction == outer.restriction)
    }

    /// The banner text shown on pages: `OFFICIAL-SENSITIVE [PSD] UK EYES ONLY`.
    pub fn banner(&self) -> String {
        let mut s = self.classification.as_str().to_string();
        if !self.compartments.is_empty() {
            let list: Vec<&str> = self.compartments.iter().map(|c| c.as_str()).collect();
            s.push_str(&format!(" [{}]", list.join(", ")));
        }
        for c in &self.caveats {
            s.push(' ');
            s.push_str(c.as_str());
        }
        if self.restriction.is_some() {
            s.push_str(" RESTRICTED");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifications_are_ordered_by_sensitivity() {
        assert!(Classification::Official < Classification::OfficialSensitive);
        assert!(Classification::OfficialSensitive < Classification::Secret);
        for c in Classification::ALL {
            assert_eq!(Classification::from_rank(c.rank()), Some(c));
        }
    }

    #[test]
    fn classification_parse_accepts_common_spellings() {
        assert_eq!(
            "official sensitive".parse::<Classification>().unwrap(),
            Classification::OfficialSensitive
        );
        assert!("TOP SECRET".parse::<Classification>().is_err());
    }

    #[test]
    fn compartment_rejects_punctuation_and_upper_cases() {
        assert_eq!(
            Compartment::parse(" op-kestrel ").unwrap().as_str(),
            "OP-KESTREL"
        );
        assert!(Compartment::parse("op kestrel").is_err());
        assert!(Compartment::parse("").is_err());
    }

    #[test]
    fn marking_parse_names_each_bad_field() {
        let err = Marking::parse("VERY SECRET", &["ok".into(), "bad one".into()], &[]).unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["marking.classification", "marking.compartments.1"]);
    }

    #[test]
    fn a_marking_is_within_another_that_opens_no_less() {
        let m = |class: &str, comps: &[&str], cavs: &[&str]| {
            let comps: Vec<String> = comps.iter().map(|c| (*c).to_owned()).collect();
            let cavs: Vec<String> = cavs.iter().map(|c| (*c).to_owned()).collect();
            Marking::parse(class, &comps, &cavs).unwrap()
        };
        let official = Marking::official();
        let psd = m("OFFICIAL-SENSITIVE", &["psd"], &[]);
        assert!(official.within(&official));
        assert!(official.within(&psd));
        assert!(psd.within(&m("SECRET", &["psd", "covert"], &["uk eyes only"])));
        assert!(!psd.within(&official), "higher classification");
        assert!(
            !psd.within(&m("SECRET", &["covert"], &[])),
            "compartment not held"
        );
        assert!(
            !m("OFFICIAL", &[], &["uk eyes only"]).within(&official),
            "caveat"
        );
        let restriction = Restriction::parse(&["CID".into()], &[]).unwrap();
        let restricted = official.clone().with_restriction(Some(restriction.clone()));
        assert!(!restricted.within(&official), "restricted to named teams");
        assert!(restricted.within(&restricted.clone()));
        assert!(official.within(&restricted));
    }

    #[test]
    fn marking_banner_lists_compartments_and_caveats() {
        let m = Marking::parse("SECRET", &["psd".into()], &["uk eyes only".into()]).unwrap();
        assert_eq!(m.banner(), "SECRET [PSD] UK EYES ONLY");
    }
}
