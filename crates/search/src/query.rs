//! Reading what someone typed into the search box.
//!
//! One box takes anything an officer might type: "John Smith 12/05/1980", "SMITH, John",
//! "AB12*", "LS1 4", "07700 900123", "2001/0012345A", "burglary garden shed". Each token
//! is recognised, in this order, as a postcode (full, sector or district), a date of birth
//! (a date, a month, a year or a range of years), a vehicle registration pattern (`*` and
//! `?` wildcards), a phone number, an identifier (PNC ID, CRO, NI, prison number, CRN,
//! driver number, VIN, IMEI, UPRN, or any other number-bearing reference), or otherwise a
//! name or word. Names search persons; words search the text of objects, locations and
//! events.

use bluelamp_domain::values::{
    DateOfBirth, IdentifierType, Imei, PersonIdentifier, PhoneNumber, Postcode, Vin, Vrm,
};
use jiff::civil::Date;

use crate::dob::DobQuery;
use crate::normalise::fold;

/// The longest search text accepted, in bytes: longer is refused before any work.
pub const MAX_QUERY_LEN: usize = 500;

/// A postcode search at one of three levels of precision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostcodeQuery {
    /// A whole postcode, canonical (`SW1A 1AA`).
    Full(String),
    /// A sector (`SW1A 1`).
    Sector(String),
    /// A district (`SW1A`).
    District(String),
}

impl PostcodeQuery {
    /// The indexed term this query looks for.
    pub fn term(&self) -> String {
        match self {
            PostcodeQuery::Full(p) => format!("full:{p}"),
            PostcodeQuery::Sector(s) => format!("sector:{s}"),
            PostcodeQuery::District(d) => format!("district:{d}"),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            PostcodeQuery::Full(s) | PostcodeQuery::Sector(s) | PostcodeQuery::District(s) => s,
        }
    }
}

/// An identifier typed in the box: its canonical value and, when its format says which kind
/// it is, the person-identifier type (used to score a match).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierQuery {
    pub id_type: Option<IdentifierType>,
    /// Upper case, spaces and separators as the type's canonical form keeps them.
    pub value: String,
}

/// What the box held, sorted by what each part can match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedQuery {
    /// Name words in the order typed (as typed, trimmed of commas).
    pub names: Vec<String>,
    /// The family name came first ("SMITH, John").
    pub family_first: bool,
    pub dob: Option<DobQuery>,
    pub identifiers: Vec<IdentifierQuery>,
    /// Phone numbers in E.164.
    pub phones: Vec<String>,
    /// Vehicle registrations: upper case, no spaces; `*` and `?` are wildcards.
    pub vrms: Vec<String>,
    pub postcodes: Vec<PostcodeQuery>,
    /// Folded words for the text of objects, locations and events (names included, the
    /// other recognised parts not).
    pub words: Vec<String>,
}

impl ParsedQuery {
    /// Nothing searchable was typed.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
            && self.dob.is_none()
            && self.identifiers.is_empty()
            && self.phones.is_empty()
            && self.vrms.is_empty()
            && self.postcodes.is_empty()
            && self.words.is_empty()
    }

    /// The family name and given names the name words stand for: the last word is the
    /// family name ("John Paul Smith"), or the first when it was followed by a comma
    /// ("Smith, John Paul").
    pub fn family_and_given(&self) -> Option<(String, Option<String>)> {
        let (family, given): (&String, &[String]) = if self.family_first {
            let (f, rest) = self.names.split_first()?;
            (f, rest)
        } else {
            let (f, rest) = self.names.split_last()?;
            (f, rest)
        };
        let given = (!given.is_empty()).then(|| given.join(" "));
        Some((family.clone(), given))
    }
}

impl ParsedQuery {
    /// What the search looks for, in words, one part each ("name John Smith", "born in
    /// 1980", "registration AB12*"), to show the user how their search was read.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some((family, given)) = self.family_and_given() {
            out.push(match given {
                Some(g) => format!("name {g} {family}"),
                None => format!("name {family}"),
            });
        }
        if let Some(d) = &self.dob {
            out.push(describe_dob(d));
        }
        for i in &self.identifiers {
            out.push(match i.id_type {
                Some(t) => format!("{} {}", t.label(), i.value),
                None => format!("reference {}", i.value),
            });
        }
        for p in &self.phones {
            out.push(format!("phone {p}"));
        }
        for v in &self.vrms {
            out.push(format!("registration {v}"));
        }
        for p in &self.postcodes {
            out.push(match p {
                PostcodeQuery::Full(s) => format!("postcode {s}"),
                PostcodeQuery::Sector(s) => format!("postcode sector {s}"),
                PostcodeQuery::District(s) => format!("postcode district {s}"),
            });
        }
        if !self.words.is_empty() {
            out.push(format!("words {}", self.words.join(" ")));
        }
        out
    }
}

fn describe_dob(d: &DobQuery) -> String {
    let date = |d: Date| format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year());
    match *d {
        DobQuery::Date(x) => format!("born {} (or with day and month swapped)", date(x)),
        DobQuery::Year(y) => format!("born in {y}"),
        DobQuery::MonthYear { year, month } => format!("born in {month:02}/{year}"),
        DobQuery::Range { from, to } => format!("born {} to {}", date(from), date(to)),
        DobQuery::AgeAt { age, on } => format!("aged {age} on {}", date(on)),
        DobQuery::AgeBetween { min, max, on } => format!("aged {min} to {max} on {}", date(on)),
    }
}

/// Why a search text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("Search text must be {MAX_QUERY_LEN} characters or fewer")]
    TooLong,
    #[error("Search text must not contain control characters")]
    ControlCharacters,
}

/// Reads the search box. `today` bounds dates of birth and is used for years.
pub fn parse_query(text: &str, today: Date) -> Result<ParsedQuery, QueryError> {
    if text.len() > MAX_QUERY_LEN {
        return Err(QueryError::TooLong);
    }
    if text.chars().any(|c| c.is_control() && c != '\t') {
        return Err(QueryError::ControlCharacters);
    }
    let mut q = ParsedQuery::default();
    let raw: Vec<&str> = text.split_whitespace().collect();
    let mut i = 0;
    while i < raw.len() {
        let tok = raw[i];
        let next = raw.get(i + 1).copied();
        // A postcode written with its space is two tokens.
        if let Some(n) = next {
            // A current GB registration written with its space ("AB12 CDE", "AB12 C?E").
            if is_gb_age_identifier(tok)
                && (1..=3).contains(&n.len())
                && n.chars()
                    .all(|c| c.is_ascii_alphabetic() || c == '*' || c == '?')
            {
                push_unique(&mut q.vrms, format!("{tok}{n}").to_ascii_uppercase());
                i += 2;
                continue;
            }
            if let Ok(p) = Postcode::parse(&format!("{tok} {n}")) {
                push_unique(&mut q.postcodes, PostcodeQuery::Full(p.as_str().to_owned()));
                i += 2;
                continue;
            }
            if is_district(tok) && n.len() == 1 && n.as_bytes()[0].is_ascii_digit() {
                let sector = format!("{} {n}", tok.to_ascii_uppercase());
                push_unique(&mut q.postcodes, PostcodeQuery::Sector(sector));
                i += 2;
                continue;
            }
        }
        if i == 0 && tok.ends_with(',') {
            q.family_first = true;
        }
        classify(tok.trim_matches(','), today, &mut q);
        i += 1;
    }
    Ok(q)
}

fn classify(tok: &str, today: Date, q: &mut ParsedQuery) {
    if tok.is_empty() {
        return;
    }
    if let Ok(p) = Postcode::parse(tok) {
        push_unique(&mut q.postcodes, PostcodeQuery::Full(p.as_str().to_owned()));
        return;
    }
    if let Some(d) = parse_dob_query(tok, today) {
        q.dob = Some(d);
        return;
    }
    if tok.contains(['*', '?']) {
        let pattern: String = tok
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '*' || *c == '?')
            .collect::<String>()
            .to_ascii_uppercase();
        if pattern.chars().any(|c| c.is_ascii_alphanumeric()) && pattern.len() <= 12 {
            push_unique(&mut q.vrms, pattern);
        }
        return;
    }
    let has_digit = tok.bytes().any(|b| b.is_ascii_digit());
    let has_alpha = tok.chars().any(char::is_alphabetic);
    if has_digit {
        if looks_like_phone(tok)
            && let Ok(p) = PhoneNumber::parse(tok)
        {
            push_unique(&mut q.phones, p.as_str().to_owned());
            return;
        }
        let mut found = false;
        for t in IdentifierType::ALL {
            // Passport and driver numbers have loose formats that ordinary references
            // also fit; they are found through the untyped value below.
            if matches!(t, IdentifierType::Passport) {
                continue;
            }
            if let Ok(id) = PersonIdentifier::parse(t.as_str(), tok) {
                let value = match &id {
                    PersonIdentifier::Ni(ni) => ni.without_suffix().to_owned(),
                    other => other.value_str().to_ascii_uppercase(),
                };
                push_unique(
                    &mut q.identifiers,
                    IdentifierQuery {
                        id_type: Some(t),
                        value,
                    },
                );
                found = true;
            }
        }
        for value in [
            Vin::parse(tok).ok().map(|v| v.as_str().to_owned()),
            Imei::parse(tok).ok().map(|v| v.as_str().to_owned()),
        ]
        .into_iter()
        .flatten()
        {
            push_unique(
                &mut q.identifiers,
                IdentifierQuery {
                    id_type: None,
                    value,
                },
            );
            found = true;
        }
        if has_alpha && let Ok(v) = Vrm::parse(tok) {
            push_unique(&mut q.vrms, v.as_str().to_owned());
            found = true;
        }
        if is_district(tok) {
            push_unique(
                &mut q.postcodes,
                PostcodeQuery::District(tok.to_ascii_uppercase()),
            );
            found = true;
        }
        if !found || tok.len() >= 5 {
            // Any other reference (a passport, a serial number, a UPRN) is looked up as
            // typed, compacted.
            let compact = compact(tok);
            if compact.len() >= 3 {
                push_unique(
                    &mut q.identifiers,
                    IdentifierQuery {
                        id_type: None,
                        value: compact,
                    },
                );
            }
        }
        return;
    }
    if is_name_word(tok) {
        q.names.push(tok.to_owned());
    }
    for w in fold(tok).split_whitespace() {
        if !q.words.iter().any(|x| x == w) {
            q.words.push(w.to_owned());
        }
    }
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, item: T) {
    if !v.contains(&item) {
        v.push(item);
    }
}

/// Upper case, letters and digits only.
pub fn compact(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase()
}

/// A word that can be part of a name: letters, with apostrophes, hyphens and full stops
/// ("O'Neill", "Smith-Jones", "J.").
fn is_name_word(tok: &str) -> bool {
    tok.chars().any(char::is_alphabetic)
        && tok
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, '\'' | '’' | '-' | '.'))
}

/// The first half of a current GB registration: two letters and two digits ("AB12"),
/// any of them possibly a wildcard ("AB1?").
fn is_gb_age_identifier(tok: &str) -> bool {
    let b = tok.as_bytes();
    let wild = |c: &u8| *c == b'?' || *c == b'*';
    b.len() == 4
        && b[..2].iter().all(|c| c.is_ascii_alphabetic() || wild(c))
        && b[2..].iter().all(|c| c.is_ascii_digit() || wild(c))
        && b.iter().any(u8::is_ascii_alphanumeric)
}

/// A postcode district: one or two letters, a digit, then an optional letter or digit
/// ("M1", "LS1", "SW1A", "EC1V", "B33").
fn is_district(tok: &str) -> bool {
    let b = tok.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if !(1..=2).contains(&letters) || b.len() < letters + 1 || b.len() > letters + 2 {
        return false;
    }
    b[letters].is_ascii_digit() && b[letters + 1..].iter().all(u8::is_ascii_alphanumeric)
}

/// Long enough and shaped like a phone number: starts with `+`, `0` or `(0`, and holds at
/// least ten digits.
fn looks_like_phone(tok: &str) -> bool {
    let digits = tok.bytes().filter(u8::is_ascii_digit).count();
    (tok.starts_with('+') || tok.starts_with('0') || tok.starts_with("(0"))
        && digits >= 10
        && tok
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '(' | ')' | '-' | '.'))
}

/// A date-of-birth search as typed: `12/05/1980`, `12-05-1980`, `1980-05-12`, `05/1980`,
/// `1980-05`, `1980`, or a range of years `1975-1980` / `1975..1980`. Years must lie
/// between 1890 and today's year.
pub fn parse_dob_query(tok: &str, today: Date) -> Option<DobQuery> {
    let year_ok = |y: i16| (1890..=today.year()).contains(&y);
    let num = |s: &str| -> Option<i16> {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if let Some((a, b)) = tok.split_once("..") {
        let (a, b) = (num(a)?, num(b)?);
        if a > 999 && b > 999 && year_ok(a) && year_ok(b) && a <= b {
            return Some(DobQuery::Range {
                from: Date::new(a, 1, 1).ok()?,
                to: Date::new(b, 12, 31).ok()?,
            });
        }
        return None;
    }
    let parts: Vec<&str> = tok.split(['/', '-', '.']).collect();
    match parts.as_slice() {
        [y] if y.len() == 4 => {
            let y = num(y)?;
            year_ok(y).then_some(DobQuery::Year(y))
        }
        [a, b] if a.len() == 4 && b.len() == 4 => {
            // A range of years written with a hyphen.
            let (a, b) = (num(a)?, num(b)?);
            if !(year_ok(a) && year_ok(b) && a <= b) {
                return None;
            }
            Some(DobQuery::Range {
                from: Date::new(a, 1, 1).ok()?,
                to: Date::new(b, 12, 31).ok()?,
            })
        }
        [a, b] => {
            let (m, y) = if a.len() == 4 {
                (num(b)?, num(a)?)
            } else {
                (num(a)?, num(b)?)
            };
            let m = i8::try_from(m).ok()?;
            (y > 999 && year_ok(y) && (1..=12).contains(&m))
                .then_some(DobQuery::MonthYear { year: y, month: m })
        }
        [a, b, c] => {
            let (y, m, d) = if a.len() == 4 {
                (num(a)?, num(b)?, num(c)?)
            } else {
                (num(c)?, num(b)?, num(a)?)
            };
            if y < 1000 || !year_ok(y) {
                return None;
            }
            let date = Date::new(y, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()?;
            (date <= today).then_some(DobQuery::Date(date))
        }
        _ => None,
    }
}

/// The search for a recorded date of birth (search before create): its date, month or year.
pub fn dob_query_of(dob: &DateOfBirth) -> Option<DobQuery> {
    match *dob {
        DateOfBirth::Full(d) => Some(DobQuery::Date(d)),
        DateOfBirth::MonthYear { year, month } => Some(DobQuery::MonthYear { year, month }),
        DateOfBirth::Year(y) => Some(DobQuery::Year(y)),
        DateOfBirth::Unknown => None,
    }
}

/// The date of birth a date-of-birth query describes, for scoring against a record; `None`
/// for ranges and ages (scored by whether the record falls inside).
pub fn dob_of_query(q: &DobQuery) -> Option<DateOfBirth> {
    match *q {
        DobQuery::Date(d) => Some(DateOfBirth::Full(d)),
        DobQuery::MonthYear { year, month } => Some(DateOfBirth::MonthYear { year, month }),
        DobQuery::Year(y) => Some(DateOfBirth::Year(y)),
        DobQuery::Range { .. } | DobQuery::AgeAt { .. } | DobQuery::AgeBetween { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2026, 11, 30).unwrap()
    }

    fn p(s: &str) -> ParsedQuery {
        parse_query(s, today()).unwrap()
    }

    #[test]
    fn names_and_a_date_of_birth() {
        let q = p("John Smith 12/05/1980");
        assert_eq!(q.names, ["John", "Smith"]);
        assert_eq!(
            q.family_and_given(),
            Some(("Smith".into(), Some("John".into())))
        );
        assert_eq!(q.dob, Some(DobQuery::Date(Date::new(1980, 5, 12).unwrap())));
        assert_eq!(q.words, ["john", "smith"]);
        assert_eq!(
            q.describe(),
            [
                "name John Smith",
                "born 12/05/1980 (or with day and month swapped)",
                "words john smith"
            ]
        );
    }

    #[test]
    fn a_comma_puts_the_family_name_first() {
        let q = p("SMITH, John Paul");
        assert!(q.family_first);
        assert_eq!(
            q.family_and_given(),
            Some(("SMITH".into(), Some("John Paul".into())))
        );
    }

    #[test]
    fn partial_dates_and_ranges() {
        assert_eq!(
            p("05/1980").dob,
            Some(DobQuery::MonthYear {
                year: 1980,
                month: 5
            })
        );
        assert_eq!(
            p("1980-05").dob,
            Some(DobQuery::MonthYear {
                year: 1980,
                month: 5
            })
        );
        assert_eq!(p("1980").dob, Some(DobQuery::Year(1980)));
        assert!(matches!(p("1975-1980").dob, Some(DobQuery::Range { .. })));
        assert!(matches!(p("1975..1980").dob, Some(DobQuery::Range { .. })));
        assert_eq!(p("1980-05-12").dob, p("12/05/1980").dob);
        // Impossible or future dates are not dates of birth.
        assert_eq!(p("31/02/1980").dob, None);
        assert_eq!(p("2030").dob, None);
    }

    #[test]
    fn postcodes_at_three_precisions() {
        assert_eq!(
            p("sw1a 1aa").postcodes,
            [PostcodeQuery::Full("SW1A 1AA".into())]
        );
        assert_eq!(
            p("SW1A1AA").postcodes,
            [PostcodeQuery::Full("SW1A 1AA".into())]
        );
        assert_eq!(
            p("LS1 4").postcodes,
            [PostcodeQuery::Sector("LS1 4".into())]
        );
        assert!(
            p("LS1")
                .postcodes
                .contains(&PostcodeQuery::District("LS1".into()))
        );
    }

    #[test]
    fn registrations_with_wildcards() {
        assert_eq!(p("ab12*").vrms, ["AB12*"]);
        assert_eq!(p("AB12 C?E").vrms, ["AB12C?E"]);
        assert_eq!(p("ab12 cde").vrms, ["AB12CDE"]);
        assert_eq!(p("AB12CDE").vrms, ["AB12CDE"]);
    }

    #[test]
    fn phones_in_any_format_become_e164() {
        assert_eq!(p("07700 900123").phones.len(), 0, "two tokens: not a phone");
        assert_eq!(p("07700900123").phones, ["+447700900123"]);
        assert_eq!(p("+44(0)7700900123").phones, ["+447700900123"]);
    }

    #[test]
    fn identifiers_are_recognised_by_format() {
        let q = p("AB123456C");
        assert!(q.identifiers.contains(&IdentifierQuery {
            id_type: Some(IdentifierType::Ni),
            value: "AB123456".into()
        }));
        let q = p("123456789");
        assert!(
            q.identifiers.iter().any(|i| i.value == "123456789"),
            "any number-bearing reference is looked up as typed: {q:?}"
        );
        assert!(q.names.is_empty() && q.words.is_empty());
    }

    #[test]
    fn words_are_folded_and_names_keep_their_punctuation() {
        let q = p("Łukasz O'Neill-Brown burglary");
        assert_eq!(q.names, ["Łukasz", "O'Neill-Brown", "burglary"]);
        assert_eq!(q.words, ["lukasz", "oneill", "brown", "burglary"]);
    }

    #[test]
    fn a_recorded_date_of_birth_searches_for_itself() {
        for dob in [
            DateOfBirth::Full(Date::new(1980, 5, 12).unwrap()),
            DateOfBirth::MonthYear {
                year: 1980,
                month: 5,
            },
            DateOfBirth::Year(1980),
        ] {
            assert_eq!(dob_of_query(&dob_query_of(&dob).unwrap()), Some(dob));
        }
        assert_eq!(dob_query_of(&DateOfBirth::Unknown), None);
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        assert_eq!(
            parse_query(&"a".repeat(501), today()),
            Err(QueryError::TooLong)
        );
        assert_eq!(
            parse_query("smith\u{0}", today()),
            Err(QueryError::ControlCharacters)
        );
        assert!(p("   ").is_empty());
    }
}
