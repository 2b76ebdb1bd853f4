//! The duplicate-detection model: Fellegi-Sunter weights per field, summed.
//!
//! Each field comparison lands on an agreement level. For each level, `m` is the chance of
//! seeing it when two records are the same person, `u` the chance when they are two
//! different people, and the level adds `log2(m / u)` to the score: agreement on something
//! rare is strong evidence, disagreement on something that rarely changes is strong
//! evidence against. The score is the log2 likelihood ratio of "same person" under the
//! usual independence assumption, with two corrections where that assumption visibly
//! fails (see below).
//!
//! The m and u values are judgement, informed by published record-linkage studies of
//! British administrative data and by the shape of a police nominal index (about 70 birth
//! years; common surnames at 1 %; roughly 1 in 20 records with only a year of birth).
//! They are meant to be re-estimated (by expectation maximisation over candidate pairs, or
//! from a labelled set) once real or generated data is available.
//!
//! | field | level | m | u | weight |
//! |---|---|---|---|---|
//! | family name | exact (whole name) | 0.88 | 0.005 | +7.46 |
//! | family name | part of a multi-part name | 0.04 | 0.0015 | +4.74 |
//! | family name | typo (one or two edits, Jaro-Winkler ≥ 0.93) | 0.05 | 0.002 | +4.64 |
//! | family name | sounds alike (Double Metaphone) | 0.03 | 0.004 | +2.91 |
//! | family name | disagree | 0.01 | 0.985 | -6.62 |
//! | given name | exact (first) | 0.80 | 0.01 | +6.32 |
//! | given name | another given name agrees (middle name used) | 0.04 | 0.003 | +3.74 |
//! | given name | variant (nickname table) | 0.06 | 0.004 | +3.91 |
//! | given name | typo | 0.03 | 0.002 | +3.91 |
//! | given name | initial agrees (one side an initial) | 0.04 | 0.004 | +3.32 |
//! | given name | sounds alike | 0.01 | 0.003 | +1.74 |
//! | given name | disagree | 0.02 | 0.97 | -5.60 |
//! | middle name | first names agree, second given names clearly differ | 0.10 | 0.90 | -3.17 |
//! | name order | given and family names swapped | - | - | -2.00 (fixed penalty) |
//! | date of birth | exact, full date | 0.85 | 0.00005 | +14.05 |
//! | date of birth | exact or compatible at month precision | 0.90 | 0.00139 | +9.34 |
//! | date of birth | exact or compatible at year precision | 0.90 | 0.0167 | +5.75 |
//! | date of birth | day and month transposed | 0.01 | 0.00005 | +7.64 |
//! | date of birth | year one apart, day and month agree | 0.01 | 0.00009 | +6.80 |
//! | date of birth | year one apart, month agrees | 0.01 | 0.0028 | +1.84 |
//! | date of birth | year one apart, years only | 0.03 | 0.033 | -0.14 |
//! | date of birth | same month and year, day differs | 0.03 | 0.0014 | +4.42 |
//! | date of birth | same year, month differs | 0.02 | 0.015 | +0.42 |
//! | date of birth | disagree | 0.01 | 0.97 | -6.60 |
//! | date of birth | sibling cap (see below) | 0.85 | 0.03 | ≤ +4.82 |
//! | gender | agree (male/female) | 0.97 | 0.5 | +0.96 |
//! | gender | disagree | 0.01 | 0.5 | -5.64 |
//! | PNC ID, CRO number | agree | 0.98 | 0.000001 | +19.90 |
//! | PNC ID | conflict (both have one, none equal) | 0.002 | 0.999 | -8.96 |
//! | CRO number | conflict | 0.005 | 0.999 | -7.64 |
//! | NI, prison (NOMS), CRN | agree | 0.95 | 0.000001 | +19.86 |
//! | NI number | conflict | 0.01 | 0.999 | -6.64 |
//! | prison number, CRN | conflict | 0.05 | 0.999 | -4.32 |
//! | passport, driving licence | agree | 0.90 | 0.000001 | +19.78 |
//! | passport | conflict (passports are renewed) | 0.30 | 0.999 | -1.74 |
//! | driving licence | conflict | 0.10 | 0.999 | -3.32 |
//! | postcode | a postcode in common | 0.40 | 0.005 | +6.32 |
//! | postcode | in common, family names the same (household) | 0.40 | 0.10 | +2.00 |
//! | postcode | in common, family names only alike, or the names agree only swapped | - | - | ≤ +6.32, capped so the pair never outscores the same name at the same address |
//! | postcode | both known, none in common (people move) | 0.60 | 0.995 | -0.73 |
//! | telephone number | a number in common | 0.55 | 0.0005 | +10.10 |
//! | telephone number | in common, family names the same (household) | 0.55 | 0.05 | +3.46 |
//! | telephone number | in common, family names only alike, or swapped | - | - | capped with the postcode: the two together never outscore the same name with the household's address and number |
//! | telephone number | a shared line (linked to records of more than three family names) | - | - | 0 |
//! | telephone number | both known, none in common (numbers change) | 0.45 | 0.9995 | -1.15 |
//! | place of birth | same (folded) | 0.85 | 0.05, or the place's share (at least 0.02) | +4.09 (London in the demo data: +2.48; at most +5.41) |
//! | place of birth | different | 0.15 | 0.95 | -2.66 |
//! | height | within 2 cm | 0.65 | 0.20 | +1.70 |
//! | height | 3 to 5 cm apart | 0.22 | 0.22 | 0.00 |
//! | height | 6 to 10 cm apart | 0.09 | 0.29 | -1.69 |
//! | height | more than 10 cm apart | 0.04 | 0.29 | -2.86 |
//! | self-defined ethnicity | same code | 0.85 | 0.80 | +0.09 |
//! | self-defined ethnicity | same group, or either mixed | 0.10 | 0.10 | 0.00 |
//! | self-defined ethnicity | different groups | 0.05 | 0.10 | -1.00 |
//! | nationality | same | 0.92 | 0.80 | +0.20 |
//! | nationality | different | 0.08 | 0.20 | -1.32 |
//!
//! A field that one side does not record (no given names, date of birth not known, no
//! postcodes, ethnicity not stated, no height) adds nothing.
//!
//! The details a fuller record carries (place of birth, height, ethnicity, nationality)
//! are weighed with care for how they go wrong. A place of birth is written as a borough
//! one time and a city the next. A height is measured in custody and guessed by a witness.
//! Ethnicity is self-defined, and people answer differently, or not at all. Nationality
//! changes with naturalisation. The u values of these four are for people who already share
//! a name (the only pairs a scan compares or a search ranks), and a name says much about
//! where a family comes from: namesakes mostly agree on ethnicity and nationality (so that
//! agreement weighs next to nothing) and share a place of birth more often than its share
//! of everyone suggests (so that share is held to at least 0.02). What these fields are good
//! for is disagreement, and, for place of birth and height, agreement on a record that has
//! no date of birth.
//!
//! Names: every name of one person (their own and each alias) is compared with every name
//! of the other, in the usual order and with given and family names swapped, and the best
//! combination counts; its explanation says when an alias or the swap was used.
//!
//! Corrections for dependence between fields:
//! - Household: relatives share a family name, an address and sometimes a telephone
//!   number (a landline, a parent's mobile given for a child), so when the family names
//!   are the same, a shared postcode (u 0.10, not 0.005) or number (u 0.05, not 0.0005)
//!   is much weaker evidence.
//! - Siblings: when family names agree but given names clearly differ (disagree, or only
//!   sound alike), a matching date of birth is what a twin would have, so the date-of-birth
//!   weight is capped at log2(0.85 / 0.03) = +4.82 (u: the chance that a different person
//!   with the same family name and a different given name shares the date of birth).
//!
//! [`DEFAULT_THRESHOLD`] (16) is "likely the same person": it needs, roughly, agreeing
//! names and an agreeing full or partial date of birth, or an identifier. Matching names
//! alone (+13.8) or a matching date of birth and given name alone stay below it.

use bluelamp_domain::values::{DateOfBirth, Gender, IdentifierType, NameType};
use serde::Serialize;

use crate::dob::{DobAgreement, DobPrecision, compare_dob, shared_precision};
use crate::features::{NameFeatures, PersonFeatures};
use crate::similarity::is_typo;
use crate::variants::{are_variants_folded, variant_groups};

/// Score at or above which two records are likely the same person.
pub const DEFAULT_THRESHOLD: f64 = 16.0;

/// Fixed penalty for comparing with given and family names swapped.
pub const SWAP_PENALTY: f64 = -2.0;

fn w(m: f64, u: f64) -> f64 {
    (m / u).log2()
}

/// One field's contribution to a score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldScore {
    /// `family_name`, `given_name`, `name_order`, `date_of_birth`, `gender`, `postcode`,
    /// `phone`, `place_of_birth`, `height`, `ethnicity`, `nationality`, or an identifier type in
    /// lower case (`pnc`, `cro`, `ni`, `noms`, `crn`, `passport`, `driver`).
    pub field: &'static str,
    /// The agreement level, such as `exact`, `variant`, `sounds_alike`, `disagree`.
    pub level: String,
    /// The log2 weight this field adds.
    pub weight: f64,
    /// A short human reason, about the second record ("surname sounds like Smith").
    pub reason: String,
}

/// How likely two records are to be the same person, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchScore {
    /// The total log2 likelihood ratio; compare with [`DEFAULT_THRESHOLD`].
    pub weight: f64,
    pub fields: Vec<FieldScore>,
}

impl MatchScore {
    /// A short reason: the reasons of the fields that weigh at least 1 either way,
    /// agreements first, each group in field order (identifiers, names, date of birth,
    /// gender, postcode, telephone number, the details of a fuller record): "surname sounds
    /// like Smith; year of birth matches".
    pub fn explain(&self) -> String {
        let notable = |positive: bool| {
            self.fields
                .iter()
                .filter(move |f| f.weight.abs() >= 1.0 && !f.reason.is_empty())
                .filter(move |f| (f.weight > 0.0) == positive)
                .map(|f| f.reason.as_str())
        };
        notable(true)
            .chain(notable(false))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Whether the score reaches [`DEFAULT_THRESHOLD`].
    pub fn is_likely_match(&self) -> bool {
        self.weight >= DEFAULT_THRESHOLD
    }

    /// The field with this name, if it was scored.
    pub fn field(&self, name: &str) -> Option<&FieldScore> {
        self.fields.iter().find(|f| f.field == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FamilyLevel {
    Exact,
    Part,
    Typo,
    SoundsAlike,
    Disagree,
    Missing,
}

impl FamilyLevel {
    fn weight(self) -> f64 {
        match self {
            FamilyLevel::Exact => w(0.88, 0.005),
            FamilyLevel::Part => w(0.04, 0.0015),
            FamilyLevel::Typo => w(0.05, 0.002),
            FamilyLevel::SoundsAlike => w(0.03, 0.004),
            FamilyLevel::Disagree => w(0.01, 0.985),
            FamilyLevel::Missing => 0.0,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            FamilyLevel::Exact => "exact",
            FamilyLevel::Part => "part",
            FamilyLevel::Typo => "typo",
            FamilyLevel::SoundsAlike => "sounds_alike",
            FamilyLevel::Disagree => "disagree",
            FamilyLevel::Missing => "missing",
        }
    }

    fn agrees(self) -> bool {
        !matches!(self, FamilyLevel::Disagree | FamilyLevel::Missing)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GivenLevel {
    Exact,
    OtherGivenName,
    Variant,
    Typo,
    Initial,
    SoundsAlike,
    Disagree,
    Missing,
}

impl GivenLevel {
    fn weight(self) -> f64 {
        match self {
            GivenLevel::Exact => w(0.80, 0.01),
            GivenLevel::OtherGivenName => w(0.04, 0.003),
            GivenLevel::Variant => w(0.06, 0.004),
            GivenLevel::Typo => w(0.03, 0.002),
            GivenLevel::Initial => w(0.04, 0.004),
            GivenLevel::SoundsAlike => w(0.01, 0.003),
            GivenLevel::Disagree => w(0.02, 0.97),
            GivenLevel::Missing => 0.0,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            GivenLevel::Exact => "exact",
            GivenLevel::OtherGivenName => "other_given_name",
            GivenLevel::Variant => "variant",
            GivenLevel::Typo => "typo",
            GivenLevel::Initial => "initial",
            GivenLevel::SoundsAlike => "sounds_alike",
            GivenLevel::Disagree => "disagree",
            GivenLevel::Missing => "missing",
        }
    }
}

/// Compares two surname-like values given as (keys, sound codes); symmetric.
fn compare_family(ak: &[String], ac: &[String], bk: &[String], bc: &[String]) -> FamilyLevel {
    let (Some(a0), Some(b0)) = (ak.first(), bk.first()) else {
        return FamilyLevel::Missing;
    };
    if a0 == b0 {
        return FamilyLevel::Exact;
    }
    if ak.iter().any(|x| bk.contains(x)) {
        return FamilyLevel::Part;
    }
    if ak.iter().any(|x| bk.iter().any(|y| is_typo(x, y))) {
        return FamilyLevel::Typo;
    }
    if ac.iter().any(|x| bc.contains(x)) {
        return FamilyLevel::SoundsAlike;
    }
    FamilyLevel::Disagree
}

fn compare_given(a: &NameFeatures, b: &NameFeatures) -> GivenLevel {
    let (Some(fa), Some(fb)) = (a.first_given(), b.first_given()) else {
        return GivenLevel::Missing;
    };
    let long = |s: &str| s.chars().count() > 1;
    if long(fa) && long(fb) {
        if fa == fb {
            return GivenLevel::Exact;
        }
        if a.given.iter().any(|x| long(x) && b.given.contains(x)) {
            return GivenLevel::OtherGivenName;
        }
        if are_variants_folded(fa, fb) {
            return GivenLevel::Variant;
        }
        if is_typo(fa, fb) {
            return GivenLevel::Typo;
        }
        if a.given_codes.iter().any(|c| b.given_codes.contains(c)) {
            return GivenLevel::SoundsAlike;
        }
        return GivenLevel::Disagree;
    }
    // At least one side is an initial: compare first letters, then any initials.
    if a.first_initial() == b.first_initial() {
        return GivenLevel::Initial;
    }
    let (short, full) = if long(fa) { (b, a) } else { (a, b) };
    if short
        .first_initial()
        .is_some_and(|i| full.initials.contains(i))
    {
        return GivenLevel::Initial;
    }
    GivenLevel::Disagree
}

/// The best way two names line up.
struct NamePair {
    family: FamilyLevel,
    given: GivenLevel,
    swapped: bool,
    /// Family-level comparison of a's family with b's given (used when swapped).
    swap_levels: (FamilyLevel, FamilyLevel),
    /// Bits added to an exact family-name agreement for how common the name is
    /// ([`Frequencies`]): positive for a rare name, negative for a common one.
    family_adjust: f64,
    /// The same for an exact first given name.
    given_adjust: f64,
    /// First names agree exactly but both have a second given name and those clearly
    /// differ (Isla Lucy and Isla Olivia: sisters more often than one person).
    middle_conflict: bool,
    /// For a swapped reading: what the same full name written in order would weigh (the
    /// lesser of the two records' names, weighed by how common each is when counts are
    /// given), the most the pair may reach with a shared address.
    written_right: f64,
    /// For a swapped reading where both names agree exactly, with counts: how much less
    /// the whole name weighs for being common (as [`Frequencies::name_weight`] does for
    /// the name in order), so that a common name swapped is no stronger than written right.
    swap_adjust: f64,
}

/// Weight of [`NamePair::middle_conflict`].
const MIDDLE_CONFLICT: f64 = -3.169_925_001_442_312; // log2(0.10 / 0.90)

impl NamePair {
    fn weight(&self) -> f64 {
        if self.swapped {
            self.swap_levels.0.weight()
                + self.swap_levels.1.weight()
                + SWAP_PENALTY
                + self.swap_adjust
        } else {
            self.family_weight() + self.given_weight() + self.middle_weight()
        }
    }

    fn middle_weight(&self) -> f64 {
        if self.middle_conflict {
            MIDDLE_CONFLICT
        } else {
            0.0
        }
    }

    fn family_weight(&self) -> f64 {
        self.family.weight() + self.family_adjust
    }

    fn given_weight(&self) -> f64 {
        self.given.weight() + self.given_adjust
    }

    /// Family names agree and given names clearly differ: the sibling pattern.
    fn sibling_pattern(&self) -> bool {
        !self.swapped
            && self.family.agrees()
            && matches!(self.given, GivenLevel::Disagree | GivenLevel::SoundsAlike)
    }

    /// How much more than a household's a shared address or telephone number may add when
    /// the family names are alike but not the same: what it would take to equal the same
    /// name written right, so that a slip of the pen (or a swapped reading) sharing the
    /// household's address and number never outscores the name written right there.
    fn household_gap(&self) -> f64 {
        if self.swapped {
            // Up to the same full name written in order.
            return (self.written_right - self.weight()).max(0.0);
        }
        if self.family.agrees() {
            FamilyLevel::Exact.weight() - self.family.weight()
        } else {
            f64::INFINITY
        }
    }

    /// The family names are the same (whole or a part of a double-barrelled name), as a
    /// household's are; a surname spelt differently at the same address is more likely the
    /// same person recorded with a slip than a relative. Names that agree only when read
    /// swapped are not a household's: a relative shares the family name, not one whose
    /// given name is the other's family name.
    fn same_family_name(&self) -> bool {
        !self.swapped && matches!(self.family, FamilyLevel::Exact | FamilyLevel::Part)
    }
}

fn compare_names(a: &NameFeatures, b: &NameFeatures, freq: Option<&Frequencies>) -> NamePair {
    let family = compare_family(
        &a.family_keys,
        &a.family_codes,
        &b.family_keys,
        &b.family_codes,
    );
    let given = compare_given(a, b);
    let (mut family_adjust, mut given_adjust) = (0.0, 0.0);
    if let Some(f) = freq {
        let key = a.family_keys.first();
        let first = a.first_given();
        match (family, given, key, first) {
            (FamilyLevel::Exact, GivenLevel::Exact, Some(k), Some(g)) => {
                // Both agree: weigh the whole name by how common it is, since given and
                // family names are far from independent (Mohammed Khan, Wei Wang).
                let total = f.name_weight(k, g) - family.weight() - given.weight();
                family_adjust = total / 2.0;
                given_adjust = total / 2.0;
            }
            _ => {
                if family == FamilyLevel::Exact
                    && let Some(k) = key
                {
                    family_adjust = f.family_adjust(k);
                }
                if given == GivenLevel::Exact
                    && let Some(g) = first
                {
                    given_adjust = f.given_adjust(g);
                }
            }
        }
    }
    let middle_conflict = given == GivenLevel::Exact
        && match (a.given.get(1), b.given.get(1)) {
            (Some(x), Some(y)) => {
                x.chars().count() > 1
                    && y.chars().count() > 1
                    && x.chars().next() != y.chars().next()
                    && !are_variants_folded(x, y)
                    && !is_typo(x, y)
            }
            _ => false,
        };
    let normal = NamePair {
        family,
        given,
        swapped: false,
        swap_levels: (FamilyLevel::Missing, FamilyLevel::Missing),
        family_adjust,
        given_adjust,
        middle_conflict,
        written_right: 0.0,
        swap_adjust: 0.0,
    };
    let (Some(ga), Some(gb)) = (a.first_given(), b.first_given()) else {
        return normal;
    };
    if ga.chars().count() < 2 || gb.chars().count() < 2 {
        return normal;
    }
    let one = |s: &str| vec![s.to_owned()];
    let cross_1 = compare_family(&a.family_keys, &a.family_codes, &one(gb), &b.given_codes);
    let cross_2 = compare_family(&one(ga), &a.given_codes, &b.family_keys, &b.family_codes);
    if !cross_1.agrees() || !cross_2.agrees() {
        return normal;
    }
    let in_order = |n: &NameFeatures| match (freq, n.family_keys.first(), n.first_given()) {
        (Some(f), Some(k), Some(g)) => f.name_weight(k, g),
        _ => FamilyLevel::Exact.weight() + GivenLevel::Exact.weight(),
    };
    let written_right = in_order(a).min(in_order(b));
    let plain = FamilyLevel::Exact.weight() + GivenLevel::Exact.weight();
    let both_exact = cross_1 == FamilyLevel::Exact && cross_2 == FamilyLevel::Exact;
    let swapped = NamePair {
        swapped: true,
        swap_levels: (cross_1, cross_2),
        family_adjust: 0.0,
        given_adjust: 0.0,
        middle_conflict: false,
        written_right,
        swap_adjust: if both_exact {
            written_right - plain
        } else {
            0.0
        },
        ..normal
    };
    if swapped.weight() > normal.weight() {
        swapped
    } else {
        normal
    }
}

struct DobScore {
    level: DobAgreement,
    precision: DobPrecision,
    weight: f64,
    capped: bool,
}

fn dob_score(a: &DateOfBirth, b: &DateOfBirth, sibling_pattern: bool) -> DobScore {
    let level = compare_dob(a, b);
    let precision = shared_precision(a, b);
    let mut weight = match level {
        DobAgreement::Exact | DobAgreement::Compatible => match precision {
            DobPrecision::Day => w(0.85, 0.000_05),
            DobPrecision::Month => w(0.90, 1.0 / 720.0),
            DobPrecision::Year => w(0.90, 1.0 / 60.0),
            DobPrecision::Unknown => 0.0,
        },
        DobAgreement::DayMonthTransposed => w(0.01, 0.000_05),
        DobAgreement::SameMonthAndYear => w(0.03, 0.0014),
        DobAgreement::SameYear => w(0.02, 0.015),
        DobAgreement::YearOffByOne => match precision {
            DobPrecision::Day => w(0.01, 0.000_09),
            DobPrecision::Month => w(0.01, 0.0028),
            _ => w(0.03, 0.033),
        },
        DobAgreement::Disagree => w(0.01, 0.97),
        DobAgreement::Unknown => 0.0,
    };
    let cap = w(0.85, 0.03);
    let capped = sibling_pattern && weight > cap;
    if capped {
        weight = cap;
    }
    DobScore {
        level,
        precision,
        weight,
        capped,
    }
}

fn dob_reason(d: &DobScore) -> String {
    let base = match (d.level, d.precision) {
        (DobAgreement::Exact, DobPrecision::Day) => "date of birth matches",
        (DobAgreement::Exact | DobAgreement::Compatible, DobPrecision::Month) => {
            "month and year of birth match"
        }
        (DobAgreement::Exact | DobAgreement::Compatible, _) => "year of birth matches",
        (DobAgreement::DayMonthTransposed, _) => "date of birth matches with day and month swapped",
        (DobAgreement::SameMonthAndYear, _) => "month and year of birth match, day differs",
        (DobAgreement::SameYear, _) => "year of birth matches, month differs",
        (DobAgreement::YearOffByOne, _) => "year of birth one out",
        (DobAgreement::Disagree, _) => "dates of birth differ",
        (DobAgreement::Unknown, _) => "",
    };
    if d.capped {
        format!("{base} (as a twin's would)")
    } else {
        base.to_owned()
    }
}

fn name_label(n: &NameFeatures) -> &'static str {
    match n.name_type {
        None => "",
        Some(NameType::Alias) => " (alias)",
        Some(NameType::Maiden) => " (maiden name)",
        Some(NameType::Nickname) => " (nickname)",
        Some(NameType::Previous) => " (previous name)",
        Some(NameType::Other) => " (other name)",
    }
}

fn name_fields(pair: &NamePair, a: &NameFeatures, b: &NameFeatures) -> Vec<FieldScore> {
    let b_given = b.display_given.as_deref().unwrap_or("");
    let b_first = b_given.split_whitespace().next().unwrap_or("");
    let a_first = a
        .display_given
        .as_deref()
        .and_then(|g| g.split_whitespace().next())
        .unwrap_or("");
    // Which alias, if any, made the match (the candidate's first).
    let label = if b.name_type.is_some() {
        name_label(b)
    } else {
        name_label(a)
    };
    if pair.swapped {
        let (l1, l2) = pair.swap_levels;
        return vec![
            FieldScore {
                field: "family_name",
                level: l1.as_str().to_owned(),
                weight: l1.weight() + pair.swap_adjust / 2.0,
                reason: format!("surname {} given name {}{label}", family_verb(l1), b_first),
            },
            FieldScore {
                field: "given_name",
                level: l2.as_str().to_owned(),
                weight: l2.weight() + pair.swap_adjust / 2.0,
                reason: format!(
                    "given name {} surname {}{label}",
                    family_verb(l2),
                    b.display_family
                ),
            },
            FieldScore {
                field: "name_order",
                level: "swapped".to_owned(),
                weight: SWAP_PENALTY,
                reason: "given and family names swapped".to_owned(),
            },
        ];
    }
    let family_reason = match pair.family {
        FamilyLevel::Missing => String::new(),
        FamilyLevel::Disagree => format!("surname differs ({}{label})", b.display_family),
        l => format!("surname {} {}{label}", family_verb(l), b.display_family),
    };
    let given_reason = match pair.given {
        GivenLevel::Exact => format!("given name matches {b_first}"),
        GivenLevel::OtherGivenName => format!("given names share one with {b_given}"),
        GivenLevel::Variant => format!("given name {a_first} is a form of {b_first}"),
        GivenLevel::Typo => format!("given name spelt like {b_first}"),
        GivenLevel::Initial => format!("initial matches {b_given}"),
        GivenLevel::SoundsAlike => format!("given name sounds like {b_first}"),
        GivenLevel::Disagree => format!("given name differs ({b_first})"),
        GivenLevel::Missing => String::new(),
    };
    let mut fields = vec![
        FieldScore {
            field: "family_name",
            level: pair.family.as_str().to_owned(),
            weight: pair.family_weight(),
            reason: family_reason,
        },
        FieldScore {
            field: "given_name",
            level: pair.given.as_str().to_owned(),
            weight: pair.given_weight(),
            reason: given_reason,
        },
    ];
    if pair.middle_conflict {
        let b_middle = b_given.split_whitespace().nth(1).unwrap_or("");
        fields.push(FieldScore {
            field: "middle_name",
            level: "disagree".to_owned(),
            weight: MIDDLE_CONFLICT,
            reason: format!("middle name differs ({b_middle})"),
        });
    }
    fields
}

fn family_verb(l: FamilyLevel) -> &'static str {
    match l {
        FamilyLevel::Exact => "matches",
        FamilyLevel::Part => "shares a part with",
        FamilyLevel::Typo => "spelt like",
        FamilyLevel::SoundsAlike => "sounds like",
        FamilyLevel::Disagree => "differs from",
        FamilyLevel::Missing => "not compared with",
    }
}

/// Identifier weights (agree, conflict) by type.
fn identifier_weights(t: IdentifierType) -> (f64, f64) {
    match t {
        IdentifierType::Pnc => (w(0.98, 1e-6), w(0.002, 0.999)),
        IdentifierType::Cro => (w(0.98, 1e-6), w(0.005, 0.999)),
        IdentifierType::Ni => (w(0.95, 1e-6), w(0.01, 0.999)),
        IdentifierType::Noms | IdentifierType::Crn => (w(0.95, 1e-6), w(0.05, 0.999)),
        IdentifierType::Passport => (w(0.90, 1e-6), w(0.30, 0.999)),
        IdentifierType::Driver => (w(0.90, 1e-6), w(0.10, 0.999)),
    }
}

fn identifier_field(t: IdentifierType) -> &'static str {
    match t {
        IdentifierType::Pnc => "pnc",
        IdentifierType::Cro => "cro",
        IdentifierType::Ni => "ni",
        IdentifierType::Noms => "noms",
        IdentifierType::Crn => "crn",
        IdentifierType::Passport => "passport",
        IdentifierType::Driver => "driver",
    }
}

/// How common each family name and first given name is among a set of records, for the
/// term-frequency adjustment of Fellegi-Sunter (Winkler): agreeing on a rare name is
/// stronger evidence than agreeing on Smith or Olivia. For an exact agreement, `u` becomes
/// the name's share of the records other than the two compared, shrunk towards the
/// model's own `u` by [`PRIOR_RECORDS`] (so a small store weighs names as the model does),
/// kept within bounds (the floor stops a name seen once from counting as near-proof).
///
/// When both the family and the first given name agree exactly, the whole name's share is
/// used (a name's parts go together: Mohammed with Khan, Wei with Wang, far more often than
/// their separate shares suggest), within [`NAME_SHARE_BOUNDS`]; the floor keeps a name
/// alone, however rare, below [`DEFAULT_THRESHOLD`]. Names that agree exactly only when
/// read swapped are weighed the same way (the lesser of the two records' whole names),
/// still less the swap's own penalty.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frequencies {
    family: std::collections::HashMap<String, u32>,
    given: std::collections::HashMap<String, u32>,
    names: std::collections::HashMap<String, u32>,
    total: u32,
    birthplaces: std::collections::HashMap<String, u32>,
    /// Records with a place of birth.
    birthplace_total: u32,
    /// For each telephone number, the family names (their Soundex) of the records linked
    /// to it, up to one more than [`PHONE_LINE_FAMILIES`].
    phones: std::collections::HashMap<String, Vec<String>>,
}

/// A telephone number linked to records of more family names than this is a shared line:
/// a person's own records share one family name (two with a maiden name; names are
/// compared by their Soundex, so a slip of the pen is not another family), a household's
/// two or three.
pub const PHONE_LINE_FAMILIES: usize = 3;

/// Bounds on the share used as `u` for a whole name (family and first given) agreeing.
pub const NAME_SHARE_BOUNDS: (f64, f64) = (0.000_05, 0.01);

/// Bounds on the share used as `u` for an exact family name.
pub const FAMILY_SHARE_BOUNDS: (f64, f64) = (0.000_5, 0.05);
/// Bounds on the share used as `u` for an exact first given name.
pub const GIVEN_SHARE_BOUNDS: (f64, f64) = (0.001, 0.05);
/// Bounds on the share used as `u` for the same place of birth (among records that have
/// one). The floor stands for namesakes, whose families often come from the same places:
/// a small town's share of everyone understates how often two of them were born there.
pub const BIRTHPLACE_SHARE_BOUNDS: (f64, f64) = (0.02, 0.25);
/// `u` for the same place of birth when nobody has counted how common it is.
const BIRTHPLACE_U: f64 = 0.05;

impl Frequencies {
    /// Counts the own names (not aliases) of `records`.
    pub fn of(records: &[PersonFeatures]) -> Self {
        let mut f = Frequencies::default();
        for r in records {
            f.total += 1;
            if let Some(k) = r.name.family_keys.first() {
                *f.family.entry(k.clone()).or_default() += 1;
            }
            if let Some(g) = r.name.first_given().filter(|g| g.chars().count() > 1) {
                *f.given.entry(g.to_owned()).or_default() += 1;
                if let Some(k) = r.name.family_keys.first() {
                    *f.names.entry(name_key(k, g)).or_default() += 1;
                }
            }
            if let Some(p) = &r.place_of_birth {
                f.birthplace_total += 1;
                *f.birthplaces.entry(p.clone()).or_default() += 1;
            }
            f.count_lines(r);
        }
        f
    }

    /// Counts only who shares each telephone number (the family names of `records`, each
    /// linked to some of them): what tells a shared line from a person's own number. Names
    /// and places of birth then weigh as the model says, as without counts. The check on
    /// one person counts the records sharing its numbers this way; the scan counts
    /// everything with [`Frequencies::of`].
    pub fn of_lines<'r>(records: impl IntoIterator<Item = &'r PersonFeatures>) -> Self {
        let mut f = Frequencies::default();
        for r in records {
            f.count_lines(r);
        }
        f
    }

    fn count_lines(&mut self, r: &PersonFeatures) {
        // Family names by their Soundex, so that one person's records under Smith, Smiht
        // and Smyth count as one family.
        let family = r.name.family_soundex.as_str();
        for n in &r.phones {
            let seen = self.phones.entry(n.clone()).or_default();
            if seen.len() <= PHONE_LINE_FAMILIES && !seen.iter().any(|k| k == family) {
                seen.push(family.to_owned());
            }
        }
    }

    /// Whether this telephone number is linked to records of more than
    /// [`PHONE_LINE_FAMILIES`] family names.
    pub fn shared_line(&self, number: &str) -> bool {
        self.phones
            .get(number)
            .is_some_and(|families| families.len() > PHONE_LINE_FAMILIES)
    }

    /// `u` for two records naming this place of birth: its share of the records that name
    /// one ([`shrunk_share`]), within [`BIRTHPLACE_SHARE_BOUNDS`].
    fn birthplace_u(&self, place: &str) -> Option<f64> {
        if self.birthplace_total == 0 {
            return None;
        }
        let count = self.birthplaces.get(place).copied().unwrap_or(0);
        let (lo, hi) = BIRTHPLACE_SHARE_BOUNDS;
        Some(shrunk_share(count, self.birthplace_total, BIRTHPLACE_U).clamp(lo, hi))
    }

    fn adjust(
        counts: &std::collections::HashMap<String, u32>,
        total: u32,
        key: &str,
        default_u: f64,
        (lo, hi): (f64, f64),
    ) -> f64 {
        if total == 0 {
            return 0.0;
        }
        let count = counts.get(key).copied().unwrap_or(0);
        (default_u / shrunk_share(count, total, default_u).clamp(lo, hi)).log2()
    }

    /// The weight of a whole name agreeing: log2(m / u) with m the chance both parts agree
    /// for the same person and u the name's share ([`shrunk_share`]).
    fn name_weight(&self, family: &str, given: &str) -> f64 {
        let (m, default_u) = (0.88 * 0.80, 0.005 * 0.01);
        if self.total == 0 {
            return FamilyLevel::Exact.weight() + GivenLevel::Exact.weight();
        }
        let count = self
            .names
            .get(&name_key(family, given))
            .copied()
            .unwrap_or(0);
        let (lo, hi) = NAME_SHARE_BOUNDS;
        (m / shrunk_share(count, self.total, default_u).clamp(lo, hi)).log2()
    }

    fn family_adjust(&self, key: &str) -> f64 {
        Self::adjust(&self.family, self.total, key, 0.005, FAMILY_SHARE_BOUNDS)
    }

    fn given_adjust(&self, given: &str) -> f64 {
        Self::adjust(&self.given, self.total, given, 0.01, GIVEN_SHARE_BOUNDS)
    }
}

/// Records of prior evidence a share is estimated with: the model's own `u` counts as if
/// it had been seen on this many records, so that on a small store (a new deployment, a
/// test) names only the compared records carry weigh as the model says, and the counts take
/// over as the store grows (at a hundred thousand records they are 99% of the estimate).
pub const PRIOR_RECORDS: u32 = 1_000;

/// `u` for a value `count` of `total` records have, estimated from the records other than
/// the two compared (counting them made every name on a small store look common: two
/// John Smiths among ten persons were a fifth of everyone), shrunk towards the model's
/// `default_u` by [`PRIOR_RECORDS`]. Two are taken off whatever matched: when the agreement
/// came through an alias (which is not counted) one or two other records are taken off
/// instead, which errs towards the name being rarer. The shrinkage is gentle for a whole
/// name, whose `u` is small: a thousand records' worth of the model's 0.00005 is a twentieth
/// of an occurrence, so on a store of a few records one other John Smith still lowers the
/// pair by about 4 bits (a family name alone is held at 5 occurrences, a given name at 10).
fn shrunk_share(count: u32, total: u32, default_u: f64) -> f64 {
    let others = f64::from(count.saturating_sub(2));
    let prior = f64::from(PRIOR_RECORDS);
    (others + prior * default_u) / (f64::from(total.saturating_sub(2)) + prior)
}

fn name_key(family: &str, given: &str) -> String {
    format!("{family}\u{1}{given}")
}

/// Scores a pair of records. The weight is symmetric: `score(a, b).weight ==
/// score(b, a).weight`; reasons describe `b` (the candidate).
pub fn score(a: &PersonFeatures, b: &PersonFeatures) -> MatchScore {
    score_with(a, b, None)
}

/// [`score`], with exact name agreements weighed by how common the name is.
pub fn score_with(
    a: &PersonFeatures,
    b: &PersonFeatures,
    freq: Option<&Frequencies>,
) -> MatchScore {
    let mut fields: Vec<FieldScore> = Vec::new();

    // Identifiers first: the strongest evidence either way.
    for t in IdentifierType::ALL {
        let va: Vec<&String> = a
            .identifiers
            .iter()
            .filter(|(x, _)| *x == t)
            .map(|(_, v)| v)
            .collect();
        let vb: Vec<&String> = b
            .identifiers
            .iter()
            .filter(|(x, _)| *x == t)
            .map(|(_, v)| v)
            .collect();
        if va.is_empty() || vb.is_empty() {
            continue;
        }
        let (agree, conflict) = identifier_weights(t);
        let label = t.label();
        let field = if va.iter().any(|v| vb.contains(v)) {
            FieldScore {
                field: identifier_field(t),
                level: "agree".to_owned(),
                weight: agree,
                reason: format!("{label} matches"),
            }
        } else {
            FieldScore {
                field: identifier_field(t),
                level: "conflict".to_owned(),
                weight: conflict,
                reason: format!("different {label}s"),
            }
        };
        fields.push(field);
    }

    // Names and date of birth: the best combination of names, with the date of birth
    // weighed for that combination (the sibling cap depends on it).
    let mut best: Option<(f64, NamePair, &NameFeatures, &NameFeatures, DobScore)> = None;
    for na in a.names() {
        for nb in b.names() {
            let pair = compare_names(na, nb, freq);
            let dob = dob_score(&a.dob, &b.dob, pair.sibling_pattern());
            let total = pair.weight() + dob.weight;
            if best.as_ref().is_none_or(|(t, ..)| total > *t) {
                best = Some((total, pair, na, nb, dob));
            }
        }
    }
    let mut family_agrees = false;
    let mut gap = f64::INFINITY;
    if let Some((_, pair, na, nb, dob)) = best {
        family_agrees = pair.same_family_name();
        gap = pair.household_gap();
        fields.extend(name_fields(&pair, na, nb));
        fields.push(FieldScore {
            field: "date_of_birth",
            level: dob.level.as_str().to_owned(),
            weight: dob.weight,
            reason: dob_reason(&dob),
        });
    }

    let (level, weight, reason) = match (a.gender, b.gender) {
        (Gender::Male, Gender::Male) | (Gender::Female, Gender::Female) => {
            ("agree", w(0.97, 0.5), "same gender")
        }
        (Gender::Male, Gender::Female) | (Gender::Female, Gender::Male) => {
            ("disagree", w(0.01, 0.5), "different gender")
        }
        _ => ("unknown", 0.0, ""),
    };
    fields.push(FieldScore {
        field: "gender",
        level: level.to_owned(),
        weight,
        reason: reason.to_owned(),
    });

    // Addresses and telephone numbers: shared by a household, so weak evidence when the
    // family names are the same, and never more, when they are only alike, than the name
    // written right would get with the household's.
    let mut linked =
        |field: &'static str, shared: Option<&String>, both_known: bool, l: &Linked| {
            if !both_known {
                return;
            }
            fields.push(match shared {
                Some(v) if l.common(v) => FieldScore {
                    field,
                    level: "shared_common".to_owned(),
                    weight: 0.0,
                    reason: String::new(),
                },
                Some(_) if family_agrees => FieldScore {
                    field,
                    level: "shared_household".to_owned(),
                    weight: l.household,
                    reason: l.shared_reason.to_owned(),
                },
                Some(_) => {
                    let weight = l.shared.min(l.household + gap);
                    gap = (gap - (weight - l.household)).max(0.0);
                    FieldScore {
                        field,
                        level: "shared".to_owned(),
                        weight,
                        reason: l.shared_reason.to_owned(),
                    }
                }
                None => FieldScore {
                    field,
                    level: "none_shared".to_owned(),
                    weight: l.none_shared,
                    reason: l.none_reason.to_owned(),
                },
            });
        };
    linked(
        "postcode",
        a.postcodes.iter().find(|p| b.postcodes.contains(p)),
        !a.postcodes.is_empty() && !b.postcodes.is_empty(),
        &Linked::postcode(),
    );
    let phone = Linked::phone(freq);
    // A person's own number in common counts before a shared line: the same whichever
    // record comes first.
    let own = a
        .phones
        .iter()
        .find(|p| b.phones.contains(p) && !phone.common(p));
    linked(
        "phone",
        own.or_else(|| a.phones.iter().find(|p| b.phones.contains(p))),
        !a.phones.is_empty() && !b.phones.is_empty(),
        &phone,
    );

    details(a, b, freq, &mut fields);

    // Every field is symmetric and the fields come in a fixed order, so the sum is the
    // same whichever record comes first.
    let weight = fields.iter().map(|f| f.weight).sum();
    MatchScore { weight, fields }
}

/// The weights of something a household shares: an address (its postcode) or a
/// telephone number.
struct Linked<'f> {
    /// In common, family names not the same.
    shared: f64,
    /// In common, family names the same (relatives share both).
    household: f64,
    /// Both known, none in common (people move and change numbers).
    none_shared: f64,
    /// The reason for one in common. It does not name the address or the number: the
    /// reason is kept with a pair for reviewers who may read both persons but not every
    /// record linked to them.
    shared_reason: &'static str,
    none_reason: &'static str,
    /// Counts of telephone numbers, to tell a shared line from a person's own.
    freq: Option<&'f Frequencies>,
}

/// m for a telephone number in common: the chance the same person's two records, both
/// with a number, share one (people change numbers, and a witness gives a work line).
const PHONE_M: f64 = 0.55;

impl Linked<'_> {
    fn postcode() -> Linked<'static> {
        Linked {
            shared: w(0.40, 0.005),
            household: w(0.40, 0.10),
            none_shared: w(0.60, 0.995),
            shared_reason: "an address in common",
            none_reason: "no address in common",
            freq: None,
        }
    }

    fn phone(freq: Option<&Frequencies>) -> Linked<'_> {
        Linked {
            shared: w(PHONE_M, 0.000_5),
            // A relative shares a number less often than an address (a household's
            // landline, a parent's mobile given for a child).
            household: w(PHONE_M, 0.05),
            none_shared: w(1.0 - PHONE_M, 0.9995),
            shared_reason: "a telephone number in common",
            none_reason: "no telephone number in common",
            freq,
        }
    }

    /// A number linked to people of more than [`PHONE_LINE_FAMILIES`] family names is a
    /// shared line (a hostel, a care home, an office, a number given for anyone), not
    /// evidence that two records are one person.
    fn common(&self, value: &str) -> bool {
        self.freq.is_some_and(|f| f.shared_line(value))
    }
}

/// The details a fuller record carries: place of birth, height, self-defined ethnicity and
/// nationality, each scored only when both records have it.
fn details(
    a: &PersonFeatures,
    b: &PersonFeatures,
    freq: Option<&Frequencies>,
    fields: &mut Vec<FieldScore>,
) {
    let field = |field, level: &str, weight, reason: String| FieldScore {
        field,
        level: level.to_owned(),
        weight,
        reason,
    };
    if let (Some(pa), Some(pb)) = (&a.place_of_birth, &b.place_of_birth) {
        fields.push(if pa == pb {
            let u = freq
                .and_then(|f| f.birthplace_u(pa))
                .unwrap_or(BIRTHPLACE_U);
            field(
                "place_of_birth",
                "agree",
                w(0.85, u),
                "same place of birth".to_owned(),
            )
        } else {
            field(
                "place_of_birth",
                "disagree",
                w(0.15, 0.95),
                "born elsewhere".to_owned(),
            )
        });
    }
    if let (Some(ha), Some(hb)) = (a.height_cm, b.height_cm) {
        let d = ha.abs_diff(hb);
        fields.push(match d {
            0..=2 => field(
                "height",
                "close",
                w(0.65, 0.20),
                "height within 2 cm".to_owned(),
            ),
            3..=5 => field("height", "near", w(0.22, 0.22), String::new()),
            6..=10 => field(
                "height",
                "differs",
                w(0.09, 0.29),
                format!("heights {d} cm apart"),
            ),
            _ => field(
                "height",
                "far",
                w(0.04, 0.29),
                format!("heights {d} cm apart"),
            ),
        });
    }
    if let (Some(ea), Some(eb)) = (&a.ethnicity, &b.ethnicity) {
        let group = |e: &str| e.chars().next();
        fields.push(if ea == eb {
            field(
                "ethnicity",
                "agree",
                w(0.85, 0.80),
                "same self-defined ethnicity".to_owned(),
            )
        } else if group(ea) == group(eb) || group(ea) == Some('M') || group(eb) == Some('M') {
            field("ethnicity", "related", w(0.10, 0.10), String::new())
        } else {
            field(
                "ethnicity",
                "disagree",
                w(0.05, 0.10),
                "different self-defined ethnicity".to_owned(),
            )
        });
    }
    if let (Some(na), Some(nb)) = (&a.nationality, &b.nationality) {
        fields.push(if na == nb {
            field(
                "nationality",
                "agree",
                w(0.92, 0.80),
                "same nationality".to_owned(),
            )
        } else {
            field(
                "nationality",
                "disagree",
                w(0.08, 0.20),
                "different nationality".to_owned(),
            )
        });
    }
}

/// Keys a duplicate scan groups records by: two records are compared only when they share
/// a key. True duplicates with typos, nicknames, swapped names, partial or transposed
/// dates of birth or a new address share at least one; unrelated people rarely do.
///
/// - `fy:` a family-name sound code and the birth year;
/// - `fi:` a family-name sound code and the first initial (and, for swapped names, a
///   given-name sound code and the family initial);
/// - `gs:` a given-name variant group (or the name itself) and the family-name Soundex;
/// - `gp:` a given-name variant group and the first two letters of the family name;
/// - `d:` the birth date with day and month in order of size, and an initial (given or
///   family), which catches a family name mistyped at its first letter;
/// - `id:` each identifier;
/// - `pc:` a postcode and the family-name Soundex;
/// - `tel:` each telephone number (a household's few, or a shared line's many, which a
///   scan skips as too big to compare).
pub fn blocking_keys(f: &PersonFeatures) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let year = match f.dob {
        DateOfBirth::Full(d) => Some(d.year()),
        DateOfBirth::MonthYear { year, .. } | DateOfBirth::Year(year) => Some(year),
        DateOfBirth::Unknown => None,
    };
    for n in f.names() {
        let family_initial = n.family_keys.first().and_then(|k| k.chars().next());
        for code in &n.family_codes {
            if let Some(y) = year {
                keys.push(format!("fy:{code}:{y}"));
            }
            if let Some(i) = n.first_initial() {
                keys.push(format!("fi:{code}:{i}"));
            }
        }
        if let (Some(fi), Some(first)) = (family_initial, n.first_given())
            && first.chars().count() > 1
        {
            for code in &n.given_codes {
                keys.push(format!("fi:{code}:{fi}"));
            }
            let groups = variant_groups(first);
            if let Some(prefix) = n
                .family_keys
                .first()
                .map(|k| k.chars().take(2).collect::<String>())
            {
                for g in &groups {
                    keys.push(format!("gp:{g}:{prefix}"));
                }
            }
            for k in &n.family_keys {
                let sx = crate::phonetic::soundex(k);
                if groups.is_empty() {
                    keys.push(format!("gs:{first}:{sx}"));
                }
                for g in &groups {
                    keys.push(format!("gs:{g}:{sx}"));
                }
            }
        }
        if let DateOfBirth::Full(d) = f.dob {
            let (lo, hi) = if d.day() < d.month() {
                (d.day(), d.month())
            } else {
                (d.month(), d.day())
            };
            for i in [n.first_initial(), family_initial].into_iter().flatten() {
                keys.push(format!("d:{:04}-{lo:02}-{hi:02}:{i}", d.year()));
            }
        }
        for p in &f.postcodes {
            keys.push(format!("pc:{p}:{}", n.family_soundex));
        }
    }
    for (t, v) in &f.identifiers {
        keys.push(format!("id:{}:{v}", t.as_str()));
    }
    for n in &f.phones {
        keys.push(format!("tel:{n}"));
    }
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use bluelamp_domain::pole::Person;
    use bluelamp_domain::pole::input::{IdentifierInput, OtherNameInput, PersonInput};
    use bluelamp_domain::values::{CroNumber, PncId};
    use jiff::civil::date;
    use proptest::prelude::*;

    fn person(family: &str, given: &str, dob: &str) -> PersonInput {
        PersonInput {
            family_name: family.into(),
            given_names: given.into(),
            date_of_birth: dob.into(),
            ..Default::default()
        }
    }

    fn features(input: PersonInput) -> PersonFeatures {
        features_at(input, &[])
    }

    fn features_at(input: PersonInput, postcodes: &[&str]) -> PersonFeatures {
        let p: Person = Person::parse(&input, date(2026, 1, 1)).unwrap().0;
        let pcs: Vec<String> = postcodes.iter().map(|s| (*s).to_owned()).collect();
        PersonFeatures::from_person(&p, &pcs)
    }

    fn with_id(mut p: PersonInput, t: &str, v: &str) -> PersonInput {
        p.identifiers.push(IdentifierInput {
            id_type: t.into(),
            value: v.into(),
        });
        p
    }

    fn pnc(year: u16, serial: u32) -> String {
        PncId::from_parts(year, serial).unwrap().as_str().to_owned()
    }

    fn cro(serial: u32, year: u16) -> String {
        CroNumber::from_parts(serial, year)
            .unwrap()
            .as_str()
            .to_owned()
    }

    fn male(mut p: PersonInput) -> PersonInput {
        p.gender = "male".into();
        p
    }

    /// What the pair is, the two records, and the postcodes of each.
    type Case = (
        &'static str,
        PersonInput,
        PersonInput,
        &'static [&'static str],
        &'static [&'static str],
    );

    fn level(s: &MatchScore, field: &str) -> String {
        s.field(field).map(|f| f.level.clone()).unwrap_or_default()
    }

    #[test]
    fn weights_in_the_table_are_what_the_code_uses() {
        assert!((FamilyLevel::Exact.weight() - 7.46).abs() < 0.01);
        assert!((FamilyLevel::Disagree.weight() + 6.62).abs() < 0.01);
        assert!((GivenLevel::Exact.weight() - 6.32).abs() < 0.01);
        assert!((GivenLevel::Disagree.weight() + 5.60).abs() < 0.01);
        assert!((w(0.85, 0.000_05) - 14.05).abs() < 0.01);
        assert!((w(0.85, 0.03) - 4.82).abs() < 0.01);
        assert!((identifier_weights(IdentifierType::Pnc).0 - 19.90).abs() < 0.01);
        assert!((identifier_weights(IdentifierType::Pnc).1 + 8.96).abs() < 0.01);
    }

    /// A person with the details a fuller record carries.
    fn detailed(
        p: PersonInput,
        birthplace: &str,
        height: Option<u16>,
        ethnicity: &str,
        nationality: &str,
    ) -> PersonInput {
        let mut p = p;
        p.place_of_birth = birthplace.into();
        p.description.height_cm = height;
        p.ethnicity = ethnicity.into();
        p.nationality = nationality.into();
        p
    }

    fn weight_of(s: &MatchScore, field: &str) -> f64 {
        s.field(field).map(|f| f.weight).unwrap_or(f64::NAN)
    }

    #[test]
    fn details_weigh_as_the_table_says() {
        let base = || male(person("Wood", "Peter", ""));
        let a = features(detailed(base(), "Leeds", Some(180), "W1", "GBR"));
        let same = score(
            &a,
            &features(detailed(base(), " leeds ", Some(178), "W1", "GBR")),
        );
        assert_eq!(level(&same, "place_of_birth"), "agree");
        assert!((weight_of(&same, "place_of_birth") - 4.09).abs() < 0.01);
        assert_eq!(level(&same, "height"), "close");
        assert!((weight_of(&same, "height") - 1.70).abs() < 0.01);
        assert!((weight_of(&same, "ethnicity") - 0.09).abs() < 0.01);
        assert!((weight_of(&same, "nationality") - 0.20).abs() < 0.01);
        assert!(same.explain().contains("same place of birth"));

        let other = score(
            &a,
            &features(detailed(base(), "Bradford", Some(191), "B2", "NGA")),
        );
        assert_eq!(level(&other, "place_of_birth"), "disagree");
        assert!((weight_of(&other, "place_of_birth") + 2.66).abs() < 0.01);
        assert_eq!(level(&other, "height"), "far");
        assert!((weight_of(&other, "height") + 2.86).abs() < 0.01);
        assert!(other.explain().contains("heights 11 cm apart"));
        assert_eq!(level(&other, "ethnicity"), "disagree");
        assert!((weight_of(&other, "ethnicity") + 1.00).abs() < 0.01);
        assert!((weight_of(&other, "nationality") + 1.32).abs() < 0.01);

        let near = score(&a, &features(detailed(base(), "", Some(185), "W9", "")));
        assert!(near.field("place_of_birth").is_none());
        assert!(near.field("nationality").is_none());
        assert_eq!(level(&near, "height"), "near");
        assert_eq!(weight_of(&near, "height"), 0.0);
        assert_eq!(level(&near, "ethnicity"), "related");
        let mixed = score(&a, &features(detailed(base(), "", Some(172), "M1", "")));
        assert_eq!(level(&mixed, "ethnicity"), "related");
        assert_eq!(level(&mixed, "height"), "differs");
        assert!((weight_of(&mixed, "height") + 1.69).abs() < 0.01);

        // "Not stated" is not an ethnicity to agree or disagree on.
        let not_stated = score(&a, &features(detailed(base(), "", None, "NS", "")));
        assert!(not_stated.field("ethnicity").is_none());
        assert!(not_stated.field("height").is_none());
    }

    #[test]
    fn a_common_place_of_birth_weighs_less_than_a_rare_one() {
        let at = |place: &str| {
            features(detailed(
                male(person("Wood", "Peter", "")),
                place,
                None,
                "",
                "",
            ))
        };
        let (london, kendal) = (at("London"), at("Kendal"));
        let mut population: Vec<PersonFeatures> = vec![london.clone(); 8_900];
        population.extend(vec![kendal.clone(); 1_000]);
        population.extend(vec![at("Appleby"); 100]);
        let freq = Frequencies::of(&population);
        let london = score_with(&london, &london, Some(&freq));
        let kendal = score_with(&kendal, &kendal, Some(&freq));
        let appleby = score_with(&at("Appleby"), &at("Appleby"), Some(&freq));
        // u is the place's share (of the others, a little shrunk towards the model's
        // 0.05): 0.89 is held to the bound 0.25, 0.1 is used nearly as it is, and 0.01 is
        // raised to the floor 0.02.
        assert!((weight_of(&london, "place_of_birth") - w(0.85, 0.25)).abs() < 1e-9);
        let kendal_u = (998.0 + 50.0) / (9_998.0 + 1_000.0);
        assert!((weight_of(&kendal, "place_of_birth") - w(0.85, kendal_u)).abs() < 1e-9);
        assert!((kendal_u - 0.10).abs() < 0.005);
        assert!((weight_of(&appleby, "place_of_birth") - w(0.85, 0.02)).abs() < 1e-9);
        // Without counts, the fixed u.
        let plain = score(&at("Kendal"), &at("Kendal"));
        assert!((weight_of(&plain, "place_of_birth") - w(0.85, BIRTHPLACE_U)).abs() < 1e-9);
    }

    #[test]
    fn a_copy_without_a_date_of_birth_is_found_by_its_details_and_a_stranger_is_not() {
        // The same name and gender alone stay below the threshold...
        let bare = score(
            &features(male(person("Wood", "Peter", "1980-04-02"))),
            &features(male(person("Wood", "Peter", ""))),
        );
        assert!(!bare.is_likely_match(), "{}", bare.weight);
        // ...the same place of birth and height lift the copy over it...
        let original = features(detailed(
            male(person("Wood", "Peter", "1980-04-02")),
            "Kendal",
            Some(181),
            "W1",
            "GBR",
        ));
        let copy = score(
            &original,
            &features(detailed(
                male(person("Wood", "Peter", "")),
                "Kendal",
                Some(180),
                "W1",
                "",
            )),
        );
        assert!(copy.is_likely_match(), "{}", copy.weight);
        // ...and a namesake born elsewhere, a head taller, stays well below.
        let namesake = score(
            &original,
            &features(detailed(
                male(person("Wood", "Peter", "")),
                "Luton",
                Some(195),
                "W1",
                "",
            )),
        );
        assert!(namesake.weight < bare.weight - 4.0, "{}", namesake.weight);
    }

    #[test]
    fn different_middle_names_count_against_and_say_so() {
        let a = features(person("Clark", "Isla Lucy", "2001"));
        let b = features(person("Clark", "Isla Olivia", "2001"));
        let c = features(person("Clark", "Isla", "2001"));
        let d = features(person("Clark", "Isla L", "2001"));
        let s = score(&a, &b);
        assert_eq!(level(&s, "middle_name"), "disagree");
        assert!(s.explain().contains("middle name differs (Olivia)"));
        assert!((score(&a, &c).weight - s.weight - 3.17).abs() < 0.01);
        assert_eq!(level(&score(&a, &d), "middle_name"), "");
    }

    #[test]
    fn a_rare_name_agreeing_weighs_more_than_a_common_one() {
        let mut records: Vec<PersonFeatures> = (0..2_500)
            .map(|i| {
                features(person(
                    "Smith",
                    if i % 2 == 0 { "Olivia" } else { "Jack" },
                    "",
                ))
            })
            .collect();
        records.push(features(person("Wiśniewski", "Zbigniew", "")));
        let freq = Frequencies::of(&records);
        let common = score_with(&records[0], &records[2], Some(&freq));
        let rare = score_with(&records[2_500], &records[2_500], Some(&freq));
        let plain = score(&records[0], &records[2]);
        // Smith is half the set (share capped at 5 %), Olivia a quarter: both weigh less.
        assert!(common.weight < plain.weight, "{common:?}");
        // A whole name no other record has weighs as the model says without counts (its
        // share is held to the floor, the model's own u).
        let family = rare.field("family_name").unwrap().weight;
        let given = rare.field("given_name").unwrap().weight;
        let unique = FamilyLevel::Exact.weight() + GivenLevel::Exact.weight();
        assert!((family + given - unique).abs() < 1e-9, "{family} {given}");
        // One part agreeing weighs by that part's share among the others, shrunk towards
        // the model's u (0.01) by a thousand records' worth: Zbigniew is on no other
        // record of 2,500.
        records.push(features(person("Smith", "Zbigniew", "")));
        let freq = Frequencies::of(&records);
        let one = score_with(&records[2_500], &records[2_501], Some(&freq));
        let given = one.field("given_name").unwrap().weight;
        let u = (0.0 + 1_000.0 * 0.01) / (2_500.0 + 1_000.0);
        assert!((given - w(0.80, u)).abs() < 1e-9, "{given}");
        // Symmetric still.
        let ab = score_with(&records[0], &records[2_500], Some(&freq)).weight;
        let ba = score_with(&records[2_500], &records[0], Some(&freq)).weight;
        assert!((ab - ba).abs() < 1e-9);
    }

    #[test]
    fn on_a_small_store_names_weigh_as_the_model_says() {
        // Two John Smiths among five persons: counting them made the name two fifths of
        // everyone and the pair 7 bits weaker than the same pair without counts.
        let john = || features(male(person("Smith", "John", "1985")));
        let mut records = vec![john(), john()];
        for (f, g) in [("Patel", "Anjali"), ("Okafor", "Chidi"), ("Nowak", "Ewa")] {
            records.push(features(person(f, g, "")));
        }
        let freq = Frequencies::of(&records);
        let counted = score_with(&records[0], &records[1], Some(&freq));
        let plain = score(&records[0], &records[1]);
        assert!((counted.weight - plain.weight).abs() < 1e-9, "{counted:?}");
        // A thousand more John Smiths among ten thousand, and the counts take over.
        records.extend((0..1_000).map(|_| john()));
        records.extend((0..9_000).map(|_| features(person("Other", "Name", ""))));
        let freq = Frequencies::of(&records);
        let common = score_with(&records[0], &records[1], Some(&freq));
        assert!(common.weight < plain.weight - 5.0, "{common:?}");
    }

    #[test]
    fn identical_records_score_far_above_the_threshold() {
        let a = features(person("Smith", "John", "1985-03-02"));
        let s = score(&a, &a);
        assert!(s.weight > DEFAULT_THRESHOLD + 5.0, "{}", s.weight);
        assert_eq!(level(&s, "family_name"), "exact");
        assert_eq!(level(&s, "given_name"), "exact");
        assert_eq!(level(&s, "date_of_birth"), "exact");
    }

    #[test]
    fn sound_alike_surname_and_year_explain_themselves() {
        let a = features(person("Smyth", "Jon", "1985"));
        let b = features(person("Schmidt", "John", "1985-03-02"));
        let s = score(&a, &b);
        assert_eq!(level(&s, "family_name"), "sounds_alike");
        assert_eq!(level(&s, "date_of_birth"), "compatible");
        let e = s.explain();
        assert!(e.contains("surname sounds like Schmidt"), "{e}");
        assert!(e.contains("year of birth matches"), "{e}");
    }

    #[test]
    fn initials_match_full_given_names() {
        let a = features(person("Smith", "J", "1985-03-02"));
        let b = features(person("Smith", "John", "1985-03-02"));
        let s = score(&a, &b);
        assert_eq!(level(&s, "given_name"), "initial");
        assert!(s.is_likely_match());
        let c = features(person("Smith", "P", "1985-03-02"));
        assert_eq!(level(&score(&c, &b), "given_name"), "disagree");
    }

    #[test]
    fn middle_name_used_as_first_name_agrees() {
        let a = features(person("Smith", "John William", "1985-03-02"));
        let b = features(person("Smith", "William", "1985-03-02"));
        assert_eq!(level(&score(&a, &b), "given_name"), "other_given_name");
    }

    #[test]
    fn nickname_variants_agree() {
        let a = features(person("Smith", "Bill", "1985-03-02"));
        let b = features(person("Smith", "William", "1985-03-02"));
        let s = score(&a, &b);
        assert_eq!(level(&s, "given_name"), "variant");
        assert!(
            s.explain().contains("Bill is a form of William"),
            "{}",
            s.explain()
        );
    }

    #[test]
    fn swapped_given_and_family_names_are_recognised() {
        let a = features(person("Smith", "John", "1985-03-02"));
        let b = features(person("John", "Smith", "1985-03-02"));
        let s = score(&a, &b);
        assert_eq!(level(&s, "name_order"), "swapped");
        assert!(s.is_likely_match(), "{}", s.weight);
        assert!(s.explain().contains("swapped"));
    }

    #[test]
    fn swapped_names_at_the_same_address_equal_the_same_name_there() {
        let at = |f: &str, g: &str| features_at(male(person(f, g, "")), &["LS6 2AB"]);
        let household = score(&at("Smith", "John"), &at("Smith", "John"));
        let swapped = score(&at("Smith", "John"), &at("John", "Smith"));
        assert_eq!(level(&swapped, "name_order"), "swapped");
        // Not a household's shared address (a relative shares the family name), yet
        // never more than the same name written in order at that address.
        assert_eq!(level(&swapped, "postcode"), "shared");
        assert!((swapped.weight - household.weight).abs() < 1e-9);
        let typo = score(&at("Smith", "John"), &at("Jon", "Smith"));
        assert_eq!(level(&typo, "name_order"), "swapped");
        assert!(typo.weight <= household.weight + 1e-9);

        // With counts, a common name written in order weighs less, and so does the most a
        // swapped pair may reach: Ali Mohammed and Mohammed Ali at one address, both
        // common names, are no more alike than two Mohammed Alis there.
        let mut population: Vec<PersonFeatures> = (0..50).map(|_| at("Ali", "Mohammed")).collect();
        population.extend((0..50).map(|_| at("Mohammed", "Ali")));
        population.extend((0..900).map(|_| at("Other", "Given")));
        let freq = Frequencies::of(&population);
        let same = score_with(&at("Ali", "Mohammed"), &at("Ali", "Mohammed"), Some(&freq));
        let swapped = score_with(&at("Ali", "Mohammed"), &at("Mohammed", "Ali"), Some(&freq));
        assert_eq!(level(&swapped, "name_order"), "swapped");
        assert!(
            swapped.weight <= same.weight + 1e-9,
            "{} > {}",
            swapped.weight,
            same.weight
        );
        assert!(!swapped.is_likely_match(), "{}", swapped.weight);
    }

    #[test]
    fn a_telephone_number_in_common_is_evidence_unless_a_household_or_a_shared_line() {
        let rec = |f: &str, g: &str, dob: &str, phones: &[&str]| {
            features(male(person(f, g, dob))).with_phones(phones)
        };
        // A brief record of the same name, no date of birth: the name alone stays below
        // the threshold; the number the person gave both times takes it over.
        let a = rec("Kowalczyk", "Marek", "1979-05-02", &[OWN_LINE]);
        let brief = rec("Kowalczyk", "Marek", "", &[OWN_LINE]);
        let unsure = rec("Kowalczyk", "Marek", "", &[]);
        assert!(!score(&a, &unsure).is_likely_match());
        let s = score(&a, &brief);
        assert_eq!(level(&s, "phone"), "shared_household");
        assert!(s.is_likely_match(), "{}", s.weight);
        assert!(
            s.explain().contains("a telephone number in common"),
            "{}",
            s.explain()
        );
        assert!(!s.explain().contains("07700"), "no number in a reason");
        // Both known and none in common: weak evidence against (numbers change).
        let other = rec("Kowalczyk", "Marek", "", &["+447700900999"]);
        assert_eq!(level(&score(&a, &other), "phone"), "none_shared");
        assert!(score(&a, &other).weight < score(&a, &unsure).weight);
        // Family names not the same: a number in common is strong evidence (a maiden
        // name, a typing slip beyond the typo level).
        let married = rec("Nowak", "Marek", "1979-05-02", &[OWN_LINE]);
        let s = score(&a, &married);
        assert_eq!(level(&s, "phone"), "shared");
        assert!((s.field("phone").unwrap().weight - w(PHONE_M, 0.0005)).abs() < 1e-9);
        // Brothers share the family landline: a household's evidence, not a match.
        let brother = rec("Kowalczyk", "Piotr", "1982-11-30", &[OWN_LINE]);
        let s = score(&a, &brother);
        assert_eq!(level(&s, "phone"), "shared_household");
        assert!(!s.is_likely_match(), "{}", s.weight);
        // A number linked to four family names is a shared line: it weighs nothing.
        let hostel = rec("Kowalczyk", "Marek", "", &[SHARED_LINE]);
        let a_there = rec("Kowalczyk", "Marek", "1979-05-02", &[SHARED_LINE]);
        let freq = with_a_shared_line(&[a_there.clone(), hostel.clone()]);
        let s = score_with(&a_there, &hostel, Some(&freq));
        assert_eq!(level(&s, "phone"), "shared_common");
        assert_eq!(s.field("phone").unwrap().weight, 0.0);
        assert!(!s.is_likely_match(), "{}", s.weight);
        // Three family names are still a household's, or a person's with a maiden name.
        let freq = Frequencies::of(&[
            a_there.clone(),
            rec("Nowak", "Ewa", "", &[SHARED_LINE]),
            rec("Lis", "Ola", "", &[SHARED_LINE]),
        ]);
        assert_eq!(
            level(&score_with(&a_there, &hostel, Some(&freq)), "phone"),
            "shared_household"
        );
    }

    #[test]
    fn a_slip_of_the_pen_sharing_address_and_number_never_outscores_the_name_written_right() {
        let at = |f: &str, g: &str| {
            features_at(male(person(f, g, "")), &["LS6 2AB"]).with_phones(&[OWN_LINE])
        };
        let household = score(&at("Smith", "John"), &at("Smith", "John"));
        for other in [at("Smiht", "John"), at("John", "Smith"), at("Jon", "Smith")] {
            let s = score(&at("Smith", "John"), &other);
            assert_eq!(level(&s, "postcode"), "shared");
            assert_eq!(level(&s, "phone"), "shared");
            assert!(
                s.weight <= household.weight + 1e-9,
                "{} > {}",
                s.weight,
                household.weight
            );
        }
        // Without the address, the number alone is held to the same bound.
        let no_home = |f: &str, g: &str| features(male(person(f, g, ""))).with_phones(&[OWN_LINE]);
        let right = score(&no_home("Smith", "John"), &no_home("Smith", "John"));
        let slip = score(&no_home("Smith", "John"), &no_home("Smiht", "John"));
        assert!(slip.weight <= right.weight + 1e-9);
        assert!(
            slip.weight > right.weight - 1.0,
            "the cap binds, not the slip"
        );
    }

    #[test]
    fn aliases_are_compared() {
        let mut a = person("Smith", "Jane", "1985-03-02");
        a.other_names.push(OtherNameInput {
            family_name: "Brown".into(),
            name_type: "maiden".into(),
            ..Default::default()
        });
        let a = features(a);
        let b = features(person("Brown", "Jane", "1985-03-02"));
        let s = score(&a, &b);
        assert_eq!(level(&s, "family_name"), "exact");
        assert!(s.is_likely_match());
        assert!(s.explain().contains("maiden"), "{}", s.explain());
    }

    #[test]
    fn double_barrelled_surname_part_agrees() {
        let a = features(person("Smith-Jones", "Sarah", "1990-01-01"));
        let b = features(person("Jones", "Sarah", "1990-01-01"));
        assert_eq!(level(&score(&a, &b), "family_name"), "part");
    }

    #[test]
    fn identifier_agreement_is_strong_and_conflict_is_strongly_negative() {
        let a = features(with_id(
            person("Smith", "John", ""),
            "PNC",
            &pnc(2002, 73319),
        ));
        let b = features(with_id(
            person("Smyth", "Jon", ""),
            "PNC",
            &pnc(2002, 73319),
        ));
        let s = score(&a, &b);
        assert_eq!(level(&s, "pnc"), "agree");
        assert!(s.is_likely_match(), "{}", s.weight);
        assert!(s.explain().starts_with("PNC ID matches"), "{}", s.explain());

        let same = person("Smith", "John", "1985-03-02");
        let c = features(with_id(same.clone(), "PNC", &pnc(2002, 73319)));
        let d = features(with_id(same.clone(), "PNC", &pnc(2010, 12345)));
        let plain = features(same);
        let conflict = score(&c, &d);
        assert_eq!(level(&conflict, "pnc"), "conflict");
        assert!(conflict.weight < score(&c, &plain).weight - 8.0);
        assert!(
            conflict.explain().ends_with("different PNC IDs"),
            "{}",
            conflict.explain()
        );
    }

    #[test]
    fn ni_numbers_match_with_or_without_suffix() {
        let a = features(with_id(person("Smith", "John", ""), "NI", "QQ123456C"));
        let b = features(with_id(person("Smith", "John", ""), "NI", "QQ 12 34 56"));
        assert_eq!(level(&score(&a, &b), "ni"), "agree");
        let c = features(with_id(person("Smith", "John", ""), "NI", "QQ654321C"));
        let s = score(&a, &c);
        assert_eq!(level(&s, "ni"), "conflict");
        assert!(s.field("ni").unwrap().weight < -6.0);
    }

    #[test]
    fn shared_postcode_counts_less_within_a_family() {
        let a = features_at(person("Smith", "John", ""), &["LS1 4AP"]);
        let b = features_at(person("Smith", "Jack", ""), &["ls14ap"]);
        assert_eq!(level(&score(&a, &b), "postcode"), "shared_household");
        let c = features_at(person("Brown", "John", ""), &["LS1 4AP"]);
        assert_eq!(level(&score(&a, &c), "postcode"), "shared");
        let d = features_at(person("Smith", "John", ""), &["M1 1AE"]);
        assert_eq!(level(&score(&a, &d), "postcode"), "none_shared");
    }

    #[test]
    fn explain_lists_agreements_before_disagreements() {
        let a = features(person("Smith", "John", "1960-05-01"));
        let b = features(person("Smith", "John", "1988-09-12"));
        let e = score(&a, &b).explain();
        assert!(e.starts_with("surname matches Smith"), "{e}");
        assert!(e.ends_with("dates of birth differ"), "{e}");
    }

    // ----------------------------------------------------------------------------------
    // Blocking
    // ----------------------------------------------------------------------------------

    fn share_a_key(a: &PersonFeatures, b: &PersonFeatures) -> bool {
        let kb = blocking_keys(b);
        blocking_keys(a).iter().any(|k| kb.contains(k))
    }

    #[test]
    fn true_duplicates_share_a_blocking_key() {
        let pairs = [
            (
                person("Smith", "John", "1985-03-02"),
                person("Smyth", "Jon", "1985-03-02"),
            ),
            (
                person("Smith", "Bill", "1985-03-02"),
                person("Smith", "William", "1986"),
            ),
            (
                person("Smith", "John", "1985-03-02"),
                person("John", "Smith", ""),
            ),
            (
                person("Smith", "John", "1985-03-02"),
                person("Amith", "John", "1985-02-03"),
            ),
            (
                person("Thompson", "Peggy", ""),
                person("Thomson", "Margaret", ""),
            ),
            (
                person("Nowak", "Łukasz", "1990"),
                person("Nowak", "Lukasz", "1990-05-06"),
            ),
            (
                person("Smith-Jones", "Sarah", ""),
                person("Jones", "Sarah", "1990-01-01"),
            ),
            (
                person("Smith", "J", "1985-03-02"),
                person("Smith", "John", ""),
            ),
        ];
        for (a, b) in pairs {
            let (fa, fb) = (features(a.clone()), features(b.clone()));
            assert!(share_a_key(&fa, &fb), "{a:?} / {b:?}");
        }
    }

    #[test]
    fn identifiers_are_blocking_keys() {
        let a = features(with_id(
            person("Smith", "John", ""),
            "PNC",
            &pnc(2002, 73319),
        ));
        let b = features(with_id(
            person("Patel", "Ravi", ""),
            "PNC",
            &pnc(2002, 73319),
        ));
        assert!(share_a_key(&a, &b));
    }

    #[test]
    fn unrelated_people_do_not_share_blocking_keys() {
        let people = [
            person("Smith", "John", "1985-03-02"),
            person("Jones", "Mary", "1972-11-30"),
            person("Patel", "Ravi", "1990-06-15"),
            person("Kowalski", "Anna", "2001-01-20"),
            person("O'Brien", "Siobhan", "1966-08-08"),
            person("Taylor", "David", "1985-07-19"),
        ];
        let f: Vec<PersonFeatures> = people.iter().cloned().map(features).collect();
        for i in 0..f.len() {
            for j in i + 1..f.len() {
                assert!(
                    !share_a_key(&f[i], &f[j]),
                    "{:?} / {:?}",
                    people[i],
                    people[j]
                );
            }
        }
    }

    // ----------------------------------------------------------------------------------
    // Realistic UK pairs
    // ----------------------------------------------------------------------------------

    #[test]
    fn realistic_true_duplicates_score_above_the_threshold() {
        let mut oneill = male(person("O'Neill", "Seán Patrick", "1979-12-24"));
        oneill.identifiers.push(IdentifierInput {
            id_type: "CRO".into(),
            value: cro(123456, 79),
        });
        let pairs: Vec<Case> = vec![
            (
                "nickname",
                male(person("Smith", "Bill", "1985-03-02")),
                male(person("Smith", "William", "1985-03-02")),
                &[],
                &[],
            ),
            (
                "nickname, apostrophe",
                person("O'Neill", "Peggy", "1950-07-14"),
                person("ONeill", "Margaret", "1950-07-14"),
                &[],
                &[],
            ),
            (
                "accent, year-only date of birth",
                male(person("Nowak", "Łukasz", "1990")),
                male(person("Nowak", "Lukasz", "1990-05-06")),
                &[],
                &[],
            ),
            (
                "typo surname, variant given",
                person("Thompson", "Catherine", "1982-04-11"),
                person("Thomson", "Kathryn", "1982-04-11"),
                &[],
                &[],
            ),
            (
                "day and month transposed, transliteration",
                male(person("Khan", "Mohammed", "1990-03-04")),
                male(person("Khan", "Muhammad", "1990-04-03")),
                &[],
                &[],
            ),
            (
                "swapped names",
                male(person("Smith", "John", "1985-03-02")),
                male(person("John", "Smith", "1985-03-02")),
                &[],
                &[],
            ),
            (
                "initial only",
                person("Davies", "R", "1977-09-30"),
                person("Davies", "Rhiannon", "1977-09-30"),
                &[],
                &[],
            ),
            (
                "double-barrelled surname dropped, moved house",
                person("Smith-Jones", "Sarah", "1991-01-15"),
                person("Jones", "Sarah", "1991-01-15"),
                &["B1 1AA"],
                &["CF10 1AA"],
            ),
            (
                "Welsh form, month and year only",
                male(person("Evans", "Dafydd", "1968-02")),
                male(person("Evans", "David", "1968-02-17")),
                &[],
                &[],
            ),
            (
                "Irish form and CRO number, no date of birth on one",
                oneill.clone(),
                {
                    let mut p = male(person("O Neill", "John", ""));
                    p.identifiers = oneill.identifiers.clone();
                    p
                },
                &[],
                &[],
            ),
            (
                "transliterated Ukrainian name",
                male(person("Шевченко", "Олександр", "1988-10-01")),
                male(person("Shevchenko", "Alexander", "1988-10-01")),
                &[],
                &[],
            ),
            (
                "day typo in the date of birth, same address",
                person("Wilson", "Emma Louise", "1995-06-12"),
                person("Wilson", "Emma", "1995-06-21"),
                &["LS6 2AB"],
                &["LS6 2AB"],
            ),
            (
                "maiden name recorded as an alias",
                {
                    let mut p = person("Campbell", "Fiona", "1970-05-05");
                    p.other_names.push(OtherNameInput {
                        family_name: "MacDonald".into(),
                        name_type: "maiden".into(),
                        ..Default::default()
                    });
                    p
                },
                person("McDonald", "Fiona", "1970-05-05"),
                &[],
                &[],
            ),
        ];
        for (what, a, b, pa, pb) in pairs {
            let fa = features_at(a, pa);
            let fb = features_at(b, pb);
            let s = score(&fa, &fb);
            assert!(
                s.weight >= DEFAULT_THRESHOLD,
                "{what}: {:.2} ({})",
                s.weight,
                s.explain()
            );
            assert!(share_a_key(&fa, &fb), "{what}: no shared blocking key");
        }
    }

    #[test]
    fn realistic_near_misses_score_below_the_threshold() {
        let pairs: Vec<Case> = vec![
            (
                "father and son, same name, same address",
                male(person("Smith", "John", "1960-05-01")),
                male(person("Smith", "John", "1988-09-12")),
                &["M14 5RT"],
                &["M14 5RT"],
            ),
            (
                "father and son, Junior recorded as a middle name",
                male(person("Jones", "David", "1958-02-11")),
                male(person("Jones", "David Junior", "1984-07-03")),
                &["CF24 4HQ"],
                &["CF24 4HQ"],
            ),
            (
                "twin brothers, same date of birth, same address",
                male(person("Patel", "Jack", "2001-08-15")),
                male(person("Patel", "Harry", "2001-08-15")),
                &["LE4 6AB"],
                &["LE4 6AB"],
            ),
            (
                "twin sisters",
                person("Brown", "Emily", "1999-03-03"),
                person("Brown", "Sophie", "1999-03-03"),
                &["G12 8QQ"],
                &["G12 8QQ"],
            ),
            (
                "brother and sister born a year apart",
                male(person("Taylor", "Daniel", "1993-04-01")),
                {
                    let mut p = person("Taylor", "Danielle", "1994-06-20");
                    p.gender = "female".into();
                    p
                },
                &["NE1 4ST"],
                &["NE1 4ST"],
            ),
            (
                "same common name and year, different people",
                male(person("Smith", "John", "1985-03-02")),
                male(person("Smith", "John", "1985-11-19")),
                &[],
                &[],
            ),
            (
                "same date of birth and given name, different surname",
                male(person("Smith", "John", "1985-03-02")),
                male(person("Khan", "John", "1985-03-02")),
                &[],
                &[],
            ),
            (
                "same name, different PNC IDs",
                with_id(
                    male(person("Smith", "John", "1985-03-02")),
                    "PNC",
                    &pnc(2002, 73319),
                ),
                with_id(
                    male(person("Smith", "John", "1985-03")),
                    "PNC",
                    &pnc(2010, 12345),
                ),
                &[],
                &[],
            ),
        ];
        for (what, a, b, pa, pb) in pairs {
            let fa = features_at(a, pa);
            let fb = features_at(b, pb);
            let s = score(&fa, &fb);
            assert!(
                s.weight < DEFAULT_THRESHOLD,
                "{what}: {:.2} ({})",
                s.weight,
                s.explain()
            );
        }
    }

    #[test]
    fn twins_explanation_says_a_twin_would_match() {
        let a = features(person("Patel", "Jack", "2001-08-15"));
        let b = features(person("Patel", "Harry", "2001-08-15"));
        let e = score(&a, &b).explain();
        assert!(e.contains("twin"), "{e}");
    }

    // ----------------------------------------------------------------------------------
    // Symmetry
    // ----------------------------------------------------------------------------------

    fn any_person() -> impl Strategy<Value = PersonFeatures> {
        let family = prop::sample::select(vec![
            "Smith",
            "Smyth",
            "Schmidt",
            "Smith-Jones",
            "Jones",
            "John",
            "O'Neill",
            "Brown",
            "Thompson",
            "Thomson",
            "Khan",
        ]);
        let given = prop::sample::select(vec![
            "",
            "John",
            "J",
            "Jon",
            "Smith",
            "Bill",
            "William",
            "Peggy",
            "Margaret",
            "John William",
            "Jack",
            "Harry",
            "Mohammed",
            "Muhammad",
        ]);
        let dob = prop::sample::select(vec![
            "",
            "1985",
            "1985-03",
            "1985-03-02",
            "1985-02-03",
            "1986-03-02",
            "1985-03-12",
            "1990-01-01",
        ]);
        let gender = prop::sample::select(vec!["", "male", "female"]);
        let alias = prop::option::of((
            prop::sample::select(vec!["Brown", "Smith", "Jones"]),
            prop::sample::select(vec!["", "Jack", "Margaret"]),
        ));
        let pnc_id = prop::option::of(prop::sample::select(vec![
            (2002u16, 73319u32),
            (2010, 12345),
        ]));
        let postcodes =
            prop::sample::select(vec![vec![], vec!["LS1 4AP"], vec!["M1 1AE", "LS1 4AP"]]);
        let phones = prop::sample::select(vec![
            vec![],
            vec![OWN_LINE],
            vec![SHARED_LINE, OWN_LINE],
            vec![SHARED_LINE],
        ]);
        let details = (
            prop::sample::select(vec!["", "Leeds", "London"]),
            prop::option::of(prop::sample::select(vec![160u16, 170, 172, 181])),
            prop::sample::select(vec!["", "NS", "W1", "W9", "M1", "A2"]),
            prop::sample::select(vec!["", "GBR", "POL"]),
        );
        (
            family, given, dob, gender, alias, pnc_id, postcodes, phones, details,
        )
            .prop_map(
                |(f, g, d, sex, alias, pnc_id, pcs, phones, (pob, height, eth, nat))| {
                    let mut p = detailed(person(f, g, d), pob, height, eth, nat);
                    p.gender = sex.into();
                    if let Some((af, ag)) = alias {
                        p.other_names.push(OtherNameInput {
                            family_name: af.into(),
                            given_names: ag.into(),
                            name_type: "alias".into(),
                        });
                    }
                    if let Some((y, n)) = pnc_id {
                        p = with_id(p, "PNC", &pnc(y, n));
                    }
                    features_at(p, &pcs).with_phones(&phones)
                },
            )
    }

    const OWN_LINE: &str = "+447700900001";
    const SHARED_LINE: &str = "+441134960000";

    /// Counts in which [`SHARED_LINE`] is a shared line (records of four family names).
    fn with_a_shared_line(records: &[PersonFeatures]) -> Frequencies {
        let mut all = records.to_vec();
        for f in ["Adams", "Baker", "Clarke", "Davies"] {
            all.push(features(person(f, "Pat", "")).with_phones(&[SHARED_LINE]));
        }
        Frequencies::of(&all)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn score_is_symmetric(fa in any_person(), fb in any_person()) {
            let ab = score(&fa, &fb);
            let ba = score(&fb, &fa);
            prop_assert_eq!(ab.weight, ba.weight);
            let mut fields_ab: Vec<&str> = ab.fields.iter().map(|f| f.field).collect();
            let mut fields_ba: Vec<&str> = ba.fields.iter().map(|f| f.field).collect();
            fields_ab.sort_unstable();
            fields_ba.sort_unstable();
            prop_assert_eq!(fields_ab, fields_ba);
            let freq = with_a_shared_line(&[fa.clone(), fb.clone()]);
            prop_assert_eq!(
                score_with(&fa, &fb, Some(&freq)).weight,
                score_with(&fb, &fa, Some(&freq)).weight
            );
        }

        #[test]
        fn a_record_scores_highest_against_itself(fa in any_person(), fb in any_person()) {
            prop_assert!(score(&fa, &fa).weight >= score(&fa, &fb).weight - 1e-9);
        }
    }
}
