//! A labelled set for measuring duplicate detection: persons drawn like the demo data (in
//! households, so relatives share a family name and an address, which is what makes
//! matching hard), a share of whom are recorded again as someone who did not find the
//! first record would: a typing slip or a variant spelling of the family name, a nickname,
//! given and family names swapped, only an initial, a partial or transposed date of birth,
//! a new address, fields left out. Every record carries the id of the real person it
//! describes, so precision and recall can be counted exactly.

use crate::calendar::Ymd;
use crate::generator::Demo;
use crate::person::{Draft, typo};
use crate::rng::Rng;
use crate::tables::names;
use crate::{DemoConfig, person::Facts};
use bluelamp_domain::pole::input::PersonInput;

/// One record of the labelled set.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledPerson {
    /// The real person this record describes: records with the same entity are duplicates
    /// of each other, all others are different people.
    pub entity: u32,
    pub input: PersonInput,
    /// Postcodes of the addresses the record is linked to.
    pub postcodes: Vec<String>,
    /// Telephone numbers the record is linked to. Unlike the demo data's (Ofcom's drama
    /// range, a thousand numbers), a number here is one person's or one household's, as in
    /// life; so that none is anyone's real number, they are tokens (`tel-000123456`) rather
    /// than numbers that could be dialled. The match model compares them as it does any
    /// number, for equality.
    pub phones: Vec<String>,
    /// How the record was made: `original`, or the variations applied, joined by `+`
    /// (`typo+year_only`).
    pub variation: String,
}

/// Share of real persons recorded more than once.
pub const DUPLICATED_SHARE: f64 = 0.25;

/// A labelled set of about `entities` real persons (whole households, so a few more), a
/// quarter of them recorded twice or three times. The same seed gives the same set.
pub fn labelled_persons(seed: u64, entities: u32, as_of: jiff::Timestamp) -> Vec<LabelledPerson> {
    let mut demo = Demo::new(DemoConfig {
        seed,
        persons: u64::from(entities),
        as_of,
        max_classification: bluelamp_domain::Classification::Official,
    });
    let mut out: Vec<LabelledPerson> = Vec::with_capacity(entities as usize * 13 / 10);
    // Telephone numbers come from their own stream, so the rest of the set is the same
    // with them as it was before them.
    let mut phones = Phones(Rng::new(seed ^ 0x7068_6f6e_6573));
    let mut entity: u32 = 0;
    while entity < entities {
        let block = demo.new_block();
        let households = demo.rng.range(20, 40);
        for _ in 0..households {
            if entity >= entities {
                break;
            }
            let postcode = demo.residential_postcode(&block);
            let line = phones.household_line();
            let size = *demo
                .rng
                .weighted(&[(1u64, 30), (2, 35), (3, 16), (4, 19)])
                .unwrap_or(&2);
            let heritage = demo.heritage();
            let (gender, female) = demo.gender();
            let age = demo.adult_age();
            let family = demo.family_name(heritage.family, female);
            let (head, head_facts) = demo.person(Draft {
                family,
                female,
                gender,
                age,
                heritage,
                maiden: None,
            });
            let mut members = vec![(head.clone(), head_facts)];
            for i in 1..size {
                let (input, facts, _) = demo.household_member(
                    i,
                    heritage,
                    (&head.family_name, head_facts.age, head_facts.female),
                    block.town_name(),
                );
                members.push((input, facts));
            }
            for (input, facts) in members {
                let own = phones.members(&facts, line.as_ref());
                let copies = if demo.rng.chance(DUPLICATED_SHARE) {
                    if demo.rng.chance(0.2) { 2 } else { 1 }
                } else {
                    0
                };
                for _ in 0..copies {
                    let moved = demo.rng.chance(0.3);
                    let new_home = if moved {
                        let other = demo.new_block();
                        Some(demo.residential_postcode(&other))
                    } else {
                        None
                    };
                    let (dup, variation) = demo.re_recorded(&input, &facts);
                    let brief = variation.split('+').any(|v| v == "brief");
                    let copy_phones = phones.on_a_copy(&own, brief);
                    let (postcodes, variation) = match new_home {
                        Some(p) => (vec![p], format!("{variation}+moved")),
                        None if demo.rng.chance(0.15) => {
                            (Vec::new(), format!("{variation}+no_address"))
                        }
                        None => (vec![postcode.clone()], variation),
                    };
                    out.push(LabelledPerson {
                        entity,
                        input: dup,
                        postcodes,
                        phones: copy_phones,
                        variation,
                    });
                }
                out.push(LabelledPerson {
                    entity,
                    input,
                    postcodes: vec![postcode.clone()],
                    phones: own,
                    variation: "original".to_owned(),
                });
                entity += 1;
            }
        }
    }
    // Interleave so a record's duplicates are not its neighbours (a scan must not depend
    // on order): a seeded Fisher-Yates shuffle.
    for i in (1..out.len()).rev() {
        let j = demo.rng.index(i + 1);
        out.swap(i, j);
    }
    out
}

/// Telephone numbers on the labelled set's records.
struct Phones(Rng);

impl Phones {
    fn number(&mut self) -> String {
        format!("tel-{:09}", self.0.below(1_000_000_000))
    }

    /// A number a household gives (a landline, or a parent's mobile given for the family),
    /// for a quarter of households.
    fn household_line(&mut self) -> Option<String> {
        self.0.chance(0.25).then(|| self.number())
    }

    /// The numbers on a person's first record: their own mobile, as the demo data gives
    /// one (from 11 years old, 55%), and the household's number for half of its members.
    fn members(&mut self, facts: &Facts, line: Option<&String>) -> Vec<String> {
        let mut numbers = Vec::new();
        if facts.age >= 11 && self.0.chance(0.55) {
            numbers.push(self.number());
        }
        if let Some(line) = line
            && self.0.chance(0.5)
        {
            numbers.push(line.clone());
        }
        numbers
    }

    /// The number on a re-recording: a brief record (a witness, a victim) asks for a
    /// contact number (70%), a full one records one half the time. It is one the first
    /// record has, 60% of the time, or a number the person has since (a new phone, a work
    /// line).
    fn on_a_copy(&mut self, first: &[String], brief: bool) -> Vec<String> {
        if !self.0.chance(if brief { 0.7 } else { 0.5 }) {
            return Vec::new();
        }
        match self.0.pick(first) {
            Some(n) if self.0.chance(0.6) => vec![n.clone()],
            _ => vec![self.number()],
        }
    }
}

impl Demo {
    /// The record someone makes who does not find `input`: one variation, sometimes two,
    /// and (usually) without the identifiers that would have found it. Returns the record
    /// and the names of the variations.
    fn re_recorded(&mut self, input: &PersonInput, facts: &Facts) -> (PersonInput, String) {
        let mut dup = PersonInput {
            family_name: input.family_name.clone(),
            given_names: input.given_names.clone(),
            other_names: Vec::new(),
            date_of_birth: input.date_of_birth.clone(),
            gender: input.gender.clone(),
            ..PersonInput::default()
        };
        // A fifth of re-recordings do carry an identifier (a PNC check done later).
        if self.rng.chance(0.2) {
            dup.identifiers = input.identifiers.iter().take(1).cloned().collect();
        }
        let mut applied: Vec<&'static str> = Vec::new();
        let wanted = if self.rng.chance(0.3) { 2 } else { 1 };
        let mut attempts = 0;
        while applied.len() < wanted && attempts < 12 {
            attempts += 1;
            if let Some(name) = self.vary(&mut dup, facts, &applied) {
                applied.push(name);
            }
        }
        if applied.is_empty() {
            applied.push("same");
        }
        // A brief record (a witness, a victim, an intelligence report) asks little beyond
        // the name; a full one (custody, a suspect interviewed) asks ethnicity, nationality
        // and place of birth, and measures height. A record made without a date of birth
        // was nearly always a brief one.
        let brief_share = if applied.contains(&"no_dob") {
            0.85
        } else {
            0.45
        };
        let brief = self.rng.chance(brief_share);
        self.details(input, &mut dup, brief);
        if brief {
            applied.push("brief");
        }
        (dup, applied.join("+"))
    }

    /// Ethnicity, nationality, place of birth and height on a re-recording, each with the
    /// ways they go wrong: ethnicity not stated or answered differently (and now and then
    /// recorded as the officer saw it), nationality left out or changed by naturalisation,
    /// place of birth left out or named differently (a borough, a suburb), height measured
    /// again or guessed.
    fn details(&mut self, original: &PersonInput, dup: &mut PersonInput, brief: bool) {
        const CODES: [&str; 18] = [
            "A1", "A2", "A3", "A4", "A9", "B1", "B2", "B9", "M1", "M2", "M3", "M9", "O2", "O9",
            "W1", "W2", "W3", "W9",
        ];
        let e = &original.ethnicity;
        dup.ethnicity = match self.rng.below(100) {
            n if n < if brief { 70 } else { 82 } => e.clone(),
            n if n < if brief { 92 } else { 90 } => String::new(),
            n if n < 97 => {
                let group: Vec<&&str> = CODES
                    .iter()
                    .filter(|c| c.get(..1) == e.get(..1) && **c != e.as_str())
                    .collect();
                self.rng
                    .pick(&group)
                    .map(|c| (**c).to_owned())
                    .unwrap_or_default()
            }
            _ => self
                .rng
                .pick(&CODES)
                .map(|c| (*c).to_owned())
                .unwrap_or_default(),
        };
        dup.nationality = match self.rng.below(100) {
            n if n < if brief { 40 } else { 85 } => original.nationality.clone(),
            n if n < 95 => String::new(),
            _ if !matches!(original.nationality.as_str(), "GBR" | "") => "GBR".to_owned(),
            _ => String::new(),
        };
        if !original.place_of_birth.is_empty() {
            dup.place_of_birth = match self.rng.below(100) {
                n if n < if brief { 15 } else { 75 } => original.place_of_birth.clone(),
                n if n < if brief { 17 } else { 83 } => {
                    // Named differently: another town of the same country, as a borough
                    // or a nearby town would be.
                    let british = matches!(original.nationality.as_str(), "GBR" | "");
                    let mut towns: Vec<&str> = if british {
                        crate::tables::places::TOWNS
                            .iter()
                            .map(|t| t.name)
                            .collect()
                    } else {
                        crate::tables::places::BIRTHPLACES_ABROAD
                            .iter()
                            .find(|(code, _)| *code == original.nationality)
                            .map(|(_, towns)| towns.to_vec())
                            .unwrap_or_default()
                    };
                    towns.retain(|t| *t != original.place_of_birth);
                    self.rng
                        .pick(&towns)
                        .map(|t| (*t).to_owned())
                        .unwrap_or_default()
                }
                _ => String::new(),
            };
        }
        if let Some(h) = original.description.height_cm {
            let measured = !brief && self.rng.chance(0.8);
            let guessed = brief && self.rng.chance(0.25);
            let error: i32 = if measured {
                match self.rng.below(100) {
                    0..60 => self.rng.range(0, 2) as i32 - 1,
                    60..85 => self.rng.range(2, 3) as i32,
                    85..95 => self.rng.range(4, 6) as i32,
                    _ => self.rng.range(7, 12) as i32,
                }
            } else {
                self.rng.range(0, 16) as i32 - 8
            };
            if measured || guessed {
                let sign = if self.rng.chance(0.5) { 1 } else { -1 };
                let height = (i32::from(h) + sign * error).clamp(50, 250);
                dup.description.height_cm = u16::try_from(height).ok();
            }
        }
    }

    /// Applies one random variation not already applied; `None` when the one drawn does
    /// not apply to this record.
    fn vary(&mut self, p: &mut PersonInput, facts: &Facts, done: &[&str]) -> Option<&'static str> {
        let names_touched = done.iter().any(|d| {
            matches!(
                *d,
                "typo" | "variant_spelling" | "nickname" | "swapped" | "initial" | "middle_name"
            )
        });
        let dob_touched = done
            .iter()
            .any(|d| matches!(*d, "year_only" | "month_year" | "transposed" | "no_dob"));
        let first_given = p
            .given_names
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_owned();
        match self.rng.below(12) {
            0 | 1 if !names_touched => {
                p.family_name = typo(&mut self.rng, &p.family_name);
                Some("typo")
            }
            2 if !names_touched => {
                let v = names::family_variant(&p.family_name)?;
                p.family_name = v.to_owned();
                Some("variant_spelling")
            }
            3 | 4 if !names_touched => {
                let options: Vec<&str> = names::nicknames_of(&first_given).collect();
                let nick = self.rng.pick(&options)?;
                p.given_names = (*nick).to_owned();
                Some("nickname")
            }
            5 if !names_touched && !first_given.is_empty() => {
                let family = std::mem::replace(&mut p.family_name, first_given);
                p.given_names = family;
                Some("swapped")
            }
            6 if !names_touched => {
                let initial = first_given.chars().next()?;
                p.given_names = initial.to_string();
                Some("initial")
            }
            7 if !names_touched => {
                // Known by the middle name.
                let middle = p.given_names.split(' ').nth(1)?.to_owned();
                p.given_names = middle;
                Some("middle_name")
            }
            8 if !dob_touched && p.date_of_birth.len() == 10 => {
                if self.rng.chance(0.5) {
                    p.date_of_birth = format!("{:04}", facts.birth.year);
                    Some("year_only")
                } else {
                    p.date_of_birth = facts.birth.iso_month();
                    Some("month_year")
                }
            }
            9 if !dob_touched && p.date_of_birth.len() == 10 => {
                let b = facts.birth;
                if b.day > 12 || b.day == b.month {
                    return None;
                }
                p.date_of_birth = Ymd {
                    year: b.year,
                    month: b.day,
                    day: b.month,
                }
                .iso();
                Some("transposed")
            }
            10 if !dob_touched && !p.date_of_birth.is_empty() => {
                p.date_of_birth.clear();
                Some("no_dob")
            }
            11 if !done.contains(&"no_gender") && !p.gender.is_empty() => {
                p.gender.clear();
                Some("no_gender")
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_of() -> jiff::Timestamp {
        "2026-06-01T00:00:00Z"
            .parse()
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn the_same_seed_gives_the_same_set_and_every_record_is_valid() {
        let a = labelled_persons(7, 500, as_of());
        let b = labelled_persons(7, 500, as_of());
        assert_eq!(a, b);
        let entities: std::collections::HashSet<u32> = a.iter().map(|p| p.entity).collect();
        assert!((500..=503).contains(&entities.len()), "{}", entities.len());
        let today = jiff::civil::date(2026, 6, 1);
        for p in &a {
            if let Err(e) = bluelamp_domain::pole::Person::parse(&p.input, today) {
                panic!("{:?} is not a valid person: {e:?}", p.input);
            }
        }
    }

    #[test]
    fn children_born_in_britain_are_mostly_born_where_their_household_lives() {
        let set = labelled_persons(5, 6_000, as_of());
        // The share of originals, British with a place of birth, born in the post town of
        // their household's postcode.
        let born_at_home = |child: bool| {
            let (mut home, mut all) = (0u32, 0u32);
            for p in set.iter().filter(|p| p.variation == "original") {
                let year: i32 = p
                    .input
                    .date_of_birth
                    .get(..4)
                    .and_then(|y| y.parse().ok())
                    .unwrap_or(0);
                let is_child = year > 2026 - 18;
                if is_child != child
                    || p.input.nationality != "GBR"
                    || p.input.place_of_birth.is_empty()
                {
                    continue;
                }
                let Some(district) = p.postcodes.first().and_then(|pc| pc.split(' ').next()) else {
                    continue;
                };
                all += 1;
                let town = crate::tables::places::TOWNS
                    .iter()
                    .find(|t| t.district == district);
                if town.is_some_and(|t| t.name == p.input.place_of_birth) {
                    home += 1;
                }
            }
            f64::from(home) / f64::from(all.max(1))
        };
        let (children, adults) = (born_at_home(true), born_at_home(false));
        assert!(children > 0.6, "children born at home: {children}");
        assert!(adults < 0.25, "adults born at home: {adults}");
    }

    #[test]
    fn copies_give_a_number_as_the_rules_say_and_numbers_are_a_persons_or_a_households() {
        let set = labelled_persons(13, 6_000, as_of());
        let mut first: std::collections::HashMap<u32, &Vec<String>> = Default::default();
        for p in set.iter().filter(|p| p.variation == "original") {
            first.insert(p.entity, &p.phones);
        }
        // [brief, full]: copies, those with a number, and those whose number the first
        // record has (among copies with a number whose first record has one).
        let (mut n, mut with, mut kept, mut could) = ([0u32; 2], [0u32; 2], 0u32, 0u32);
        for p in set.iter().filter(|p| p.variation != "original") {
            let k = usize::from(!p.variation.split('+').any(|v| v == "brief"));
            n[k] += 1;
            assert!(p.phones.len() <= 1, "{:?}", p.phones);
            if let Some(number) = p.phones.first() {
                with[k] += 1;
                let own = first[&p.entity];
                if !own.is_empty() {
                    could += 1;
                    kept += u32::from(own.contains(number));
                }
            }
        }
        let share = |a: u32, b: u32| f64::from(a) / f64::from(b.max(1));
        let brief = share(with[0], n[0]);
        let full = share(with[1], n[1]);
        let same = share(kept, could);
        assert!(
            (0.64..0.76).contains(&brief),
            "brief copies with a number: {brief}"
        );
        assert!(
            (0.44..0.56).contains(&full),
            "full copies with a number: {full}"
        );
        assert!(
            (0.53..0.67).contains(&same),
            "the first record's number: {same}"
        );
        // A number is one person's or one household's: no more of the first records hold
        // any one number than a household has members (four).
        let mut holders: std::collections::HashMap<&str, u32> = Default::default();
        for p in set.iter().filter(|p| p.variation == "original") {
            for number in &p.phones {
                *holders.entry(number).or_default() += 1;
            }
        }
        assert!(
            holders.values().all(|n| *n <= 4),
            "{:?}",
            holders.values().max()
        );
        assert!(
            holders.values().any(|n| *n > 1),
            "households share a number"
        );
    }

    #[test]
    fn about_a_quarter_of_persons_are_recorded_again_with_each_kind_of_variation() {
        let set = labelled_persons(11, 4_000, as_of());
        let originals = set.iter().filter(|p| p.variation == "original").count();
        let copies = set.len() - originals;
        let share = copies as f64 / originals as f64;
        assert!((0.22..0.38).contains(&share), "{share}");
        for v in [
            "typo",
            "variant_spelling",
            "nickname",
            "swapped",
            "initial",
            "middle_name",
            "year_only",
            "month_year",
            "transposed",
            "no_dob",
            "moved",
            "no_address",
            "brief",
        ] {
            assert!(
                set.iter().any(|p| p.variation.split('+').any(|x| x == v)),
                "no record with {v}"
            );
        }
    }

    #[test]
    fn a_copys_details_go_wrong_only_in_the_ways_the_rules_say() {
        let set = labelled_persons(17, 6_000, as_of());
        let originals: std::collections::HashMap<u32, &PersonInput> = set
            .iter()
            .filter(|p| p.variation == "original")
            .map(|p| (p.entity, &p.input))
            .collect();
        // [brief, full] counts: copies, and those keeping each detail as it was.
        let (mut n, mut same_eth, mut same_nat, mut same_pob) =
            ([0u32; 2], [0u32; 2], [0u32; 2], [0u32; 2]);
        let (mut with_pob, mut with_height, mut heights) = ([0u32; 2], [0u32; 2], [0u32; 2]);
        let (mut other_group, mut near_height) = (0u32, 0u32);
        for copy in set.iter().filter(|p| p.variation != "original") {
            let original = originals[&copy.entity];
            let (c, o) = (&copy.input, original);
            let k = usize::from(!copy.variation.split('+').any(|v| v == "brief"));
            n[k] += 1;
            // Ethnicity: kept, not stated, or another code; now and then another group.
            if c.ethnicity == o.ethnicity {
                same_eth[k] += 1;
            } else if !c.ethnicity.is_empty() && c.ethnicity.get(..1) != o.ethnicity.get(..1) {
                other_group += 1;
            }
            // Nationality: kept, left out, or GBR for a foreign national; nothing else.
            if c.nationality == o.nationality {
                same_nat[k] += 1;
            } else if !c.nationality.is_empty() {
                assert_eq!(c.nationality, "GBR", "{copy:?}");
                assert!(!matches!(o.nationality.as_str(), "GBR" | ""), "{copy:?}");
            }
            // Place of birth: kept, left out, or another town of the same country.
            if !o.place_of_birth.is_empty() {
                with_pob[k] += 1;
                if c.place_of_birth == o.place_of_birth {
                    same_pob[k] += 1;
                } else if !c.place_of_birth.is_empty() {
                    let british = crate::tables::places::TOWNS
                        .iter()
                        .any(|t| t.name == c.place_of_birth);
                    let abroad =
                        crate::tables::places::BIRTHPLACES_ABROAD
                            .iter()
                            .any(|(code, towns)| {
                                *code == o.nationality && towns.contains(&c.place_of_birth.as_str())
                            });
                    assert!(british || abroad, "{copy:?}");
                }
            } else {
                assert!(
                    c.place_of_birth.is_empty(),
                    "a birthplace from nowhere: {copy:?}"
                );
            }
            // Height: measured again (within 12 cm) on a full record, guessed (within 8 cm)
            // on some brief ones.
            if let Some(h) = o.description.height_cm {
                with_height[k] += 1;
                if let Some(ch) = c.description.height_cm {
                    heights[k] += 1;
                    let off = (i32::from(ch) - i32::from(h)).abs();
                    assert!(off <= if k == 1 { 12 } else { 8 }, "{copy:?}");
                    if k == 1 && off <= 1 {
                        near_height += 1;
                    }
                }
            } else {
                assert!(c.description.height_cm.is_none(), "{copy:?}");
            }
        }
        let share = |a: u32, b: u32| f64::from(a) / f64::from(b.max(1));
        assert!(n[0] > 400 && n[1] > 400, "{n:?}");
        for (what, got, lo, hi) in [
            (
                "brief, same ethnicity",
                share(same_eth[0], n[0]),
                0.62,
                0.78,
            ),
            ("full, same ethnicity", share(same_eth[1], n[1]), 0.75, 0.89),
            (
                "another ethnic group",
                share(other_group, n[0] + n[1]),
                0.0,
                0.05,
            ),
            (
                "brief, same nationality",
                share(same_nat[0], n[0]),
                0.33,
                0.50,
            ),
            (
                "full, same nationality",
                share(same_nat[1], n[1]),
                0.80,
                0.93,
            ),
            (
                "brief, same birthplace",
                share(same_pob[0], with_pob[0]),
                0.08,
                0.22,
            ),
            (
                "full, same birthplace",
                share(same_pob[1], with_pob[1]),
                0.68,
                0.82,
            ),
            (
                "brief, a height guessed",
                share(heights[0], with_height[0]),
                0.18,
                0.32,
            ),
            (
                "full, height measured",
                share(heights[1], with_height[1]),
                0.73,
                0.87,
            ),
            (
                "full, measured within 1 cm",
                share(near_height, heights[1]),
                0.50,
                0.70,
            ),
        ] {
            assert!((lo..=hi).contains(&got), "{what}: {got}");
        }
    }
}
