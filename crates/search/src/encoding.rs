//! The match features' stored form: a compact binary encoding of [`PersonFeatures`], kept
//! in the search index beside each person so that a search re-ranks its candidates
//! without re-reading their records.
//!
//! A search decodes the features of up to a hundred candidates; as JSON that was 12% of a
//! search's samples (field names matched, every string scanned for escapes). Here
//! each value is written in a fixed order: counts and string lengths as LEB128 varints,
//! strings as their UTF-8 bytes, enums as fixed codes, a date of birth as a tag and its
//! parts. The first byte is the format's version.
//!
//! Enums are written as fixed codes, one `match` each way, so a new variant does not
//! compile until it is given one, and reordering a type's variants changes nothing stored.
//! The encoding is canonical: bytes that decode are exactly the encoding of what they
//! decode to (a property test holds it).
//!
//! Decoding checks everything it reads (lengths against the bytes left, minimal varints,
//! UTF-8, enum codes, months and real dates) and refuses trailing bytes, so bytes that are
//! cut short, run on, or carry a value outside its type are refused, not misread. There is
//! no checksum: a byte changed inside a string still reads as a (different) string. The
//! format changes only with the index's schema
//! version (an older index is rebuilt from the store), so there is one version to read.

use bluelamp_domain::values::{DateOfBirth, Gender, IdentifierType, NameType};
use jiff::civil::Date;

use crate::features::{NameFeatures, PersonFeatures};

/// The format written by [`encode`].
const VERSION: u8 = 2;

/// Bytes that are not match features in this format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored match features cannot be read: {0}")]
pub struct DecodeError(pub(crate) &'static str);

/// The features' stored form.
pub fn encode(f: &PersonFeatures) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(256));
    w.byte(VERSION);
    w.name(&f.name);
    w.len(f.aliases.len());
    for a in &f.aliases {
        w.name(a);
    }
    match f.dob {
        DateOfBirth::Unknown => w.byte(0),
        DateOfBirth::Year(y) => {
            w.byte(1);
            w.i16(y);
        }
        DateOfBirth::MonthYear { year, month } => {
            w.byte(2);
            w.i16(year);
            w.byte(month.to_le_bytes()[0]);
        }
        DateOfBirth::Full(d) => {
            w.byte(3);
            w.i16(d.year());
            w.byte(d.month().to_le_bytes()[0]);
            w.byte(d.day().to_le_bytes()[0]);
        }
    }
    w.byte(gender_code(f.gender));
    w.len(f.identifiers.len());
    for (t, v) in &f.identifiers {
        w.byte(identifier_code(*t));
        w.str(v);
    }
    w.strs(&f.postcodes);
    w.strs(&f.phones);
    w.opt_str(f.ethnicity.as_deref());
    w.opt_str(f.nationality.as_deref());
    w.opt_str(f.place_of_birth.as_deref());
    match f.height_cm {
        None => w.byte(0),
        Some(h) => {
            w.byte(1);
            w.len(usize::from(h));
        }
    }
    w.0
}

/// Reads the stored form back.
pub fn decode(bytes: &[u8]) -> Result<PersonFeatures, DecodeError> {
    let mut r = Reader(bytes);
    if r.byte()? != VERSION {
        return Err(DecodeError("unknown format version"));
    }
    let name = r.name()?;
    let n = r.len()?;
    let mut aliases = Vec::with_capacity(n.min(16));
    for _ in 0..n {
        aliases.push(r.name()?);
    }
    let dob = match r.byte()? {
        0 => DateOfBirth::Unknown,
        1 => DateOfBirth::Year(r.i16()?),
        2 => {
            let (year, month) = (r.i16()?, r.i8()?);
            if !(1..=12).contains(&month) {
                return Err(DecodeError("not a real month"));
            }
            DateOfBirth::MonthYear { year, month }
        }
        3 => {
            let (y, m, d) = (r.i16()?, r.i8()?, r.i8()?);
            DateOfBirth::Full(Date::new(y, m, d).map_err(|_| DecodeError("not a real date"))?)
        }
        _ => return Err(DecodeError("unknown kind of date of birth")),
    };
    let gender = gender_of(r.byte()?)?;
    let n = r.len()?;
    let mut identifiers = Vec::with_capacity(n.min(16));
    for _ in 0..n {
        identifiers.push((identifier_of(r.byte()?)?, r.string()?));
    }
    let postcodes = r.strings()?;
    let phones = r.strings()?;
    let ethnicity = r.opt_string()?;
    let nationality = r.opt_string()?;
    let place_of_birth = r.opt_string()?;
    let height_cm = match r.byte()? {
        0 => None,
        1 => Some(u16::try_from(r.len()?).map_err(|_| DecodeError("height out of range"))?),
        _ => return Err(DecodeError("bad height marker")),
    };
    if !r.0.is_empty() {
        return Err(DecodeError("bytes left over"));
    }
    Ok(PersonFeatures {
        name,
        aliases,
        dob,
        gender,
        identifiers,
        postcodes,
        phones,
        ethnicity,
        nationality,
        place_of_birth,
        height_cm,
    })
}

// Fixed codes for the enums. Never renumber one: add new values at the end.

fn gender_code(g: Gender) -> u8 {
    match g {
        Gender::Male => 0,
        Gender::Female => 1,
        Gender::Other => 2,
        Gender::NotKnown => 3,
    }
}

fn gender_of(c: u8) -> Result<Gender, DecodeError> {
    Ok(match c {
        0 => Gender::Male,
        1 => Gender::Female,
        2 => Gender::Other,
        3 => Gender::NotKnown,
        _ => return Err(DecodeError("unknown gender")),
    })
}

fn identifier_code(t: IdentifierType) -> u8 {
    match t {
        IdentifierType::Pnc => 0,
        IdentifierType::Cro => 1,
        IdentifierType::Ni => 2,
        IdentifierType::Noms => 3,
        IdentifierType::Crn => 4,
        IdentifierType::Passport => 5,
        IdentifierType::Driver => 6,
    }
}

fn identifier_of(c: u8) -> Result<IdentifierType, DecodeError> {
    Ok(match c {
        0 => IdentifierType::Pnc,
        1 => IdentifierType::Cro,
        2 => IdentifierType::Ni,
        3 => IdentifierType::Noms,
        4 => IdentifierType::Crn,
        5 => IdentifierType::Passport,
        6 => IdentifierType::Driver,
        _ => return Err(DecodeError("unknown identifier type")),
    })
}

/// The person's own name (no other-name type).
const NO_NAME_TYPE: u8 = u8::MAX;

fn name_type_code(t: NameType) -> u8 {
    match t {
        NameType::Alias => 0,
        NameType::Maiden => 1,
        NameType::Nickname => 2,
        NameType::Previous => 3,
        NameType::Other => 4,
    }
}

fn name_type_of(c: u8) -> Result<NameType, DecodeError> {
    Ok(match c {
        0 => NameType::Alias,
        1 => NameType::Maiden,
        2 => NameType::Nickname,
        3 => NameType::Previous,
        4 => NameType::Other,
        _ => return Err(DecodeError("unknown kind of name")),
    })
}

struct Writer(Vec<u8>);

impl Writer {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    fn i16(&mut self, v: i16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    /// A count or length as an unsigned LEB128 varint.
    fn len(&mut self, mut n: usize) {
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.0.push(low);
                return;
            }
            self.0.push(low | 0x80);
        }
    }

    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn strs(&mut self, v: &[String]) {
        self.len(v.len());
        for s in v {
            self.str(s);
        }
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.byte(0),
            Some(s) => {
                self.byte(1);
                self.str(s);
            }
        }
    }

    fn name(&mut self, n: &NameFeatures) {
        self.str(&n.display_family);
        self.opt_str(n.display_given.as_deref());
        self.strs(&n.family);
        self.strs(&n.family_keys);
        self.strs(&n.given);
        self.str(&n.initials);
        self.strs(&n.family_codes);
        self.str(&n.family_soundex);
        self.strs(&n.given_codes);
        self.byte(n.name_type.map_or(NO_NAME_TYPE, name_type_code));
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.0.len() {
            return Err(DecodeError("cut short"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn i8(&mut self) -> Result<i8, DecodeError> {
        Ok(i8::from_le_bytes([self.byte()?]))
    }

    fn i16(&mut self) -> Result<i16, DecodeError> {
        let b = self.take(2)?;
        Ok(i16::from_le_bytes([b[0], b[1]]))
    }

    /// A varint of at most five bytes (32 bits), written minimally.
    fn len(&mut self) -> Result<usize, DecodeError> {
        let mut n: u32 = 0;
        for shift in (0..35).step_by(7) {
            let b = self.byte()?;
            if shift == 28 && b > 0x0f {
                return Err(DecodeError("length too long"));
            }
            n |= u32::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                if b == 0 && shift > 0 {
                    return Err(DecodeError("length not written minimally"));
                }
                return usize::try_from(n).map_err(|_| DecodeError("length too long"));
            }
        }
        Err(DecodeError("length too long"))
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        let n = self.len()?;
        let bytes = self.take(n)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| DecodeError("text is not UTF-8"))
    }

    fn strings(&mut self) -> Result<Vec<String>, DecodeError> {
        let n = self.len()?;
        // Each string takes at least its length byte: a count beyond the bytes left is
        // damage, and must not reserve memory for it.
        if n > self.0.len() {
            return Err(DecodeError("cut short"));
        }
        (0..n).map(|_| self.string()).collect()
    }

    fn opt_string(&mut self) -> Result<Option<String>, DecodeError> {
        match self.byte()? {
            0 => Ok(None),
            1 => self.string().map(Some),
            _ => Err(DecodeError("bad optional marker")),
        }
    }

    fn name(&mut self) -> Result<NameFeatures, DecodeError> {
        Ok(NameFeatures {
            display_family: self.string()?,
            display_given: self.opt_string()?,
            family: self.strings()?,
            family_keys: self.strings()?,
            given: self.strings()?,
            initials: self.string()?,
            family_codes: self.strings()?,
            family_soundex: self.string()?,
            given_codes: self.strings()?,
            name_type: match self.byte()? {
                NO_NAME_TYPE => None,
                c => Some(name_type_of(c)?),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use bluelamp_domain::pole::Person;
    use bluelamp_domain::pole::input::{IdentifierInput, OtherNameInput, PersonInput};
    use jiff::civil::date;
    use proptest::prelude::*;

    fn features(input: PersonInput, addresses: &[&str]) -> PersonFeatures {
        let p = Person::parse(&input, date(2026, 1, 1)).unwrap().0;
        let a: Vec<String> = addresses.iter().map(|s| (*s).to_owned()).collect();
        PersonFeatures::from_person(&p, &a)
    }

    fn full() -> PersonFeatures {
        features(
            PersonInput {
                family_name: "Nowak-Wójcik".into(),
                given_names: "Łukasz J.".into(),
                date_of_birth: "1985-03-14".into(),
                gender: "male".into(),
                ethnicity: "W9".into(),
                nationality: "POL".into(),
                place_of_birth: "Kraków".into(),
                description: bluelamp_domain::pole::input::DescriptionInput {
                    height_cm: Some(181),
                    ..Default::default()
                },
                other_names: vec![
                    OtherNameInput {
                        family_name: "Novak".into(),
                        name_type: "alias".into(),
                        ..Default::default()
                    },
                    OtherNameInput {
                        family_name: "Nowak".into(),
                        given_names: "Luke".into(),
                        name_type: "nickname".into(),
                    },
                ],
                identifiers: vec![
                    IdentifierInput {
                        id_type: "NI".into(),
                        value: "QQ123456C".into(),
                    },
                    IdentifierInput {
                        id_type: "PNC".into(),
                        value: "2002/0073319Z".into(),
                    },
                ],
                ..Default::default()
            },
            &["SW1A 1AA", "M1 1AE"],
        )
        .with_phones(&["+447700900123", "+441134960000"])
    }

    #[test]
    fn a_full_record_reads_back_exactly() {
        let f = full();
        assert_eq!(f.aliases.len(), 2);
        assert_eq!(f.height_cm, Some(181));
        assert_eq!(decode(&encode(&f)).unwrap(), f);
    }

    #[test]
    fn every_form_of_date_of_birth_reads_back() {
        for dob in ["", "1990", "1990-07", "2000-02-29"] {
            let f = features(
                PersonInput {
                    family_name: "Smith".into(),
                    date_of_birth: dob.into(),
                    ..Default::default()
                },
                &[],
            );
            assert_eq!(decode(&encode(&f)).unwrap(), f, "{dob}");
        }
    }

    #[test]
    fn every_value_of_each_enum_reads_back() {
        let mut f = full();
        for g in Gender::ALL {
            f.gender = g;
            assert_eq!(decode(&encode(&f)).unwrap().gender, g);
        }
        for t in IdentifierType::ALL {
            f.identifiers = vec![(t, "X1".into())];
            assert_eq!(decode(&encode(&f)).unwrap().identifiers, f.identifiers);
        }
        for t in NameType::ALL {
            f.aliases[0].name_type = Some(t);
            assert_eq!(decode(&encode(&f)).unwrap().aliases[0].name_type, Some(t));
        }
    }

    #[test]
    fn damaged_bytes_are_refused_not_misread() {
        let bytes = encode(&full());
        // Every truncation is refused.
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err(), "cut at {n}");
        }
        // So are trailing bytes, another version, and JSON (the earlier stored form).
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), Err(DecodeError("bytes left over")));
        // (Version 1, without telephone numbers, was only ever in an index of schema 10,
        // which is rebuilt.)
        for version in [VERSION - 1, VERSION + 1] {
            let mut other = bytes.clone();
            other[0] = version;
            assert_eq!(decode(&other), Err(DecodeError("unknown format version")));
        }
        assert_eq!(
            decode(br#"{"name": {"display_family": "Smith"}}"#),
            Err(DecodeError("unknown format version"))
        );
        // A list's count far beyond the bytes left is refused before anything is reserved:
        // a family name "A", no given names, then four billion family-name parts.
        assert_eq!(
            decode(&[VERSION, 1, b'A', 0, 0xff, 0xff, 0xff, 0xff, 0x0f]),
            Err(DecodeError("cut short"))
        );
        // Lengths longer than 32 bits, or not written minimally, are refused.
        assert_eq!(
            decode(&[VERSION, 0xff, 0xff, 0xff, 0xff, 0x10]),
            Err(DecodeError("length too long"))
        );
        assert_eq!(
            decode(&[VERSION, 0x81, 0x00, b'A']),
            Err(DecodeError("length not written minimally"))
        );
        // A month that is not one is refused, as is an unknown gender.
        let mut f = full();
        f.dob = DateOfBirth::MonthYear {
            year: 1990,
            month: 13,
        };
        assert_eq!(decode(&encode(&f)), Err(DecodeError("not a real month")));
        // An unknown gender code (found as the one byte a change of gender changes).
        let male = full();
        let mut female = male.clone();
        female.gender = Gender::Female;
        let (m, w) = (encode(&male), encode(&female));
        let at = m.iter().zip(&w).position(|(x, y)| x != y).unwrap();
        let mut other = m.clone();
        other[at] = 4;
        assert_eq!(decode(&other), Err(DecodeError("unknown gender")));
    }

    /// The stored form, byte for byte: a change to the format (or an enum's code) fails
    /// here, and must come with a new index schema version.
    #[test]
    fn the_format_is_fixed() {
        let name = |name_type| NameFeatures {
            display_family: "A".into(),
            display_given: Some("B".into()),
            family: vec!["a".into()],
            family_keys: vec!["a".into()],
            given: vec!["b".into()],
            initials: "b".into(),
            family_codes: vec!["A".into()],
            family_soundex: "A000".into(),
            given_codes: vec![],
            name_type,
        };
        let f = PersonFeatures {
            name: name(None),
            aliases: vec![name(Some(NameType::Maiden))],
            dob: DateOfBirth::Full(date(1985, 3, 14)),
            gender: Gender::Female,
            identifiers: vec![(IdentifierType::Pnc, "X".into())],
            postcodes: vec!["P".into()],
            phones: vec!["+4".into()],
            ethnicity: Some("W1".into()),
            nationality: None,
            place_of_birth: None,
            height_cm: Some(300),
        };
        let name_bytes = [
            1, b'A', 1, 1, b'B', 1, 1, b'a', 1, 1, b'a', 1, 1, b'b', 1, b'b', 1, 1, b'A', 4, b'A',
            b'0', b'0', b'0', 0,
        ];
        let mut expected = vec![VERSION];
        expected.extend(name_bytes);
        expected.push(255); // the person's own name
        expected.push(1); // one other name
        expected.extend(name_bytes);
        expected.push(1); // maiden
        expected.extend([3, 0xc1, 0x07, 3, 14]); // full date of birth, 1985 little-endian
        expected.push(1); // female
        expected.extend([1, 0, 1, b'X']); // one identifier: PNC "X"
        expected.extend([1, 1, b'P']); // one postcode
        expected.extend([1, 2, b'+', b'4']); // one telephone number
        expected.extend([1, 2, b'W', b'1', 0, 0]); // ethnicity W1, no nationality or place
        expected.extend([1, 0xac, 0x02]); // height 300 as a varint
        assert_eq!(encode(&f), expected);
        assert_eq!(decode(&expected).unwrap(), f);
    }

    #[test]
    fn long_values_take_multi_byte_lengths() {
        let mut f = full();
        f.name.display_family = "x".repeat(300);
        f.postcodes = (0..200).map(|i| format!("P{i}")).collect();
        f.phones = (0..200).map(|i| format!("+44{i}")).collect();
        f.height_cm = Some(u16::MAX);
        assert_eq!(decode(&encode(&f)).unwrap(), f);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any person the demo generator draws reads back exactly.
        #[test]
        fn demo_persons_read_back(seed in any::<u64>()) {
            let today = date(2026, 6, 1);
            let as_of: jiff::Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
            for input in bluelamp_demo::labelled_persons(seed, 3, as_of).into_iter().take(4) {
                let p = Person::parse(&input.input, today).unwrap().0;
                let f = PersonFeatures::from_person(&p, &input.postcodes).with_phones(&input.phones);
                prop_assert_eq!(decode(&encode(&f)).unwrap(), f);
            }
        }

        /// Arbitrary bytes after the version never panic, and any that decode are exactly
        /// the encoding of what they decode to (so no two stored forms read the same).
        #[test]
        fn arbitrary_bytes_are_refused_or_canonical(
            tail in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let mut bytes = vec![VERSION];
            bytes.extend(tail);
            if let Ok(f) = decode(&bytes) {
                prop_assert_eq!(encode(&f), bytes);
            }
        }

        /// A real stored form with one byte changed, or cut, never panics, and what still
        /// decodes re-encodes to the same bytes.
        #[test]
        fn damaged_stored_forms_are_refused_or_canonical(
            at in any::<prop::sample::Index>(),
            value in any::<u8>(),
            cut in any::<bool>(),
        ) {
            let mut bytes = encode(&full());
            let i = at.index(bytes.len());
            if cut {
                bytes.truncate(i);
            } else {
                bytes[i] = value;
            }
            if let Ok(f) = decode(&bytes) {
                prop_assert_eq!(encode(&f), bytes);
            }
        }
    }
}
