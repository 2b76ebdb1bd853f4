use super::*;
use crate::query::parse_query;
use bluelamp_domain::pole::input::{EventInput, LocationInput, ObjectInput, PersonInput};
use bluelamp_domain::{Classification, Compartment, Restriction, Unit};
use proptest::prelude::*;
use serde_json::{Value, json};

fn today() -> Date {
    Date::new(2026, 11, 30).unwrap()
}

struct Fixture {
    index: SearchIndex,
    n: u64,
}

impl Fixture {
    fn new() -> Self {
        Self {
            index: SearchIndex::in_memory().unwrap(),
            n: 0,
        }
    }

    fn id(&mut self) -> RecordId {
        self.n += 1;
        RecordId(uuid::Uuid::from_u128(u128::from(self.n)))
    }

    fn put(&mut self, kind: RecordKind, body: Value, summary: &str, marking: &Marking) -> RecordId {
        let id = self.stage(kind, body, summary, marking);
        self.index.commit().unwrap();
        id
    }

    fn stage(
        &mut self,
        kind: RecordKind,
        body: Value,
        summary: &str,
        marking: &Marking,
    ) -> RecordId {
        self.stage_linked(kind, body, summary, marking, LinkedValues::default())
    }

    fn stage_linked(
        &mut self,
        kind: RecordKind,
        body: Value,
        summary: &str,
        marking: &Marking,
        linked: LinkedValues<'_>,
    ) -> RecordId {
        let id = self.id();
        let body = body.to_string();
        let doc = self
            .index
            .document(&IndexRecord {
                id,
                kind,
                version: 1,
                subtype: None,
                summary,
                marking,
                body: &body,
                linked,
            })
            .unwrap();
        self.index.stage(vec![IndexOp::Put(doc)]).unwrap();
        id
    }

    fn person(&mut self, input: Value) -> RecordId {
        self.person_marked(input, &Marking::official())
    }

    fn person_marked(&mut self, input: Value, marking: &Marking) -> RecordId {
        let input: PersonInput = serde_json::from_value(input).unwrap();
        let (p, _) = Person::parse(&input, today()).unwrap();
        let summary = format!(
            "{}, {}",
            p.family_name.as_str(),
            p.given_names.as_ref().map(|g| g.as_str()).unwrap_or("")
        );
        self.put(
            RecordKind::Person,
            serde_json::to_value(&p).unwrap(),
            &summary,
            marking,
        )
    }

    fn object(&mut self, input: Value) -> RecordId {
        let input: ObjectInput = serde_json::from_value(input).unwrap();
        let (o, _) = Object::parse(&input).unwrap();
        self.put(
            RecordKind::Object,
            serde_json::to_value(&o).unwrap(),
            "object",
            &Marking::official(),
        )
    }

    fn location(&mut self, input: Value) -> RecordId {
        let input: LocationInput = serde_json::from_value(input).unwrap();
        let (l, _) = Location::parse(&input).unwrap();
        self.put(
            RecordKind::Location,
            serde_json::to_value(&l).unwrap(),
            &l.summary(),
            &Marking::official(),
        )
    }

    fn event(&mut self, input: Value) -> RecordId {
        let input: EventInput = serde_json::from_value(input).unwrap();
        let (e, _) = Event::parse(&input).unwrap();
        self.put(
            RecordKind::Event,
            serde_json::to_value(&e).unwrap(),
            &e.summary(),
            &Marking::official(),
        )
    }

    fn search_as(&self, text: &str, kind: RecordKind, v: Option<&Visibility>) -> KindResults {
        let req = SearchRequest {
            query: parse_query(text, today()).unwrap(),
            gender: None,
            kind: Some(kind),
            offset: 0,
            limit: 100,
            probe: None,
        };
        let mut r = self.index.search(&req, v).unwrap();
        r.pop().unwrap_or(KindResults {
            kind,
            total: 0,
            total_exact: true,
            hits: vec![],
        })
    }

    fn ids(&self, text: &str, kind: RecordKind) -> Vec<RecordId> {
        self.search_as(text, kind, None)
            .hits
            .into_iter()
            .map(|h| h.id)
            .collect()
    }

    fn first(&self, text: &str) -> Option<Hit> {
        self.search_as(text, RecordKind::Person, None)
            .hits
            .into_iter()
            .next()
    }
}

fn person(family: &str, given: &str, dob: &str) -> Value {
    json!({ "family_name": family, "given_names": given, "date_of_birth": dob })
}

#[test]
fn names_are_found_exactly_with_typos_and_by_sound() {
    let mut f = Fixture::new();
    let smith = f.person(person("Smith", "John", "1980-05-12"));
    let _other = f.person(person("Brown", "Mary", "1975-01-01"));
    assert_eq!(f.ids("John Smith", RecordKind::Person), [smith]);
    for typed in ["Jon Smiht", "John Smyth", "john SMITHE", "SMITH, John"] {
        let hit = f
            .first(typed)
            .unwrap_or_else(|| panic!("{typed} finds nothing"));
        assert_eq!(hit.id, smith, "{typed}");
        assert!(!hit.reason.is_empty());
    }
    let hit = f.first("Smyth").unwrap();
    assert!(hit.reason.contains("like Smith"), "{}", hit.reason);
}

#[test]
fn nicknames_accents_double_barrels_swaps_initials_and_aliases() {
    let mut f = Fixture::new();
    let william = f.person(person("Jones", "William", "1970"));
    let lukasz = f.person(person("Kowalski", "Łukasz", ""));
    let double = f.person(person("Smith-Jones", "Margaret", "1990-02-03"));
    let alias = f.person(json!({
        "family_name": "Taylor", "given_names": "Susan",
        "other_names": [{ "family_name": "Wright", "name_type": "maiden" }]
    }));
    assert_eq!(f.first("Bill Jones").unwrap().id, william);
    assert_eq!(f.first("Lukasz Kowalski").unwrap().id, lukasz);
    assert_eq!(f.first("Peggy Smith-Jones").unwrap().id, double);
    assert!(
        f.ids("Margaret Smith", RecordKind::Person)
            .contains(&double)
    );
    assert_eq!(f.first("Kowalski, Lukasz").unwrap().id, lukasz);
    assert_eq!(f.first("Kowalski Lukasz").unwrap().id, lukasz, "swapped");
    assert_eq!(f.first("W Jones").unwrap().id, william, "initial");
    assert_eq!(f.first("Susan Wright").unwrap().id, alias, "maiden name");
}

/// An initial agrees where one side is only an initial, both ways round; two different
/// full names that start with the same letter do not agree on it.
#[test]
fn initials_match_full_names_both_ways() {
    let mut f = Fixture::new();
    let initial_only = f.person(person("Ravenscroft", "W", ""));
    let william = f.person(person("Ravenscroft", "William", "1970-01-01"));
    let wendy = f.person(person("Ravenscroft", "Wendy", "1985-06-07"));
    let by_full = f.ids("William Ravenscroft 01/01/1970", RecordKind::Person);
    assert_eq!(by_full.first(), Some(&william));
    assert!(by_full.contains(&initial_only), "{by_full:?}");
    assert!(!by_full.contains(&wendy), "{by_full:?}");
    let by_initial = f.ids("W Ravenscroft", RecordKind::Person);
    for id in [initial_only, william, wendy] {
        assert!(by_initial.contains(&id), "{by_initial:?}");
    }
}

#[test]
fn dates_of_birth_exact_partial_transposed_and_ranges() {
    let mut f = Fixture::new();
    let a = f.person(person("Smith", "John", "1980-05-12"));
    let b = f.person(person("Smith", "John", "1982"));
    let c = f.person(person("Smith", "John", "1990-03-04"));
    // The exact date ranks first; the partial record that could be it follows.
    let ids = f.ids("John Smith 12/05/1980", RecordKind::Person);
    assert_eq!(ids[0], a);
    let ids = f.ids("John Smith 1982", RecordKind::Person);
    assert_eq!(ids[0], b);
    // Day and month transposed.
    let hit = f.first("John Smith 03/04/1990").unwrap();
    assert_eq!(hit.id, c);
    let ids = f.ids("John Smith 04/03/1990", RecordKind::Person);
    assert_eq!(ids[0], c);
    // A range, without a name.
    let ids = f.ids("1979-1981", RecordKind::Person);
    assert_eq!(ids, [a]);
    // A date alone.
    assert_eq!(f.ids("12/05/1980", RecordKind::Person)[0], a);
    // A changed surname: the given name and full date of birth still find her.
    let married = f.person(person("Okonjo", "Adaeze", "1985-04-05"));
    assert_eq!(f.first("Adaeze Williams 05/04/1985").unwrap().id, married);
}

#[test]
fn identifiers_find_their_person() {
    let mut f = Fixture::new();
    let p = f.person(json!({
        "family_name": "Smith",
        "identifiers": [
            { "type": "pnc", "value": "2024/0123456F" },
            { "type": "ni", "value": "QQ123456C" }
        ]
    }));
    f.person(person("Jones", "Ann", ""));
    let hit = f.first("2024/123456F").unwrap();
    assert_eq!(hit.id, p);
    assert!(hit.reason.contains("PNC"), "{}", hit.reason);
    assert_eq!(
        f.first("QQ 12 34 56 C").map(|h| h.id),
        None,
        "spaces split a token"
    );
    assert_eq!(f.first("QQ123456").unwrap().id, p);
    // An object with the same reference is found as an object, never as a person.
    let passport = f.object(json!({ "details": {
        "kind": "document", "document_type": "passport", "number": "QQ123456"
    } }));
    assert_eq!(f.ids("QQ123456", RecordKind::Person), [p]);
    assert_eq!(f.ids("QQ123456", RecordKind::Object), [passport]);
}

#[test]
fn vehicles_by_partial_registration_and_phones_in_any_format() {
    let mut f = Fixture::new();
    let car = f.object(json!({ "details": { "kind": "vehicle", "vrm": "AB12 CDE", "make": "Ford", "colour": "Blue" } }));
    let van = f.object(json!({ "details": { "kind": "vehicle", "vrm": "AB13XYZ" } }));
    let phone = f.object(json!({ "details": { "kind": "phone", "number": "07700 900123" } }));
    assert_eq!(f.ids("AB12*", RecordKind::Object), [car]);
    let mut both = f.ids("AB1*", RecordKind::Object);
    both.sort_by_key(|i| i.0);
    assert_eq!(both, [car, van]);
    assert_eq!(f.ids("ab12 cde", RecordKind::Object), [car]);
    assert_eq!(f.ids("AB1? CDE", RecordKind::Object), [car]);
    assert_eq!(f.ids("+447700900123", RecordKind::Object), [phone]);
    assert_eq!(f.ids("07700900123", RecordKind::Object), [phone]);
    assert_eq!(f.ids("blue ford", RecordKind::Object), [car]);
}

#[test]
fn locations_by_postcode_sector_district_and_address_words() {
    let mut f = Fixture::new();
    let home = f.location(json!({ "address_lines": ["12 Acacia Avenue"], "town": "Leeds", "postcode": "LS1 4AP", "location_type": "residential" }));
    let shop = f.location(json!({ "address_lines": ["1 Briggate"], "town": "Leeds", "postcode": "LS1 6HB", "location_type": "commercial" }));
    assert_eq!(f.ids("LS1 4AP", RecordKind::Location), [home]);
    assert_eq!(f.ids("ls14ap", RecordKind::Location), [home]);
    assert_eq!(f.ids("LS1 4", RecordKind::Location), [home]);
    let mut district = f.ids("LS1", RecordKind::Location);
    district.sort_by_key(|i| i.0);
    assert_eq!(district, [home, shop]);
    assert_eq!(f.ids("acacia avenue", RecordKind::Location), [home]);
    assert_eq!(f.ids("acacia avenu", RecordKind::Location), [home], "typo");
    assert_eq!(f.ids("brigg", RecordKind::Location), [shop], "as you type");
}

#[test]
fn events_by_words_in_their_narrative() {
    let mut f = Fixture::new();
    let e = f.event(json!({
        "event_type": "crime", "title": "Burglary", "starts_at": "2026-01-02T03:04:00Z",
        "narrative": "Entry forced through the rear garden shed window."
    }));
    f.event(
        json!({ "event_type": "incident", "title": "Noise", "starts_at": "2026-01-02T03:04:00Z" }),
    );
    assert_eq!(f.ids("garden shed", RecordKind::Event), [e]);
    assert_eq!(f.ids("burglary window", RecordKind::Event), [e]);
    assert!(
        f.ids("garden bicycle", RecordKind::Event).is_empty(),
        "every word must match"
    );
}

#[test]
fn a_record_put_twice_is_one_document_and_removal_removes_it() {
    let mut f = Fixture::new();
    let id = f.person(person("Smith", "John", ""));
    let body = serde_json::to_value(
        Person::parse(
            &serde_json::from_value(person("Smythe", "John", "")).unwrap(),
            today(),
        )
        .unwrap()
        .0,
    )
    .unwrap();
    let m = Marking::official();
    let body = body.to_string();
    let doc = f
        .index
        .document(&IndexRecord {
            id,
            kind: RecordKind::Person,
            version: 2,
            subtype: None,
            summary: "SMYTHE, John",
            marking: &m,
            body: &body,
            linked: Default::default(),
        })
        .unwrap();
    f.index.stage(vec![IndexOp::Put(doc.clone())]).unwrap();
    f.index.stage(vec![IndexOp::Put(doc)]).unwrap();
    f.index.commit().unwrap();
    assert_eq!(f.index.len(), 1);
    assert_eq!(f.first("John Smythe").unwrap().summary, "SMYTHE, John");
    f.index.stage(vec![IndexOp::Remove(id)]).unwrap();
    f.index.commit().unwrap();
    assert!(f.index.is_empty());
}

#[test]
fn staged_changes_are_invisible_until_committed_and_a_rollback_drops_them() {
    let mut f = Fixture::new();
    f.person(person("Smith", "John", ""));
    f.index.stage_clear().unwrap();
    assert_eq!(
        f.index.len(),
        1,
        "a rebuild in progress still serves the old index"
    );
    f.index.rollback().unwrap();
    assert_eq!(f.index.len(), 1);
}

fn viewer(rank: i16, comps: &[&str], unit: &str, user: &str, supervisor: bool) -> Visibility {
    Visibility {
        max_rank: rank,
        compartments: comps.iter().map(|c| c.to_string()).collect(),
        unit: unit.into(),
        user_id: user.into(),
        supervisor,
    }
}

fn marking(
    class: Classification,
    comps: &[&str],
    restriction: Option<(&[&str], &[&str], &[&str])>,
) -> Marking {
    Marking::new(
        class,
        comps
            .iter()
            .map(|c| Compartment::parse(c).unwrap())
            .collect(),
        vec![],
    )
    .with_restriction(restriction.map(|(teams, officers, units)| Restriction {
        teams: teams.iter().map(|t| Unit::parse(t).unwrap()).collect(),
        officers: officers.iter().map(|o| o.to_string()).collect(),
        officer_units: units.iter().map(|u| Unit::parse(u).unwrap()).collect(),
    }))
}

#[test]
fn hidden_records_change_neither_counts_nor_ranking() {
    let officer = viewer(2, &[], "RESPONSE", "u-1", false);
    let visible = [
        person("Smith", "John", "1980-05-12"),
        person("Smyth", "Jon", "1980"),
        person("Smith", "Jane", ""),
        person("Smithson", "John", "1981-01-01"),
    ];
    let hidden = [
        (
            person("Smith", "John", "1980-05-12"),
            marking(Classification::Secret, &[], None),
        ),
        (
            person("Smith", "John", "1980-05-12"),
            marking(Classification::Official, &["OP-HERON"], None),
        ),
        (
            person("Smith", "John", "1980"),
            marking(
                Classification::Official,
                &[],
                Some((&["CID"], &["u-9"], &["CID"])),
            ),
        ),
    ];
    let mut with_hidden = Fixture::new();
    let mut without = Fixture::new();
    for (i, p) in visible.iter().enumerate() {
        with_hidden.person(p.clone());
        without.person(p.clone());
        // Interleave hidden records so they sit between visible ones in the index.
        if let Some((h, m)) = hidden.get(i) {
            with_hidden.person_marked(h.clone(), m);
            without.id();
        }
    }
    for text in ["John Smith", "Smith", "John Smith 1980", "J Smith", "1980"] {
        let a = with_hidden.search_as(text, RecordKind::Person, Some(&officer));
        let b = without.search_as(text, RecordKind::Person, Some(&officer));
        assert_eq!(a, b, "{text}");
        assert!(a.total > 0, "{text}");
    }
    // The analyst with every clearance sees them all.
    let analyst = viewer(3, &["OP-HERON"], "CID", "u-9", false);
    assert_eq!(
        with_hidden
            .search_as("John Smith", RecordKind::Person, Some(&analyst))
            .total,
        without
            .search_as("John Smith", RecordKind::Person, Some(&analyst))
            .total
            + 3
    );
}

const COMPS: [&str; 3] = ["OP-HERON", "OP-KESTREL", "OP-MERLIN"];
const UNITS: [&str; 3] = ["CID", "RESPONSE", "INTEL"];

fn arb_marking() -> impl Strategy<Value = Marking> {
    (
        1i16..=3,
        proptest::sample::subsequence(COMPS.to_vec(), 0..=2),
        proptest::option::of((
            proptest::sample::subsequence(UNITS.to_vec(), 0..=2),
            proptest::sample::subsequence(vec!["u-1", "u-2"], 0..=1),
            proptest::sample::subsequence(UNITS.to_vec(), 0..=1),
        )),
    )
        .prop_map(|(rank, comps, r)| {
            let class = Classification::from_rank(rank).unwrap();
            match r {
                Some((t, o, u)) => marking(class, &comps, Some((&t, &o, &u))),
                None => marking(class, &comps, None),
            }
        })
}

fn arb_viewer() -> impl Strategy<Value = Visibility> {
    (
        1i16..=3,
        proptest::sample::subsequence(COMPS.to_vec(), 0..=3),
        proptest::sample::select(UNITS.to_vec()),
        proptest::sample::select(vec!["u-1", "u-2", "u-3"]),
        any::<bool>(),
    )
        .prop_map(|(rank, comps, unit, user, sup)| viewer(rank, &comps, unit, user, sup))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// The index's access filter and the domain's `Visibility::allows` (itself held to
    /// the Cedar policies by the authz property test) agree on every record.
    #[test]
    fn the_index_pre_filter_agrees_with_visibility(
        markings in proptest::collection::vec(arb_marking(), 1..25),
        viewers in proptest::collection::vec(arb_viewer(), 1..6),
    ) {
        let mut f = Fixture::new();
        let body = serde_json::to_value(
            Person::parse(&serde_json::from_value(person("Smith", "John", "")).unwrap(), today())
                .unwrap()
                .0,
        )
        .unwrap();
        let mut ids = Vec::new();
        for m in &markings {
            ids.push(f.stage(RecordKind::Person, body.clone(), "SMITH, John", m));
        }
        f.index.commit().unwrap();
        for v in &viewers {
            let mut got = f.index.visible_ids(Some(v)).unwrap();
            got.sort_by_key(|i| i.0);
            let want: Vec<RecordId> = ids
                .iter()
                .zip(&markings)
                .filter(|(_, m)| v.allows(m))
                .map(|(i, _)| *i)
                .collect();
            prop_assert_eq!(got, want);
        }
    }
}

/// Hits are built only for the page asked for; the pages still follow one order (score as
/// shown, then summary, then id), so paging through gives the whole list, once, in order.
#[test]
fn pages_of_a_person_search_follow_the_order_of_the_whole() {
    let mut f = Fixture::new();
    for (given, dob) in [
        ("John", "1980-05-12"),
        ("John", "1980-05-12"),
        ("John", "1980"),
        ("Jon", "1980-05-12"),
        ("J", ""),
        ("Johnny", "1980-12-05"),
        ("John", "1981-05-12"),
        ("John", "1980-05-12"),
    ] {
        f.person(person("Smith", given, dob));
    }
    let search = |offset: usize, limit: usize| {
        let req = SearchRequest {
            query: parse_query("John Smith 12/05/1980", today()).unwrap(),
            gender: None,
            kind: Some(RecordKind::Person),
            offset,
            limit,
            probe: None,
        };
        f.index.search(&req, None).unwrap().pop().unwrap()
    };
    let whole = search(0, 100);
    assert!(whole.hits.len() >= 6, "{:?}", whole.hits);
    for pair in whole.hits.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(
            a.score > b.score
                || (a.score == b.score && (&a.summary, a.id.0) < (&b.summary, b.id.0)),
            "{a:?} before {b:?}"
        );
    }
    let mut paged = Vec::new();
    for offset in (0..whole.hits.len()).step_by(3) {
        let page = search(offset, 3);
        assert_eq!(page.total, whole.total);
        paged.extend(page.hits.into_iter().map(|h| (h.id, h.score, h.reason)));
    }
    let whole: Vec<_> = whole
        .hits
        .into_iter()
        .map(|h| (h.id, h.score, h.reason))
        .collect();
    assert_eq!(paged, whole);
}

#[test]
fn every_kind_is_indexed_from_its_body_text_and_a_body_that_does_not_read_is_not() {
    // A rebuild and the live index both hand the index bodies as the JSON text stored,
    // escapes, non-ASCII text and floats included.
    let person = Person::parse(
        &serde_json::from_value(json!({
            "family_name": "Wiśniewski-Hughes", "given_names": "Łukasz James",
            "date_of_birth": "1990-01", "gender": "male", "place_of_birth": "Kraków",
            "other_names": [{"family_name": "Hughes", "name_type": "maiden"}],
            "identifiers": [{"type": "NI", "value": "QQ123456C"}],
            "description": {"height_cm": 181, "marks": "Scar on the \"left\" forearm"}
        }))
        .unwrap(),
        today(),
    )
    .unwrap()
    .0;
    let object = Object::parse(
        &serde_json::from_value(
            json!({ "details": { "kind": "vehicle", "vrm": "AB12 CDE", "make": "Ford", "colour": "Blue" } }),
        )
        .unwrap(),
    )
    .unwrap()
    .0;
    let location = Location::parse(
        &serde_json::from_value(
            json!({ "address_lines": ["12 Acacia Avenue"], "town": "Leeds",
            "postcode": "LS1 4AP", "location_type": "residential",
            "latitude": 53.7965, "longitude": -1.5478 }),
        )
        .unwrap(),
    )
    .unwrap()
    .0;
    let event = Event::parse(
        &serde_json::from_value(json!({ "event_type": "crime", "title": "Burglary",
            "starts_at": "2026-01-02T03:04:00Z", "narrative": "Entry forced \"quietly\".\nNothing taken." }))
        .unwrap(),
    )
    .unwrap()
    .0;
    let bodies = [
        (RecordKind::Person, serde_json::to_value(&person).unwrap()),
        (RecordKind::Object, serde_json::to_value(&object).unwrap()),
        (
            RecordKind::Location,
            serde_json::to_value(&location).unwrap(),
        ),
        (RecordKind::Event, serde_json::to_value(&event).unwrap()),
    ];
    let index = SearchIndex::in_memory().unwrap();
    let marking = Marking::official();
    for (kind, value) in bodies {
        let text = serde_json::to_string(&value).unwrap();
        let record = |body| IndexRecord {
            id: RecordId(uuid::Uuid::from_u128(7)),
            kind,
            version: 3,
            subtype: Some("x"),
            summary: "summary",
            marking: &marking,
            body,
            linked: Default::default(),
        };
        let from_text = index.document(&record(&text)).unwrap();
        // Each kind's own fields made it into the document, not only the common ones.
        let common = index
            .document(&record("{}"))
            .map(|d| format!("{d:?}").len());
        assert!(
            common.is_none_or(|n| n < format!("{from_text:?}").len()),
            "{kind:?}"
        );
        // And it holds what the body says.
        let shown = from_text
            .field_values()
            .filter_map(|(_, v)| tantivy::schema::Value::as_str(&v).map(str::to_lowercase))
            .collect::<Vec<_>>()
            .join(" ");
        let expected = match kind {
            RecordKind::Person => "lukasz",
            RecordKind::Object => "ab12cde",
            RecordKind::Location => "acacia",
            _ => "quietly",
        };
        assert!(shown.contains(expected), "{kind:?}: {shown}");
    }
    // A body that does not read as its kind makes no document.
    let record = |body| IndexRecord {
        id: RecordId(uuid::Uuid::from_u128(8)),
        kind: RecordKind::Person,
        version: 1,
        subtype: None,
        summary: "bad",
        marking: &marking,
        body,
        linked: Default::default(),
    };
    assert!(index.document(&record("{")).is_none());
    assert!(index.document(&record(r#"{"family_name": 7}"#)).is_none());
}

#[test]
fn a_duplicate_check_ranks_against_everything_recorded_about_the_person() {
    // A search says only names, a date of birth and a gender; the person being checked
    // (before it is created, on its page) says more, and the candidates are ranked by all
    // of it, as the batch scan compares two records.
    let mut f = Fixture::new();
    let body = |place: &str, height: u16| {
        json!({"family_name": "Brown", "given_names": "John", "date_of_birth": "1980",
            "gender": "male", "place_of_birth": place, "description": {"height_cm": height}})
    };
    let recorded = f.person(body("Leeds", 180));
    let score_of = |req: SearchRequest| {
        let hits = f.index.search(&req, None).unwrap().pop().unwrap().hits;
        let hit = hits.into_iter().find(|h| h.id == recorded).unwrap();
        (hit.score, hit.reason)
    };
    let checked = |place: &str, height: u16| {
        let input: PersonInput = serde_json::from_value(body(place, height)).unwrap();
        let (p, _) = Person::parse(&input, today()).unwrap();
        let req = SearchRequest::for_person(PersonFeatures::from_person(&p, &[]), 10);
        assert_eq!(req.query.names, ["John", "Brown"]);
        score_of(req)
    };
    // The same search typed, with what it says and no more.
    let (plain, _) = score_of(SearchRequest {
        query: parse_query("John Brown 1980", today()).unwrap(),
        gender: Some(Gender::Male),
        kind: Some(RecordKind::Person),
        offset: 0,
        limit: 10,
        probe: None,
    });
    let (same, why) = checked("Leeds", 181);
    let (other, _) = checked("Karachi", 158);
    assert!(same > plain, "{same} against {plain}");
    assert!(other < plain, "{other} against {plain}");
    assert!(
        why.contains("Leeds") || why.to_lowercase().contains("place of birth"),
        "{why}"
    );
}

#[test]
fn a_duplicate_check_gathers_and_weighs_who_shares_a_number_whatever_their_names() {
    // One woman recorded under her maiden and her married name, giving one mobile both
    // times: the names alone would never gather the one record for the other.
    let mut f = Fixture::new();
    let mobile = vec!["+447700900123".to_owned()];
    let home = vec!["LS1 4AB".to_owned()];
    let linked = LinkedValues {
        postcodes: &home,
        phones: &mobile,
    };
    let input: PersonInput =
        serde_json::from_value(person("Kowalczyk", "Anna", "1979-05-02")).unwrap();
    let (maiden, _) = Person::parse(&input, today()).unwrap();
    let recorded = f.stage_linked(
        RecordKind::Person,
        serde_json::to_value(&maiden).unwrap(),
        "KOWALCZYK, Anna",
        &Marking::official(),
        linked,
    );
    f.index.commit().unwrap();
    let input: PersonInput = serde_json::from_value(person("Nowak", "Anna", "1979-05-02")).unwrap();
    let (married, _) = Person::parse(&input, today()).unwrap();
    let found = |features: PersonFeatures| {
        let hits = f
            .index
            .search(&SearchRequest::for_person(features, 10), None)
            .unwrap()
            .pop()
            .map(|k| k.hits)
            .unwrap_or_default();
        hits.into_iter().find(|h| h.id == recorded)
    };
    // The given name and the full date of birth gather her (a changed surname), but that
    // alone is not a likely match; the number in common makes it one.
    let without = found(PersonFeatures::from_person(&married, &[])).unwrap();
    assert!(without.score < crate::DEFAULT_THRESHOLD, "{without:?}");
    let with = found(PersonFeatures::from_person(&married, &[]).with_phones(&mobile)).unwrap();
    assert!(with.score >= crate::DEFAULT_THRESHOLD, "{with:?}");
    assert!(
        with.reason.contains("a telephone number in common"),
        "{}",
        with.reason
    );
    // Her married record without a date of birth: nothing but the number gathers her.
    let input: PersonInput =
        serde_json::from_value(json!({"family_name": "Nowak", "given_names": "Anna"})).unwrap();
    let (brief, _) = Person::parse(&input, today()).unwrap();
    assert!(found(PersonFeatures::from_person(&brief, &[])).is_none());
    assert!(found(PersonFeatures::from_person(&brief, &[]).with_phones(&mobile)).is_some());

    // A hostel's number, given by people of four family names, is a shared line: two
    // women of one given name and date of birth who both gave it are not made one by it.
    // Two of the four are SECRET: for an officer who may not see them, the number is
    // shared by two families only, as if they were not recorded at all.
    let hostel = vec!["+441134960000".to_owned()];
    let at_hostel = LinkedValues {
        postcodes: &[],
        phones: &hostel,
    };
    let secret = marking(Classification::Secret, &[], None);
    let mut ids = Vec::new();
    let mut zajac = None;
    for (family, marked) in [
        ("Lis", Marking::official()),
        ("Adams", secret.clone()),
        ("Baker", secret),
        ("Zajac", Marking::official()),
    ] {
        let input: PersonInput =
            serde_json::from_value(person(family, "Ewa", "1985-01-01")).unwrap();
        let (p, _) = Person::parse(&input, today()).unwrap();
        ids.push(f.stage_linked(
            RecordKind::Person,
            serde_json::to_value(&p).unwrap(),
            family,
            &marked,
            at_hostel,
        ));
        zajac = Some(PersonFeatures::from_person(&p, &[]).with_phones(&hostel));
    }
    f.index.commit().unwrap();
    let probe = zajac.unwrap();
    let lis_as = |v: Option<&Visibility>| {
        let hits = f
            .index
            .search(&SearchRequest::for_person(probe.clone(), 10), v)
            .unwrap()
            .pop()
            .unwrap()
            .hits;
        hits.into_iter().find(|h| h.id == ids[0]).unwrap()
    };
    let system = lis_as(None);
    assert!(system.score < crate::DEFAULT_THRESHOLD, "{system:?}");
    assert!(!system.reason.contains("telephone"), "{}", system.reason);
    let officer = viewer(2, &[], "RESPONSE", "u-1", false);
    let seen = lis_as(Some(&officer));
    assert!(seen.score >= crate::DEFAULT_THRESHOLD, "{seen:?}");
    assert!(
        seen.reason.contains("a telephone number in common"),
        "{}",
        seen.reason
    );
    // A Zofia Lis with no date of birth who gave the hostel's number: her name would not
    // gather Ewa Lis (a family name gathers with a given name or a date of birth), though
    // it scores above nothing once gathered. A shared line gathers nobody (the scan skips
    // such a block); for the officer, who sees two families on it, it is an ordinary
    // number: it gathers Ewa Lis, weighed as a household's, and Ewa Zajac, whose score
    // (names disagreeing, the number in common) is below nothing, so she is not found.
    let input: PersonInput =
        serde_json::from_value(json!({"family_name": "Lis", "given_names": "Zofia"})).unwrap();
    let (brief, _) = Person::parse(&input, today()).unwrap();
    let found = |v: Option<&Visibility>| -> Vec<RecordId> {
        let req = SearchRequest::for_person(
            PersonFeatures::from_person(&brief, &[]).with_phones(&hostel),
            10,
        );
        f.index
            .search(&req, v)
            .unwrap()
            .pop()
            .map(|k| k.hits)
            .unwrap_or_default()
            .into_iter()
            .map(|h| h.id)
            .collect()
    };
    assert_eq!(found(None), Vec::<RecordId>::new());
    assert_eq!(found(Some(&officer)), [ids[0]]);
}

#[test]
fn a_person_whose_stored_features_do_not_read_is_left_out_not_misread() {
    let mut f = Fixture::new();
    let good = f.person(person("Smith", "John", "1980-05-12"));
    // A second John Smith whose stored match features are damaged.
    let input: PersonInput = serde_json::from_value(person("Smith", "John", "1980-05-12")).unwrap();
    let (p, _) = Person::parse(&input, today()).unwrap();
    let body = serde_json::to_string(&p).unwrap();
    let damaged_id = f.id();
    let marking = Marking::official();
    let doc = f
        .index
        .document(&IndexRecord {
            id: damaged_id,
            kind: RecordKind::Person,
            version: 1,
            subtype: None,
            summary: "SMITH, John",
            marking: &marking,
            body: &body,
            linked: Default::default(),
        })
        .unwrap();
    let mut damaged = TantivyDocument::default();
    for (field, value) in doc.field_values() {
        if field == f.index.f.features {
            damaged.add_bytes(field, &[9u8, 9, 9]);
        } else {
            damaged.add_field_value(field, value);
        }
    }
    f.index.stage(vec![IndexOp::Put(damaged)]).unwrap();
    f.index.commit().unwrap();
    let found = f.search_as("John Smith 12/05/1980", RecordKind::Person, None);
    let ids: Vec<RecordId> = found.hits.iter().map(|h| h.id).collect();
    assert!(ids.contains(&good), "{ids:?}");
    assert!(!ids.contains(&damaged_id), "{ids:?}");
    // The damaged document is gathered (its terms are whole) but not scored.
    let everyone = f.index.search(
        &SearchRequest {
            query: parse_query("Smith", today()).unwrap(),
            kind: Some(RecordKind::Person),
            limit: 10,
            ..Default::default()
        },
        None,
    );
    assert_eq!(everyone.unwrap().pop().unwrap().total, 1);
}
