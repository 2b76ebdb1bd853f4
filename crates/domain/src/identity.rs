//! Who uses Bluelamp: user names, roles, the signed-in principal that every decision is made
//! for, and the visibility rule that lists and search apply before the database returns
//! anything. The decisions themselves are Cedar policies in the authz crate;
//! [`Visibility::allows`] is the same rule written as a predicate the stores can turn into
//! SQL, and a property test in authz shows the two agree.

use crate::{Actor, Classification, Compartment, Marking, Unit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// A sign-in name: 3 to 64 characters, lower-case letters, digits, dots, hyphens and
/// underscores (`pc4721`, `j.smith`, `demo.custody`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Self, String> {
        let v = s.trim().to_ascii_lowercase();
        if v.len() < 3 || v.len() > 64 {
            return Err("A user name must be 3 to 64 characters".into());
        }
        if !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            return Err(
                "A user name may use only letters, digits, dots, hyphens and underscores".into(),
            );
        }
        Ok(Self(v))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Username> for String {
    fn from(u: Username) -> String {
        u.0
    }
}
impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a user does. A user may hold several roles; the policies decide what each allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Officer,
    CustodyOfficer,
    Investigator,
    Supervisor,
    IntelligenceAnalyst,
    CaseWorker,
    CallHandler,
    Dispatcher,
    ProfessionalStandards,
    Auditor,
    Administrator,
}

impl Role {
    pub const ALL: [Role; 11] = [
        Role::Officer,
        Role::CustodyOfficer,
        Role::Investigator,
        Role::Supervisor,
        Role::IntelligenceAnalyst,
        Role::CaseWorker,
        Role::CallHandler,
        Role::Dispatcher,
        Role::ProfessionalStandards,
        Role::Auditor,
        Role::Administrator,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::CustodyOfficer => "custody_officer",
            Role::Investigator => "investigator",
            Role::Supervisor => "supervisor",
            Role::IntelligenceAnalyst => "intelligence_analyst",
            Role::CaseWorker => "case_worker",
            Role::CallHandler => "call_handler",
            Role::Dispatcher => "dispatcher",
            Role::ProfessionalStandards => "professional_standards",
            Role::Auditor => "auditor",
            Role::Administrator => "administrator",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Role::Officer => "Officer",
            Role::CustodyOfficer => "Custody officer",
            Role::Investigator => "Investigator",
            Role::Supervisor => "Supervisor",
            Role::IntelligenceAnalyst => "Intelligence analyst",
            Role::CaseWorker => "Case worker",
            Role::CallHandler => "Call handler",
            Role::Dispatcher => "Dispatcher",
            Role::ProfessionalStandards => "Professional standards",
            Role::Auditor => "Auditor",
            Role::Administrator => "Administrator",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let v = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == v)
            .ok_or_else(|| format!("'{}' is not a role", s.trim()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in user as every authorisation decision sees them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Principal {
    pub username: Username,
    pub display_name: String,
    pub roles: BTreeSet<Role>,
    pub unit: Unit,
    /// The highest classification the user's vetting allows them to see.
    pub clearance: Classification,
    pub compartments: BTreeSet<Compartment>,
}

impl Principal {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.username.as_str().to_string(),
            display_name: self.display_name.clone(),
        }
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The visibility of records for this user, assuming their role allows the action at
    /// all (the authz crate decides that and returns `None` when it does not).
    pub fn visibility(&self) -> Visibility {
        Visibility {
            max_rank: self.clearance.rank(),
            compartments: self
                .compartments
                .iter()
                .map(|c| c.as_str().to_string())
                .collect(),
            unit: self.unit.as_str().to_string(),
            user_id: self.username.as_str().to_string(),
            supervisor: self.has_role(Role::Supervisor),
        }
    }
}

/// Which records a user may see in a list or a search, as a predicate a store can evaluate
/// in SQL: the classification at most the user's clearance, every compartment of the record
/// held, and, for a restricted record, the user's unit named, the user named, or the user a
/// supervisor in a named officer's unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visibility {
    pub max_rank: i16,
    /// Sorted compartment names the user holds.
    pub compartments: Vec<String>,
    pub unit: String,
    pub user_id: String,
    pub supervisor: bool,
}

impl Visibility {
    pub fn allows(&self, marking: &Marking) -> bool {
        if marking.classification.rank() > self.max_rank {
            return false;
        }
        if !marking
            .compartments
            .iter()
            .all(|c| self.compartments.iter().any(|h| h == c.as_str()))
        {
            return false;
        }
        match &marking.restriction {
            None => true,
            Some(r) => {
                r.teams.iter().any(|t| t.as_str() == self.unit)
                    || r.officers.contains(&self.user_id)
                    || (self.supervisor && r.officer_units.iter().any(|u| u.as_str() == self.unit))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Restriction;

    fn principal(clearance: Classification, comps: &[&str], unit: &str) -> Principal {
        Principal {
            username: Username::parse("pc4721").unwrap(),
            display_name: "PC 4721".into(),
            roles: [Role::Officer].into(),
            unit: Unit::parse(unit).unwrap(),
            clearance,
            compartments: comps
                .iter()
                .map(|c| Compartment::parse(c).unwrap())
                .collect(),
        }
    }

    #[test]
    fn usernames_are_lower_case_and_bounded() {
        assert_eq!(Username::parse(" J.Smith ").unwrap().as_str(), "j.smith");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("a b c").is_err());
        assert!(Username::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn roles_round_trip_and_accept_labels() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
            assert_eq!(Role::parse(r.label()).unwrap(), r);
        }
        assert!(Role::parse("chief constable").is_err());
    }

    #[test]
    fn visibility_needs_clearance_and_every_compartment() {
        let v = principal(Classification::OfficialSensitive, &["OP-KESTREL"], "CID").visibility();
        let m = |c: Classification, comps: &[&str]| {
            Marking::new(
                c,
                comps
                    .iter()
                    .map(|c| Compartment::parse(c).unwrap())
                    .collect(),
                vec![],
            )
        };
        assert!(v.allows(&m(Classification::Official, &[])));
        assert!(v.allows(&m(Classification::OfficialSensitive, &["OP-KESTREL"])));
        assert!(!v.allows(&m(Classification::Secret, &[])));
        assert!(!v.allows(&m(Classification::Official, &["OP-KESTREL", "PSD"])));
    }

    #[test]
    fn restricted_records_open_to_named_teams_officers_and_their_supervisors() {
        let restricted = Marking::official().with_restriction(Some(Restriction {
            teams: vec![Unit::parse("MIT").unwrap()],
            officers: vec!["dc101".into()],
            officer_units: vec![Unit::parse("CID").unwrap()],
        }));
        let mut p = principal(Classification::Secret, &[], "CID");
        assert!(!p.visibility().allows(&restricted), "same unit, not named");
        p.roles.insert(Role::Supervisor);
        assert!(
            p.visibility().allows(&restricted),
            "supervisor of the named officer's unit"
        );
        let named = Principal {
            username: Username::parse("dc101").unwrap(),
            ..principal(Classification::Official, &[], "ROADS")
        };
        assert!(named.visibility().allows(&restricted));
        let team = principal(Classification::Official, &[], "MIT");
        assert!(team.visibility().allows(&restricted));
    }
}
