//! Tests of the public generator: determinism, exact counts and realistic ratios,
//! insertable ordering, the shape of generated values, and that the domain accepts every
//! item it produces.

// Test helpers outside `#[test]` functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};

use bluelamp_demo::{DemoConfig, DemoItem, generate};
use bluelamp_domain::pole::input::ObjectDetailsInput;
use bluelamp_domain::{RecordId, RecordKind};

fn as_of() -> jiff::Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn config(seed: u64, persons: u64) -> DemoConfig {
    DemoConfig {
        seed,
        persons,
        as_of: as_of(),
        max_classification: bluelamp_domain::Classification::Secret,
    }
}

fn items(seed: u64, persons: u64) -> Vec<DemoItem> {
    generate(config(seed, persons)).collect()
}

fn id(s: &str) -> RecordId {
    s.parse().unwrap()
}

#[test]
fn same_config_gives_identical_items_and_another_seed_differs() {
    let a = items(42, 2_000);
    let b = items(42, 2_000);
    assert_eq!(a, b);
    let c = items(43, 2_000);
    assert_ne!(a, c);
    assert_ne!(a.first().map(DemoItem::id), c.first().map(DemoItem::id));
}

#[test]
fn emits_exactly_the_requested_number_of_persons() {
    for n in [0, 1, 2, 3, 7, 100, 1_001] {
        let persons = generate(config(5, n))
            .filter(|i| i.kind() == RecordKind::Person)
            .count() as u64;
        assert_eq!(persons, n);
    }
    assert_eq!(generate(config(5, 0)).count(), 0);
}

#[test]
fn every_reference_points_to_an_item_emitted_earlier() {
    let mut seen: HashMap<RecordId, RecordKind> = HashMap::new();
    let mut previous: Option<RecordId> = None;
    for item in generate(config(11, 10_000)) {
        match &item {
            DemoItem::Link(_, l) => {
                let from = id(&l.from_id);
                let to = id(&l.to_id);
                assert!(
                    seen.contains_key(&from),
                    "link from {from} before it exists"
                );
                assert!(seen.contains_key(&to), "link to {to} before it exists");
                assert_ne!(from, to);
                if !l.asserted_by.is_empty() {
                    assert_eq!(seen.get(&id(&l.asserted_by)), Some(&RecordKind::Event));
                }
            }
            DemoItem::Event(_, e) => {
                let loc = id(&e.location_id);
                assert_eq!(seen.get(&loc), Some(&RecordKind::Location));
            }
            _ => {}
        }
        let this = item.id();
        assert_eq!(this.0.get_version_num(), 7);
        assert!(
            previous.is_none_or(|p| p < this),
            "ids rise in emission order"
        );
        assert!(
            seen.insert(this, item.kind()).is_none(),
            "duplicate id {this}"
        );
        previous = Some(this);
    }
    let last_ms = previous
        .and_then(|p| p.0.get_timestamp())
        .map(|t| t.to_unix());
    assert!(last_ms.is_some_and(|(secs, _)| secs as i64 <= as_of().as_second()));
}

#[test]
fn link_roles_join_the_right_kinds_of_record() {
    let mut kinds: HashMap<RecordId, RecordKind> = HashMap::new();
    let mut roles: HashMap<String, usize> = HashMap::new();
    for item in generate(config(12, 3_000)) {
        if let DemoItem::Link(_, l) = &item {
            let from = kinds[&id(&l.from_id)];
            let to = kinds[&id(&l.to_id)];
            use RecordKind::*;
            let expected = match l.role.as_str() {
                "suspect" | "victim" | "witness" | "reporting_person" => (Person, Event),
                "owner" | "keeper" | "user" => (Person, Object),
                "resides_at" => (Person, Location),
                "associate_of" | "family_of" => (Person, Person),
                "occurred_at" => (Event, Location),
                "involved" => (Object, Event),
                other => panic!("unexpected role {other}"),
            };
            assert_eq!((from, to), expected, "{}", l.role);
            *roles.entry(l.role.clone()).or_default() += 1;
        }
        kinds.insert(item.id(), item.kind());
    }
    for role in [
        "suspect",
        "victim",
        "witness",
        "reporting_person",
        "owner",
        "keeper",
        "user",
        "resides_at",
        "associate_of",
        "family_of",
        "occurred_at",
        "involved",
    ] {
        assert!(roles.get(role).is_some_and(|n| *n > 0), "no {role} links");
    }
}

#[derive(Default)]
struct Tally {
    persons: f64,
    residential: f64,
    other_locations: f64,
    vehicles: f64,
    phones: f64,
    events: f64,
    with_pnc: f64,
    with_ni: f64,
    with_other_name: f64,
    with_markers: f64,
    dob_full: f64,
    dob_month: f64,
    dob_year: f64,
    dob_unknown: f64,
    marked_persons: f64,
    secret_persons: f64,
    white_british: f64,
    gbr: f64,
    event_types: HashMap<String, f64>,
}

fn tally(items: &[DemoItem]) -> Tally {
    let mut t = Tally::default();
    for item in items {
        match item {
            DemoItem::Person(_, p) => {
                t.persons += 1.0;
                let has = |ty: &str| p.identifiers.iter().any(|i| i.id_type == ty);
                t.with_pnc += f64::from(u8::from(has("PNC")));
                t.with_ni += f64::from(u8::from(has("NI")));
                t.with_other_name += f64::from(u8::from(!p.other_names.is_empty()));
                t.with_markers += f64::from(u8::from(!p.warning_markers.is_empty()));
                match p.date_of_birth.len() {
                    10 => t.dob_full += 1.0,
                    7 => t.dob_month += 1.0,
                    4 => t.dob_year += 1.0,
                    _ => t.dob_unknown += 1.0,
                }
                if let Some(m) = &p.marking {
                    t.marked_persons += 1.0;
                    if m.classification == "SECRET" {
                        t.secret_persons += 1.0;
                    }
                }
                t.white_british += f64::from(u8::from(p.ethnicity == "W1"));
                t.gbr += f64::from(u8::from(p.nationality == "GBR"));
            }
            DemoItem::Location(_, l) if l.location_type == "residential" => t.residential += 1.0,
            DemoItem::Location(..) => t.other_locations += 1.0,
            DemoItem::Object(_, o) => match o.details {
                ObjectDetailsInput::Vehicle { .. } => t.vehicles += 1.0,
                ObjectDetailsInput::Phone { .. } => t.phones += 1.0,
                _ => {}
            },
            DemoItem::Event(_, e) => {
                t.events += 1.0;
                *t.event_types.entry(e.event_type.clone()).or_default() += 1.0;
            }
            DemoItem::Link(..) => {}
        }
    }
    t
}

fn within(name: &str, value: f64, lo: f64, hi: f64) {
    assert!(
        (lo..=hi).contains(&value),
        "{name} = {value:.3}, expected {lo}..={hi}"
    );
}

#[test]
fn ratios_for_ten_thousand_persons_are_realistic() {
    let all = items(7, 10_000);
    let t = tally(&all);
    let n = t.persons;
    assert_eq!(n, 10_000.0);
    within("persons per household", n / t.residential, 1.9, 2.5);
    within(
        "other locations per person",
        t.other_locations / n,
        0.03,
        0.15,
    );
    within("vehicles per person", t.vehicles / n, 0.25, 0.45);
    within("phones per person", t.phones / n, 0.45, 0.75);
    within("events per person", t.events / n, 0.35, 0.65);
    within("PNC share", t.with_pnc / n, 0.32, 0.48);
    within("NI share", t.with_ni / n, 0.24, 0.36);
    within("other-name share", t.with_other_name / n, 0.03, 0.12);
    within(
        "warning-marker share of PNC holders",
        t.with_markers / t.with_pnc,
        0.04,
        0.13,
    );
    within("full dob share", t.dob_full / n, 0.86, 0.94);
    within("month dob share", t.dob_month / n, 0.03, 0.07);
    within("year dob share", t.dob_year / n, 0.015, 0.045);
    within("unknown dob share", t.dob_unknown / n, 0.01, 0.035);
    within("marked person share", t.marked_persons / n, 0.07, 0.13);
    within("secret person share", t.secret_persons / n, 0.01, 0.03);
    within("white British share", t.white_british / n, 0.62, 0.78);
    within("GBR share", t.gbr / n, 0.7, 0.92);
    for ty in [
        "crime",
        "incident",
        "arrest",
        "stop_and_search",
        "call_for_service",
        "intelligence_report",
    ] {
        let share = t.event_types.get(ty).copied().unwrap_or(0.0) / t.events;
        within(ty, share, 0.03, 0.5);
    }
}

/// Family names spread as Britain's do: Smith about 1.3 %, the hundred commonest about a
/// fifth (a little more with the communities whose names are concentrated), and most
/// people with a name outside the commonest few hundred; not a few hundred names shared by
/// everyone, which would make whole names shared by dozens of unrelated people.
#[test]
fn family_names_have_a_long_tail() {
    let mut counts: HashMap<String, f64> = HashMap::new();
    let mut n = 0.0;
    for item in items(7, 20_000) {
        if let DemoItem::Person(_, p) = item {
            *counts.entry(p.family_name.clone()).or_default() += 1.0;
            n += 1.0;
        }
    }
    let mut shares: Vec<f64> = counts.values().map(|c| c / n).collect();
    shares.sort_by(|a, b| b.total_cmp(a));
    let smith = counts.get("Smith").copied().unwrap_or(0.0) / n;
    within("Smith share", smith, 0.008, 0.025);
    within("top 100 share", shares.iter().take(100).sum(), 0.15, 0.4);
    within("top 300 share", shares.iter().take(300).sum(), 0.3, 0.6);
    assert!(
        counts.len() > 4_000,
        "{} distinct family names",
        counts.len()
    );
}

#[test]
fn intelligence_reports_are_mostly_official_sensitive() {
    let all = items(8, 10_000);
    let (mut intel, mut sensitive) = (0, 0);
    for item in &all {
        if let DemoItem::Event(_, e) = item
            && e.event_type == "intelligence_report"
        {
            intel += 1;
            if e.marking
                .as_ref()
                .is_some_and(|m| m.classification == "OFFICIAL-SENSITIVE")
            {
                sensitive += 1;
            }
        }
    }
    assert!(intel > 100);
    within(
        "sensitive intel share",
        f64::from(sensitive) / f64::from(intel),
        0.6,
        0.9,
    );
}

/// Edit distance, for spotting near-duplicate names.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j + 1] + 1)
                .min(cur[j] + 1)
                .min(prev[j] + usize::from(ca != cb));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[test]
fn some_persons_are_near_duplicates_of_earlier_ones() {
    let all = items(9, 10_000);
    let persons: Vec<_> = all
        .iter()
        .filter_map(|i| match i {
            DemoItem::Person(_, p) => Some(p),
            _ => None,
        })
        .collect();
    // Same given names and date of birth, family name a slip away.
    let mut by_given_dob: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
    for p in &persons {
        if p.date_of_birth.len() == 10 {
            by_given_dob
                .entry((&p.given_names, &p.date_of_birth))
                .or_default()
                .push(&p.family_name);
        }
    }
    let typo_pairs = by_given_dob
        .values()
        .filter(|fams| {
            fams.iter().enumerate().any(|(i, a)| {
                fams.iter()
                    .skip(i + 1)
                    .any(|b| a != b && edit_distance(a, b) <= 3)
            })
        })
        .count();
    // Same names, date of birth with day and month swapped.
    let full: HashSet<(&str, &str, &str)> = persons
        .iter()
        .filter(|p| p.date_of_birth.len() == 10)
        .map(|p| {
            (
                p.family_name.as_str(),
                p.given_names.as_str(),
                p.date_of_birth.as_str(),
            )
        })
        .collect();
    let transposed = full
        .iter()
        .filter(|(f, g, d)| {
            let swapped = format!("{}-{}-{}", &d[..4], &d[8..10], &d[5..7]);
            swapped != *d && full.contains(&(*f, *g, swapped.as_str()))
        })
        .count();
    assert!(typo_pairs >= 30, "{typo_pairs} family-name near-duplicates");
    assert!(transposed >= 10, "{transposed} transposed dates of birth");
}

fn postcode_shape(pc: &str) -> bool {
    let Some((outward, inward)) = pc.split_once(' ') else {
        return false;
    };
    let o = outward.as_bytes();
    let i = inward.as_bytes();
    (2..=4).contains(&o.len())
        && o[0].is_ascii_uppercase()
        && o.iter().all(u8::is_ascii_alphanumeric)
        && o.iter().any(u8::is_ascii_digit)
        && i.len() == 3
        && i[0].is_ascii_digit()
        && i[1..].iter().all(|c| b"ABDEFGHJLNPQRSTUWXYZ".contains(c))
}

fn vrm_shape(v: &str) -> bool {
    let b = v.as_bytes();
    let letter = |c: &u8| c.is_ascii_uppercase() && !b"IQZ".contains(c);
    b.len() == 8
        && b[..2].iter().all(letter)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4] == b' '
        && b[5..].iter().all(letter)
}

#[test]
fn generated_values_have_the_right_shapes() {
    let as_of = as_of();
    let five_years_before = as_of.as_second() - 5 * 366 * 86_400;
    let mut checked_imei = 0;
    for item in generate(config(13, 5_000)) {
        match item {
            DemoItem::Location(_, l) => {
                assert!(postcode_shape(&l.postcode), "{}", l.postcode);
                assert!(!l.address_lines.is_empty() && l.address_lines.len() <= 4);
                assert!(
                    l.uprn.is_empty()
                        || (l.uprn.len() == 12 && l.uprn.bytes().all(|b| b.is_ascii_digit()))
                );
                let (lat, lon) = (l.latitude.unwrap(), l.longitude.unwrap());
                assert!(
                    (49.8..60.9).contains(&lat) && (-8.7..1.8).contains(&lon),
                    "{lat},{lon}"
                );
                assert!(
                    [
                        "residential",
                        "commercial",
                        "public_place",
                        "licensed_premises"
                    ]
                    .contains(&l.location_type.as_str())
                );
            }
            DemoItem::Object(_, o) => match o.details {
                ObjectDetailsInput::Vehicle {
                    vrm,
                    vin,
                    make,
                    model,
                    colour,
                } => {
                    assert!(vrm_shape(&vrm), "{vrm}");
                    assert!(vin.is_empty() || (vin.len() == 17 && !vin.contains(['I', 'O', 'Q'])));
                    assert!(!make.is_empty() && !model.is_empty() && !colour.is_empty());
                }
                ObjectDetailsInput::Phone { number, imei, .. } => {
                    assert!(
                        number.starts_with("07700 900") && number.len() == 12,
                        "{number}"
                    );
                    if !imei.is_empty() {
                        assert!(
                            bluelamp_domain::values::Imei::parse(&imei).is_ok(),
                            "{imei}"
                        );
                        checked_imei += 1;
                    }
                }
                ObjectDetailsInput::Weapon { weapon_type, .. } => assert!(!weapon_type.is_empty()),
                ObjectDetailsInput::Drugs {
                    drug_type,
                    quantity,
                } => {
                    assert!(!drug_type.is_empty() && !quantity.is_empty());
                }
                ObjectDetailsInput::Property { category, .. } => assert!(!category.is_empty()),
                ObjectDetailsInput::Document { .. } => {}
            },
            DemoItem::Event(_, e) => {
                assert!(
                    e.starts_at.ends_with('Z') && e.starts_at.len() == 24,
                    "{}",
                    e.starts_at
                );
                let start: jiff::Timestamp = e.starts_at.parse().unwrap();
                assert!(start < as_of && start.as_second() > five_years_before);
                if !e.ends_at.is_empty() {
                    let end: jiff::Timestamp = e.ends_at.parse().unwrap();
                    assert!(end > start && end <= as_of);
                }
                assert!(
                    !e.title.is_empty() && e.title.chars().count() <= 100,
                    "{}",
                    e.title
                );
                let sentences = e.narrative.matches(". ").count() + 1;
                assert!((1..=5).contains(&sentences), "{}", e.narrative);
                assert!(!e.title.contains('{') && !e.narrative.contains('{'));
            }
            DemoItem::Person(_, p) => {
                for i in &p.identifiers {
                    match i.id_type.as_str() {
                        "PNC" => {
                            let b = i.value.as_bytes();
                            assert!(
                                b.len() == 13 && b[4] == b'/' && b[12].is_ascii_uppercase(),
                                "{}",
                                i.value
                            );
                        }
                        "CRO" => assert_eq!(i.value.len(), 10, "{}", i.value),
                        "NI" => assert_eq!(i.value.len(), 9, "{}", i.value),
                        other => panic!("unexpected identifier type {other}"),
                    }
                }
                assert!(["male", "female", "other", "not_known"].contains(&p.gender.as_str()));
                if let Some(h) = p.description.height_cm {
                    assert!((150..=200).contains(&h));
                }
                for m in &p.warning_markers {
                    assert!(["VI", "WE", "FI", "DR", "SH", "MH", "ES"].contains(&m.as_str()));
                }
            }
            DemoItem::Link(_, l) => {
                if !l.valid_from.is_empty() {
                    let d: jiff::civil::Date = l.valid_from.parse().unwrap();
                    assert!(d.year() >= 1930);
                }
            }
        }
    }
    assert!(checked_imei > 100);
}

#[test]
fn the_domain_accepts_every_generated_item() {
    use bluelamp_domain::pole::{Event, Link, Location, Object, Person};
    let today = jiff::civil::date(2026, 3, 1);
    let mut kinds: HashMap<RecordId, RecordKind> = HashMap::new();
    for item in generate(config(21, 5_000)) {
        let result = match &item {
            DemoItem::Person(_, p) => Person::parse(p, today).map(|_| ()),
            DemoItem::Object(_, o) => Object::parse(o).map(|_| ()),
            DemoItem::Location(_, l) => Location::parse(l).map(|_| ()),
            DemoItem::Event(_, e) => Event::parse(e).map(|_| ()),
            DemoItem::Link(_, l) => Link::parse(l)
                .and_then(|(link, _)| link.check_ends(kinds[&link.from], kinds[&link.to])),
        };
        if let Err(e) = result {
            panic!("{item:?} was refused: {e}");
        }
        kinds.insert(item.id(), item.kind());
    }
}

mod properties {
    use super::*;
    use bluelamp_domain::pole::{Event, Link, Location, Object, Person};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Any seed, any small count and any as-of instant from 2001 to 2095: exactly the
        /// persons asked for, every reference to an earlier item, and every item accepted
        /// by the domain as of that day.
        #[test]
        fn any_config_gives_exact_counts_ordered_references_and_valid_items(
            seed in any::<u64>(),
            persons in 0u64..250,
            as_of_secs in 978_307_200i64..3_944_678_400,
        ) {
            let as_of = jiff::Timestamp::from_second(as_of_secs).unwrap();
            let today = bluelamp_domain::time::london_date(as_of);
            let mut kinds: HashMap<RecordId, RecordKind> = HashMap::new();
            let mut count = 0;
            for item in generate(DemoConfig { seed, persons, as_of, max_classification: bluelamp_domain::Classification::Secret }) {
                let ok = match &item {
                    DemoItem::Person(_, p) => {
                        count += 1;
                        Person::parse(p, today).map(|_| ())
                    }
                    DemoItem::Object(_, o) => Object::parse(o).map(|_| ()),
                    DemoItem::Location(_, l) => Location::parse(l).map(|_| ()),
                    DemoItem::Event(_, e) => {
                        prop_assert!(kinds.contains_key(&id(&e.location_id)));
                        Event::parse(e).map(|_| ())
                    }
                    DemoItem::Link(_, l) => {
                        let (from, to) = (id(&l.from_id), id(&l.to_id));
                        prop_assert!(kinds.contains_key(&from) && kinds.contains_key(&to));
                        Link::parse(l).and_then(|(link, _)| link.check_ends(kinds[&from], kinds[&to]))
                    }
                };
                prop_assert!(ok.is_ok(), "{:?} refused: {:?}", item, ok);
                prop_assert!(kinds.insert(item.id(), item.kind()).is_none());
            }
            prop_assert_eq!(count, persons);
        }
    }
}
