//! Building one person: heritage (self-defined ethnicity and the name traditions that go
//! with it), names, date of birth, nationality, description, identifiers (PNC ID, CRO
//! number, National Insurance number), warning markers, other names, and deliberate
//! near-duplicates of earlier persons.

use bluelamp_domain::pole::input::{
    DescriptionInput, IdentifierInput, OtherNameInput, PersonInput,
};
use bluelamp_domain::values::{CroNumber, PncId};

use crate::calendar::{self, Ymd};
use crate::formats;
use crate::generator::Demo;
use crate::tables::names::{self, Origin};
use crate::tables::places::{BIRTHPLACES_ABROAD, TOWNS};
use crate::tables::surnames;

/// Self-defined ethnicity (18+1 codes), weighted roughly as the 2021 census for England and
/// Wales, with "not stated" as police records often have it. W4 (Roma, a 2021 census
/// category) is not one of the 18+1 codes the domain accepts, so Roma are counted in W9.
const ETHNICITY: &[(&str, u32)] = &[
    ("W1", 700),
    ("W2", 9),
    ("W3", 1),
    ("W9", 64),
    ("A1", 31),
    ("A2", 27),
    ("A3", 11),
    ("A4", 7),
    ("A9", 16),
    ("B1", 10),
    ("B2", 25),
    ("B9", 5),
    ("M1", 9),
    ("M2", 4),
    ("M3", 8),
    ("M9", 7),
    ("O2", 6),
    ("O9", 16),
    ("NS", 30),
];

/// Warning marker codes and how often each is used.
const MARKERS: &[(&str, u32)] = &[
    ("VI", 30),
    ("WE", 20),
    ("DR", 20),
    ("MH", 10),
    ("SH", 8),
    ("ES", 7),
    ("FI", 5),
];

const BUILDS: &[(&str, u32)] = &[("slim", 30), ("medium", 40), ("stocky", 15), ("large", 15)];

const MARKS: &[&str] = &[
    "Tattoo of a rose on left forearm",
    "Scar above right eye",
    "Tattoo of a name on neck",
    "Pierced left eyebrow",
    "Tattoo sleeve on right arm",
    "Birthmark on left cheek",
    "Scar on back of left hand",
    "Gold front tooth",
    "Tattoo of a swallow on right hand",
    "Walks with a limp",
];

/// A person's heritage: their self-defined ethnicity and the origins their family name
/// and given names are drawn from (different for some mixed-heritage persons).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Heritage {
    pub ethnicity: &'static str,
    pub family: Origin,
    pub given: Origin,
}

/// What a household decides about a new member before the details are filled in.
pub(crate) struct Draft {
    pub family: String,
    pub female: bool,
    pub gender: &'static str,
    pub age: u32,
    pub heritage: Heritage,
    /// The family name before marriage, recorded as a `maiden` other name.
    pub maiden: Option<String>,
}

/// What the rest of the generator needs to know about a person it has made.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts {
    pub pnc: bool,
    pub age: u32,
    pub birth: Ymd,
    pub female: bool,
    pub heritage: Heritage,
}

/// An earlier person kept (in a bounded random sample) as the model for a near-duplicate.
pub(crate) struct Profile {
    pub input: PersonInput,
    pub facts: Facts,
}

/// How many earlier persons are kept as models for near-duplicates.
pub(crate) const SAMPLE_SIZE: usize = 1024;

impl Demo {
    pub(crate) fn heritage(&mut self) -> Heritage {
        use Origin::*;
        let code = self.rng.weighted(ETHNICITY).copied().unwrap_or("W1");
        let r = self.rng.below(100) as u32;
        let (family, given) = match code {
            "W1" if r < 97 => (British, British),
            "W1" => (Irish, Irish),
            "W2" if r < 85 => (Irish, Irish),
            "W2" => (British, British),
            "W3" if r < 60 => (Irish, Irish),
            "W3" => (British, British),
            "W9" if r < 65 => (EastEuropean, EastEuropean),
            "W9" => (SouthernEuropean, SouthernEuropean),
            "A1" => (Indian, Indian),
            "A2" => (Pakistani, Pakistani),
            "A3" => (Bangladeshi, Bangladeshi),
            "A4" => (Chinese, Chinese),
            "A9" if r < 50 => (Indian, Indian),
            "A9" if r < 80 => (Chinese, Chinese),
            "A9" => (Pakistani, Pakistani),
            "B1" => (Caribbean, Caribbean),
            "B2" if r < 75 => (WestAfrican, WestAfrican),
            "B2" => (SomaliArab, SomaliArab),
            "B9" if r < 50 => (Caribbean, Caribbean),
            "B9" => (WestAfrican, WestAfrican),
            "M1" => (
                self.either(Caribbean, British),
                self.either(Caribbean, British),
            ),
            "M2" => (
                self.either(WestAfrican, British),
                self.either(WestAfrican, British),
            ),
            "M3" if r < 50 => (British, self.either(British, Indian)),
            "M3" => (
                self.either(Indian, Pakistani),
                self.either(British, Pakistani),
            ),
            "M9" => (British, self.any_origin()),
            "O2" => (SomaliArab, SomaliArab),
            "O9" if r < 40 => (SomaliArab, SomaliArab),
            "O9" if r < 80 => (SouthernEuropean, SouthernEuropean),
            "O9" => (Chinese, Chinese),
            _ if r < 70 => (British, British),
            _ => {
                let o = self.any_origin();
                (o, o)
            }
        };
        Heritage {
            ethnicity: code,
            family,
            given,
        }
    }

    fn either(&mut self, a: Origin, b: Origin) -> Origin {
        if self.rng.chance(0.5) { a } else { b }
    }

    fn any_origin(&mut self) -> Origin {
        self.rng
            .pick(&Origin::ALL)
            .copied()
            .unwrap_or(Origin::British)
    }

    /// A family name from `origin`, in its feminine form for a woman where the language has
    /// one (Polish -ski becomes -ska): from the origin's commonest names, or from its long
    /// tail ([`surnames`]) as often as real names are.
    pub(crate) fn family_name(&mut self, origin: Origin, female: bool) -> String {
        let tail = surnames::tail(origin);
        let from_tail = !tail.is_empty() && self.rng.chance(surnames::tail_share(origin));
        let name = if from_tail {
            self.rng.pick_gently(tail).map(String::as_str)
        } else {
            self.rng.pick_common(origin.pool().families).copied()
        }
        .unwrap_or("Smith");
        if female {
            feminine_family_name(name)
        } else {
            name.to_owned()
        }
    }

    /// One given name, or (a quarter of the time) a first and a middle name.
    pub(crate) fn given_names(&mut self, origin: Origin, female: bool) -> String {
        let pool = origin.pool();
        let list = if female { pool.female } else { pool.male };
        let first = self.rng.pick_common(list).copied().unwrap_or("Alex");
        if self.rng.chance(0.25) {
            let middle = self.rng.pick_common(list).copied().unwrap_or("Alex");
            if middle != first {
                let mut s = String::with_capacity(first.len() + middle.len() + 1);
                s.push_str(first);
                s.push(' ');
                s.push_str(middle);
                return s;
            }
        }
        first.to_owned()
    }

    /// A gender as recorded (`male`, `female`, `other`, `not_known`), and which name pool
    /// to use for it.
    pub(crate) fn gender(&mut self) -> (&'static str, bool) {
        match self.rng.below(1000) {
            0..490 => ("male", false),
            490..980 => ("female", true),
            980..985 => ("other", self.rng.chance(0.5)),
            _ => ("not_known", self.rng.chance(0.5)),
        }
    }

    /// A random date of birth for someone `age` years old on the as-of date.
    pub(crate) fn birth_date(&mut self, age: u32) -> Ymd {
        let as_of_days = calendar::days_from_civil(self.as_of);
        let age = i64::from(age);
        let days = as_of_days - age * 365 - age / 4 - self.rng.below(364) as i64 - 1;
        calendar::civil_from_days(days)
    }

    /// An adult's age, weighted towards the ages most often on police records.
    pub(crate) fn adult_age(&mut self) -> u32 {
        const BANDS: &[((u32, u32), u32)] = &[
            ((18, 24), 14),
            ((25, 34), 23),
            ((35, 44), 20),
            ((45, 54), 17),
            ((55, 64), 13),
            ((65, 74), 8),
            ((75, 90), 5),
        ];
        let (lo, hi) = self.rng.weighted(BANDS).copied().unwrap_or((25, 34));
        self.rng.range(u64::from(lo), u64::from(hi)) as u32
    }

    fn nationality(&mut self, origin: Origin, age: u32) -> &'static str {
        use Origin::*;
        if self.rng.chance(0.04) {
            return "";
        }
        if age < 18 && self.rng.chance(0.8) {
            return "GBR";
        }
        let table: &[(&str, u32)] = match origin {
            British => &[("GBR", 1)],
            Irish => &[("GBR", 60), ("IRL", 40)],
            Indian => &[("GBR", 65), ("IND", 35)],
            Pakistani => &[("GBR", 70), ("PAK", 30)],
            Bangladeshi => &[("GBR", 70), ("BGD", 30)],
            Chinese => &[("GBR", 45), ("CHN", 35), ("HKG", 20)],
            EastEuropean => &[("POL", 55), ("ROU", 25), ("LTU", 10), ("GBR", 10)],
            WestAfrican => &[("GBR", 55), ("NGA", 30), ("GHA", 10), ("SLE", 5)],
            Caribbean => &[("GBR", 90), ("JAM", 10)],
            SomaliArab => &[("GBR", 50), ("SOM", 25), ("IRQ", 15), ("SYR", 10)],
            SouthernEuropean => &[
                ("ITA", 25),
                ("PRT", 25),
                ("TUR", 20),
                ("ESP", 15),
                ("GBR", 15),
            ],
        };
        self.rng.weighted(table).copied().unwrap_or("GBR")
    }

    fn place_of_birth(&mut self, nationality: &str) -> String {
        if !self.rng.chance(0.65) {
            return String::new();
        }
        if nationality == "GBR" || nationality.is_empty() {
            return self
                .rng
                .weighted_by(TOWNS, |t| t.weight)
                .map(|t| t.name.to_owned())
                .unwrap_or_default();
        }
        BIRTHPLACES_ABROAD
            .iter()
            .find(|(code, _)| *code == nationality)
            .and_then(|(_, towns)| self.rng.pick(towns))
            .map(|s| (*s).to_owned())
            .unwrap_or_default()
    }

    fn description(&mut self, f: &Facts) -> DescriptionInput {
        if self.rng.chance(0.12) {
            return DescriptionInput::default();
        }
        let (mean, sd) = if f.female { (163.0, 6.5) } else { (176.0, 7.0) };
        // Approximately normal: the sum of four uniforms, scaled to unit variance.
        let z = (self.rng.unit() + self.rng.unit() + self.rng.unit() + self.rng.unit() - 2.0)
            * 3f64.sqrt();
        let shrink = if f.age < 16 {
            f64::from(16 - f.age) * 4.0
        } else {
            0.0
        };
        let height = (mean + sd * z - shrink).round().clamp(150.0, 200.0) as u16;
        let build = if f.age < 16 {
            if self.rng.chance(0.6) {
                "slim"
            } else {
                "medium"
            }
        } else {
            self.rng.weighted(BUILDS).copied().unwrap_or("medium")
        };
        let light = matches!(
            f.heritage.given,
            Origin::British | Origin::Irish | Origin::EastEuropean | Origin::SouthernEuropean
        ) && matches!(f.heritage.ethnicity.as_bytes().first(), Some(b'W' | b'N'));
        let hair: &[(&str, u32)] = if f.age >= 60 {
            &[
                ("grey", 50),
                ("white", 15),
                ("bald", if f.female { 0 } else { 20 }),
                ("brown", 15),
            ]
        } else if light {
            &[
                ("brown", 30),
                ("dark brown", 15),
                ("light brown", 12),
                ("blonde", 15),
                ("black", 10),
                ("red", 5),
                ("ginger", 3),
                ("shaved", if f.female { 0 } else { 10 }),
            ]
        } else {
            &[
                ("black", 70),
                ("dark brown", 20),
                ("shaved", if f.female { 0 } else { 10 }),
            ]
        };
        let eyes: &[(&str, u32)] = if light {
            &[
                ("blue", 35),
                ("brown", 35),
                ("green", 12),
                ("hazel", 12),
                ("grey", 6),
            ]
        } else {
            &[("brown", 85), ("hazel", 10), ("green", 5)]
        };
        let marks = if self.rng.chance(0.08) {
            self.rng.pick(MARKS).copied().unwrap_or_default()
        } else {
            ""
        };
        DescriptionInput {
            height_cm: if self.rng.chance(0.9) {
                Some(height)
            } else {
                None
            },
            build: build.to_owned(),
            hair: self
                .rng
                .weighted(hair)
                .copied()
                .unwrap_or("brown")
                .to_owned(),
            eyes: self
                .rng
                .weighted(eyes)
                .copied()
                .unwrap_or("brown")
                .to_owned(),
            marks: marks.to_owned(),
        }
    }

    /// The chance of having a PNC record rises for adult men, as on real police systems.
    fn has_pnc(&mut self, f: &Facts, gender: &str) -> bool {
        let p = match (f.age, gender) {
            (0..18, _) => 0.16,
            (_, "male") => 0.58,
            (_, "female") => 0.34,
            _ => 0.45,
        };
        self.rng.chance(p)
    }

    fn identifiers(&mut self, f: &Facts) -> Vec<IdentifierInput> {
        let mut ids = Vec::new();
        if f.pnc {
            // The year the person was first recorded: from their teens to the as-of year.
            let first = (f.birth.year + 12).max(1995);
            let year =
                self.rng
                    .range(first as u64, self.as_of.year.max(first) as u64) as u16;
            let serial = self.rng.range(1, 999_999) as u32;
            if let Ok(pnc) = PncId::from_parts(year, serial) {
                ids.push(IdentifierInput {
                    id_type: "PNC".to_owned(),
                    value: pnc.to_string(),
                });
            }
            if self.rng.chance(0.55) {
                let serial = self.rng.range(1, 999_999) as u32;
                if let Ok(cro) = CroNumber::from_parts(serial, year) {
                    ids.push(IdentifierInput {
                        id_type: "CRO".to_owned(),
                        value: cro.to_string(),
                    });
                }
            }
        }
        // National Insurance numbers are issued at 16.
        if f.age >= 16 && self.rng.chance(0.36) {
            ids.push(IdentifierInput {
                id_type: "NI".to_owned(),
                value: formats::ni_number(&mut self.rng),
            });
        }
        ids
    }

    fn warning_markers(&mut self, f: &Facts) -> Vec<String> {
        if !f.pnc || !self.rng.chance(0.08) {
            return Vec::new();
        }
        let first = self.rng.weighted(MARKERS).copied().unwrap_or("VI");
        let mut out = vec![first.to_owned()];
        if self.rng.chance(0.25) {
            let second = self.rng.weighted(MARKERS).copied().unwrap_or("WE");
            if second != first {
                out.push(second.to_owned());
            }
        }
        out
    }

    /// About 5% of persons are known by another name.
    fn other_names(&mut self, d: &Draft, given: &str) -> Vec<OtherNameInput> {
        if let Some(maiden) = &d.maiden {
            return vec![OtherNameInput {
                family_name: maiden.clone(),
                given_names: String::new(),
                name_type: "maiden".to_owned(),
            }];
        }
        if !self.rng.chance(0.04) {
            return Vec::new();
        }
        let first_given = given.split(' ').next().unwrap_or(given);
        let nick = {
            let options: Vec<&str> = names::nicknames_of(first_given).collect();
            self.rng.pick(&options).copied()
        };
        match (self.rng.below(10), nick) {
            (0..4, Some(nick)) => vec![OtherNameInput {
                family_name: d.family.clone(),
                given_names: nick.to_owned(),
                name_type: "nickname".to_owned(),
            }],
            (4..6, _) if d.female && d.age >= 20 => vec![OtherNameInput {
                family_name: self.family_name(d.heritage.family, true),
                given_names: String::new(),
                name_type: "maiden".to_owned(),
            }],
            _ => {
                let family_name = self.family_name(d.heritage.family, d.female);
                let given_names = if self.rng.chance(0.5) {
                    given.to_owned()
                } else {
                    self.given_names(d.heritage.given, d.female)
                };
                vec![OtherNameInput {
                    family_name,
                    given_names,
                    name_type: "alias".to_owned(),
                }]
            }
        }
    }

    /// A date of birth as recorded: usually full, sometimes only month or year, sometimes
    /// not known.
    fn recorded_dob(&mut self, birth: Ymd) -> String {
        match self.rng.below(100) {
            0..90 => birth.iso(),
            90..95 => birth.iso_month(),
            95..98 => format!("{:04}", birth.year),
            _ => String::new(),
        }
    }

    /// Fills in a person from a household's draft.
    pub(crate) fn person(&mut self, d: Draft) -> (PersonInput, Facts) {
        let birth = self.birth_date(d.age);
        let mut facts = Facts {
            pnc: false,
            age: d.age,
            birth,
            female: d.female,
            heritage: d.heritage,
        };
        facts.pnc = self.has_pnc(&facts, d.gender);
        let given = self.given_names(d.heritage.given, d.female);
        let other_names = self.other_names(&d, &given);
        let nationality = self.nationality(d.heritage.family, d.age);
        let input = PersonInput {
            given_names: given,
            other_names,
            date_of_birth: self.recorded_dob(birth),
            gender: d.gender.to_owned(),
            ethnicity: d.heritage.ethnicity.to_owned(),
            place_of_birth: self.place_of_birth(nationality),
            nationality: nationality.to_owned(),
            description: self.description(&facts),
            identifiers: self.identifiers(&facts),
            warning_markers: self.warning_markers(&facts),
            flags: Vec::new(),
            marking: self.marking(80, 20),
            family_name: d.family,
        };
        (input, facts)
    }

    /// Keeps a random sample of earlier persons (reservoir sampling, so memory stays
    /// bounded however many persons are generated) as models for near-duplicates.
    pub(crate) fn remember(&mut self, input: &PersonInput, facts: Facts, seen: u64) {
        let slot = if self.sample.len() < SAMPLE_SIZE {
            None
        } else {
            let j = self.rng.below(seen + 1) as usize;
            if j < SAMPLE_SIZE { Some(j) } else { return }
        };
        let profile = Profile {
            input: PersonInput {
                family_name: input.family_name.clone(),
                given_names: input.given_names.clone(),
                date_of_birth: input.date_of_birth.clone(),
                gender: input.gender.clone(),
                ethnicity: input.ethnicity.clone(),
                place_of_birth: input.place_of_birth.clone(),
                nationality: input.nationality.clone(),
                description: input.description.clone(),
                ..PersonInput::default()
            },
            facts,
        };
        match slot.and_then(|j| self.sample.get_mut(j)) {
            Some(old) => *old = profile,
            None => self.sample.push(profile),
        }
    }

    /// DELIBERATE NEAR-DUPLICATE: a new record for a person already generated, as if
    /// recorded again by someone who did not find the first record: the family name with a
    /// typing slip or a variant spelling, a familiar form of the given name (Bill for
    /// William), or the date of birth with day and month transposed. Duplicate detection
    /// is meant to find these; they carry no identifiers, so it must match on the rest.
    pub(crate) fn near_duplicate(&mut self) -> Option<(PersonInput, Facts)> {
        if self.sample.is_empty() {
            return None;
        }
        let i = self.rng.index(self.sample.len());
        let (mut input, facts) = {
            let p = self.sample.get(i)?;
            (p.input.clone(), p.facts)
        };
        let how = self.rng.below(10);
        let mut changed = false;
        if how >= 7 && input.date_of_birth.len() == 10 {
            let b = facts.birth;
            if b.day <= 12 && b.day != b.month {
                input.date_of_birth = Ymd {
                    year: b.year,
                    month: b.day,
                    day: b.month,
                }
                .iso();
                changed = true;
            }
        } else if how >= 4 {
            let first = input.given_names.split(' ').next().unwrap_or_default();
            let options: Vec<&str> = names::nicknames_of(first).collect();
            if let Some(nick) = self.rng.pick(&options) {
                input.given_names = (*nick).to_owned();
                changed = true;
            }
        }
        if !changed {
            input.family_name = match names::family_variant(&input.family_name) {
                Some(v) if self.rng.chance(0.5) => v.to_owned(),
                _ => typo(&mut self.rng, &input.family_name),
            };
        }
        input.marking = self.marking(80, 20);
        Some((input, facts))
    }
}

/// The feminine form of a Polish family name (Kowalski, Kowalska); other names unchanged.
pub(crate) fn feminine_family_name(name: &str) -> String {
    for (m, f) in [("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")] {
        if let Some(stem) = name.strip_suffix(m) {
            return format!("{stem}{f}");
        }
    }
    name.to_owned()
}

/// A believable slip in typing a name: accents dropped, two letters swapped, a doubled
/// letter made single or a letter doubled. Always differs from `name`.
pub(crate) fn typo(rng: &mut crate::rng::Rng, name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    if !name.is_ascii() && rng.chance(0.6) {
        let plain: String = chars.iter().map(|c| strip_accent(*c)).collect();
        if plain != name {
            return plain;
        }
    }
    let swaps: Vec<usize> = (1..chars.len().saturating_sub(1))
        .filter(|&i| match (chars.get(i), chars.get(i + 1)) {
            (Some(a), Some(b)) => a.is_lowercase() && b.is_lowercase() && a != b,
            _ => false,
        })
        .collect();
    let doubles: Vec<usize> = (1..chars.len())
        .filter(|&i| chars.get(i) == chars.get(i - 1))
        .collect();
    let mut out = chars.clone();
    match rng.below(3) {
        0 if !swaps.is_empty() => {
            let i = swaps.get(rng.index(swaps.len())).copied().unwrap_or(1);
            out.swap(i, i + 1);
        }
        1 if !doubles.is_empty() => {
            let i = doubles.get(rng.index(doubles.len())).copied().unwrap_or(1);
            out.remove(i);
        }
        _ => {
            // Double a lower-case letter after the first character.
            let letters: Vec<usize> = (1..chars.len())
                .filter(|&i| chars.get(i).is_some_and(|c| c.is_lowercase()))
                .collect();
            match rng.pick(&letters) {
                Some(&i) => out.insert(i, chars.get(i).copied().unwrap_or('e')),
                None => out.push('e'),
            }
        }
    }
    out.into_iter().collect()
}

fn strip_accent(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' | 'ą' | 'ā' => 'a',
        'Á' | 'À' => 'A',
        'ć' | 'č' | 'ç' => 'c',
        'é' | 'è' | 'ê' | 'ę' | 'ē' | 'ě' => 'e',
        'í' | 'ì' | 'ī' => 'i',
        'ł' => 'l',
        'Ł' => 'L',
        'ń' | 'ņ' => 'n',
        'ó' | 'ò' | 'ö' | 'ő' => 'o',
        'Ó' => 'O',
        'ř' => 'r',
        'ś' | 'š' | 'ș' | 'ş' => 's',
        'Ś' | 'Ş' => 'S',
        'ț' => 't',
        'ú' | 'ü' | 'ū' => 'u',
        'ý' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        'Ż' => 'Z',
        'ğ' => 'g',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn typos_always_change_the_name_and_stay_valid_name_text() {
        let mut rng = Rng::new(9);
        for name in [
            "Smith",
            "Li",
            "O'Connor",
            "Wiśniewski",
            "Ng",
            "Smith-Jones",
            "Ó Briain",
            "Hall",
        ] {
            for _ in 0..200 {
                let t = typo(&mut rng, name);
                assert_ne!(t, name);
                assert!(t.chars().next().is_some_and(char::is_alphabetic), "{t}");
                assert!(
                    t.chars()
                        .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.'))
                );
            }
        }
    }

    #[test]
    fn polish_family_names_take_the_feminine_form() {
        assert_eq!(feminine_family_name("Kowalski"), "Kowalska");
        assert_eq!(feminine_family_name("Wiśniewski"), "Wiśniewska");
        assert_eq!(feminine_family_name("Nowak"), "Nowak");
        assert_eq!(feminine_family_name("Smith"), "Smith");
    }
}
