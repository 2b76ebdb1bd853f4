//! The list and search pre-filter must agree with the Cedar policies on every user and
//! record, or a list could show what a record page would refuse (or hide what it would
//! show). Random users and records, 100,000 pairs per run (`PROPTEST_CASES` overrides).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bluelamp_authz::{Action, Authorizer, CedarAuthorizer};
use bluelamp_domain::{
    Classification, Compartment, Marking, Principal, RecordKind, Restriction, Role, Unit, Username,
};
use proptest::prelude::*;
use proptest::sample::subsequence;

const UNITS: [&str; 4] = ["CID", "MIT", "PSD", "ROADS"];
const COMPARTMENTS: [&str; 3] = ["OP-KESTREL", "PSD", "CHIS"];
const USERS: [&str; 4] = ["pc101", "dc202", "ds303", "pc404"];

fn classification() -> impl Strategy<Value = Classification> {
    prop::sample::select(Classification::ALL.to_vec())
}

fn principal() -> impl Strategy<Value = Principal> {
    (
        prop::sample::select(USERS.to_vec()),
        subsequence(Role::ALL.to_vec(), 0..=3),
        prop::sample::select(UNITS.to_vec()),
        classification(),
        subsequence(COMPARTMENTS.to_vec(), 0..=3),
    )
        .prop_map(|(user, roles, unit, clearance, comps)| Principal {
            username: Username::parse(user).unwrap(),
            display_name: user.to_uppercase(),
            roles: roles.into_iter().collect(),
            unit: Unit::parse(unit).unwrap(),
            clearance,
            compartments: comps
                .into_iter()
                .map(|c| Compartment::parse(c).unwrap())
                .collect(),
        })
}

fn restriction() -> impl Strategy<Value = Option<Restriction>> {
    prop::option::weighted(
        0.4,
        (
            subsequence(UNITS.to_vec(), 0..=2),
            subsequence(USERS.to_vec(), 0..=2),
            subsequence(UNITS.to_vec(), 0..=2),
        )
            .prop_map(|(teams, officers, officer_units)| Restriction {
                teams: teams.into_iter().map(|t| Unit::parse(t).unwrap()).collect(),
                officers: officers.into_iter().map(String::from).collect(),
                officer_units: officer_units
                    .into_iter()
                    .map(|t| Unit::parse(t).unwrap())
                    .collect(),
            }),
    )
}

fn marking() -> impl Strategy<Value = Marking> {
    (
        classification(),
        subsequence(COMPARTMENTS.to_vec(), 0..=2),
        restriction(),
    )
        .prop_map(|(c, comps, r)| {
            Marking::new(
                c,
                comps
                    .into_iter()
                    .map(|c| Compartment::parse(c).unwrap())
                    .collect(),
                vec![],
            )
            .with_restriction(r)
        })
}

fn kind() -> impl Strategy<Value = RecordKind> {
    prop::sample::select(RecordKind::ALL.to_vec())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn prefilter_agrees_with_cedar(p in principal(), m in marking(), k in kind(),
                                   a in prop::sample::select(vec![Action::Read, Action::List, Action::Search])) {
        let authz = authorizer();
        let cedar = authz.record(&p, a, k, &m).allowed;
        let filter = authz.visibility(&p, a).is_some_and(|v| v.allows(&m));
        prop_assert_eq!(cedar, filter, "user {:?} record {:?} action {:?}", p, m, a);
    }
}

fn authorizer() -> &'static CedarAuthorizer {
    static AUTHZ: std::sync::OnceLock<CedarAuthorizer> = std::sync::OnceLock::new();
    AUTHZ.get_or_init(|| CedarAuthorizer::new(Classification::Secret).unwrap())
}

fn user(roles: &[Role], clearance: Classification, comps: &[&str], unit: &str) -> Principal {
    Principal {
        username: Username::parse("pc101").unwrap(),
        display_name: "PC 101".into(),
        roles: roles.iter().copied().collect(),
        unit: Unit::parse(unit).unwrap(),
        clearance,
        compartments: comps
            .iter()
            .map(|c| Compartment::parse(c).unwrap())
            .collect(),
    }
}

fn marked(c: Classification, comps: &[&str]) -> Marking {
    Marking::new(
        c,
        comps
            .iter()
            .map(|c| Compartment::parse(c).unwrap())
            .collect(),
        vec![],
    )
}

#[test]
fn clearance_below_classification_is_refused_by_the_forbid() {
    let officer = user(&[Role::Officer], Classification::Official, &[], "CID");
    let d = authorizer().record(
        &officer,
        Action::Read,
        RecordKind::Person,
        &marked(Classification::OfficialSensitive, &[]),
    );
    assert!(!d.allowed);
    assert_eq!(d.policies, ["need-to-know.clearance-below-classification"]);
    let ok = authorizer().record(
        &officer,
        Action::Read,
        RecordKind::Person,
        &marked(Classification::Official, &[]),
    );
    assert!(ok.allowed);
    assert_eq!(ok.policies, ["records.consult.operational-roles"]);
}

#[test]
fn a_missing_compartment_is_refused_even_with_top_clearance() {
    let analyst = user(
        &[Role::IntelligenceAnalyst],
        Classification::Secret,
        &["OP-KESTREL"],
        "INTEL",
    );
    let d = authorizer().record(
        &analyst,
        Action::Read,
        RecordKind::Event,
        &marked(Classification::Secret, &["OP-KESTREL", "CHIS"]),
    );
    assert!(!d.allowed);
    assert_eq!(d.policies, ["need-to-know.compartment-not-held"]);
}

#[test]
fn administrators_and_auditors_do_not_read_records_but_do_their_own_work() {
    let admin = user(&[Role::Administrator], Classification::Secret, &[], "IT");
    let auditor = user(&[Role::Auditor], Classification::Secret, &[], "PSD");
    let rec = marked(Classification::Official, &[]);
    assert!(
        !authorizer()
            .record(&admin, Action::Read, RecordKind::Person, &rec)
            .allowed
    );
    assert!(
        !authorizer()
            .record(&auditor, Action::Read, RecordKind::Person, &rec)
            .allowed
    );
    assert!(authorizer().visibility(&admin, Action::List).is_none());
    assert!(authorizer().system(&admin, Action::ManageUsers).allowed);
    assert!(!authorizer().system(&auditor, Action::ManageUsers).allowed);
    assert!(authorizer().system(&auditor, Action::ReadAudit).allowed);
    assert!(!authorizer().system(&admin, Action::ReadAudit).allowed);
}

#[test]
fn dispatchers_read_but_do_not_record() {
    let d = user(
        &[Role::Dispatcher],
        Classification::Official,
        &[],
        "CONTROL",
    );
    let rec = marked(Classification::Official, &[]);
    assert!(
        authorizer()
            .record(&d, Action::Read, RecordKind::Person, &rec)
            .allowed
    );
    assert!(
        !authorizer()
            .record(&d, Action::Create, RecordKind::Person, &rec)
            .allowed
    );
}

#[test]
fn a_deployment_refuses_to_store_above_its_accreditation() {
    let authz = CedarAuthorizer::new(Classification::OfficialSensitive).unwrap();
    let cleared = user(&[Role::Investigator], Classification::Secret, &[], "MIT");
    let d = authz.record(
        &cleared,
        Action::Create,
        RecordKind::Event,
        &marked(Classification::Secret, &[]),
    );
    assert!(!d.allowed);
    assert_eq!(d.policies, ["accreditation.above-deployment-tier"]);
    assert!(
        authz
            .record(
                &cleared,
                Action::Create,
                RecordKind::Event,
                &marked(Classification::OfficialSensitive, &[])
            )
            .allowed
    );
}

#[test]
fn restricted_records_open_to_the_officer_in_the_case_and_their_supervisor() {
    let rec = Marking::official().with_restriction(Some(Restriction {
        teams: vec![],
        officers: vec!["dc202".into()],
        officer_units: vec![Unit::parse("CID").unwrap()],
    }));
    let mut oic = user(&[Role::Investigator], Classification::Official, &[], "CID");
    oic.username = Username::parse("dc202").unwrap();
    let colleague = user(&[Role::Investigator], Classification::Secret, &[], "CID");
    let supervisor = user(&[Role::Supervisor], Classification::Official, &[], "CID");
    let other_supervisor = user(&[Role::Supervisor], Classification::Official, &[], "ROADS");
    let read = |p: &Principal| authorizer().record(p, Action::Read, RecordKind::Event, &rec);
    assert!(read(&oic).allowed);
    assert!(read(&supervisor).allowed);
    let refused = read(&colleague);
    assert!(!refused.allowed);
    assert_eq!(
        refused.policies,
        ["need-to-know.restricted-to-named-teams-and-officers"]
    );
    assert!(!read(&other_supervisor).allowed);
}

#[test]
fn custody_records_are_kept_by_custody_officers_and_supervisors_within_need_to_know() {
    let rec = marked(Classification::OfficialSensitive, &[]);
    let custody = |p: &Principal| authorizer().record(p, Action::Custody, RecordKind::Event, &rec);
    let sergeant = user(
        &[Role::CustodyOfficer],
        Classification::OfficialSensitive,
        &[],
        "CUSTODY",
    );
    let inspector = user(
        &[Role::Supervisor],
        Classification::OfficialSensitive,
        &[],
        "CUSTODY",
    );
    let response = user(&[Role::Officer], Classification::Secret, &[], "RESPONSE");
    let uncleared = user(
        &[Role::CustodyOfficer],
        Classification::Official,
        &[],
        "CUSTODY",
    );
    assert!(custody(&sergeant).allowed);
    assert_eq!(
        custody(&sergeant).policies,
        ["custody.keep-records.custody-roles"]
    );
    assert!(custody(&inspector).allowed);
    assert!(
        !custody(&response).allowed,
        "an arresting officer reads, the suite records"
    );
    let refused = custody(&uncleared);
    assert!(!refused.allowed);
    assert_eq!(
        refused.policies,
        ["need-to-know.clearance-below-classification"]
    );
}

#[test]
fn break_glass_lifts_compartments_and_restrictions_for_reading_only_never_clearance() {
    let authz = authorizer();
    let officer = user(
        &[Role::Officer],
        Classification::OfficialSensitive,
        &[],
        "RESPONSE",
    );
    let compartmented = marked(Classification::Official, &["OP-KESTREL"]);
    let restricted = Marking::official().with_restriction(Some(Restriction {
        teams: vec![Unit::parse("MIT").unwrap()],
        officers: vec![],
        officer_units: vec![],
    }));
    for m in [&compartmented, &restricted] {
        assert!(
            !authz
                .record(&officer, Action::Read, RecordKind::Person, m)
                .allowed
        );
        assert!(
            authz
                .record_break_glass(&officer, Action::Read, RecordKind::Person, m)
                .allowed
        );
        for a in [Action::List, Action::Search, Action::Update, Action::Export] {
            assert!(
                !authz
                    .record_break_glass(&officer, a, RecordKind::Person, m)
                    .allowed,
                "{a:?}"
            );
        }
    }
    let secret = marked(Classification::Secret, &[]);
    let d = authz.record_break_glass(&officer, Action::Read, RecordKind::Person, &secret);
    assert!(!d.allowed);
    assert_eq!(d.policies, ["need-to-know.clearance-below-classification"]);
}
