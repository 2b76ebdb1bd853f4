//! What the match model compares: a person reduced to folded names, sound-alike codes,
//! date of birth, gender, identifiers, postcodes, telephone numbers, and the details a fuller record carries
//! (self-defined ethnicity, nationality, place of birth, height). Built once per record
//! ([`PersonFeatures::from_person`]) and compared many times.

use bluelamp_domain::pole::Person;
use bluelamp_domain::values::{
    DateOfBirth, Ethnicity, Gender, IdentifierType, NameType, PersonIdentifier, Postcode,
};

use crate::normalise::{fold, name_tokens, surname_keys};
use crate::phonetic::{double_metaphone, soundex};

/// One name a person is known by (their own name, or an alias, maiden name, ...), folded.
#[derive(Debug, Clone, PartialEq)]
pub struct NameFeatures {
    /// The family name as recorded, for explanations.
    pub display_family: String,
    /// The given names as recorded, for explanations.
    pub display_given: Option<String>,
    /// Folded family-name parts, particles dropped ([`name_tokens`]).
    pub family: Vec<String>,
    /// Keys the family name is found under ([`surname_keys`]); the first is the whole name.
    pub family_keys: Vec<String>,
    /// Folded given names in order; an initial is a one-letter token ("J. W." gives
    /// ["j", "w"]).
    pub given: Vec<String>,
    /// The first letter of each given name ("jw").
    pub initials: String,
    /// Double Metaphone codes (primary and alternate) of every family key, each once.
    pub family_codes: Vec<String>,
    /// Soundex of the whole family name.
    pub family_soundex: String,
    /// Double Metaphone codes of the first given name (empty for an initial).
    pub given_codes: Vec<String>,
    /// `None` for the person's own name; the kind of other name otherwise.
    pub name_type: Option<NameType>,
}

impl NameFeatures {
    /// Folds a family name and optional given names.
    pub fn new(family: &str, given: Option<&str>, name_type: Option<NameType>) -> Self {
        let family_keys = surname_keys(family);
        let given_tokens: Vec<String> = given
            .map(|g| fold(g).split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        let initials = given_tokens
            .iter()
            .filter_map(|t| t.chars().next())
            .collect();
        let mut family_codes = Vec::new();
        for k in &family_keys {
            push_codes(&mut family_codes, k);
        }
        let mut given_codes = Vec::new();
        if let Some(first) = given_tokens.first().filter(|t| t.chars().count() > 1) {
            push_codes(&mut given_codes, first);
        }
        NameFeatures {
            display_family: family.trim().to_owned(),
            display_given: given.map(|g| g.trim().to_owned()).filter(|g| !g.is_empty()),
            family: name_tokens(family),
            family_soundex: family_keys.first().map(|k| soundex(k)).unwrap_or_default(),
            family_keys,
            given: given_tokens,
            initials,
            family_codes,
            given_codes,
            name_type,
        }
    }

    /// The first given name, when there is one.
    pub fn first_given(&self) -> Option<&str> {
        self.given.first().map(String::as_str)
    }

    /// The first initial, when there are given names.
    pub fn first_initial(&self) -> Option<char> {
        self.initials.chars().next()
    }
}

fn push_codes(codes: &mut Vec<String>, word: &str) {
    let (p, a) = double_metaphone(word);
    for c in [p, a] {
        if !c.is_empty() && !codes.contains(&c) {
            codes.push(c);
        }
    }
}

/// Everything the match model and blocking use about one person. The index stores it
/// computed once ([`crate::encoding`]), so search re-ranks without re-reading the record.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonFeatures {
    /// The person's own name.
    pub name: NameFeatures,
    /// Other names (aliases, maiden and previous names, nicknames). One recorded without
    /// given names takes the person's own given names (a maiden name is a family name).
    pub aliases: Vec<NameFeatures>,
    pub dob: DateOfBirth,
    pub gender: Gender,
    /// Identifiers by type, values in canonical form (an NI number without its suffix
    /// letter, which is often left off).
    pub identifiers: Vec<(IdentifierType, String)>,
    /// Postcodes of known addresses, canonical (`SW1A 1AA`), each once.
    pub postcodes: Vec<String>,
    /// Telephone numbers the person is linked to (as user or owner of a phone), as the
    /// store holds them (E.164, `+447700900123`), each once.
    pub phones: Vec<String>,
    /// Self-defined ethnicity code (`W1`, `A2`, ...); `None` when not recorded or "not
    /// stated".
    pub ethnicity: Option<String>,
    /// Nationality, ISO 3166-1 alpha-3.
    pub nationality: Option<String>,
    /// Place of birth, folded (`Kraków` gives `krakow`).
    pub place_of_birth: Option<String>,
    /// Height in centimetres.
    pub height_cm: Option<u16>,
}

impl PersonFeatures {
    /// Features of a person; `addresses` are the postcodes (or address lines ending in a
    /// postcode) of the addresses the person is linked to. Strings with no recognisable
    /// postcode are ignored.
    pub fn from_person(person: &Person, addresses: &[String]) -> Self {
        let given = person.given_names.as_ref().map(|g| g.as_str());
        let name = NameFeatures::new(person.family_name.as_str(), given, None);
        let aliases = person
            .other_names
            .iter()
            .map(|o| {
                let alias_given = o.given_names.as_ref().map(|g| g.as_str()).or(given);
                NameFeatures::new(o.family_name.as_str(), alias_given, Some(o.name_type))
            })
            .collect();
        let mut identifiers: Vec<(IdentifierType, String)> = Vec::new();
        for id in &person.identifiers {
            let value = match id {
                PersonIdentifier::Ni(ni) => ni.without_suffix().to_owned(),
                other => other.value_str(),
            };
            let entry = (id.id_type(), value.to_ascii_uppercase());
            if !identifiers.contains(&entry) {
                identifiers.push(entry);
            }
        }
        let mut postcodes: Vec<String> = Vec::new();
        for a in addresses {
            if let Some(p) = find_postcode(a)
                && !postcodes.contains(&p)
            {
                postcodes.push(p);
            }
        }
        PersonFeatures {
            name,
            aliases,
            dob: person.date_of_birth,
            gender: person.gender,
            identifiers,
            postcodes,
            phones: Vec::new(),
            ethnicity: person
                .ethnicity
                .filter(|e| *e != Ethnicity::NS)
                .map(|e| e.code().to_owned()),
            nationality: person.nationality.map(|n| n.code().to_owned()),
            place_of_birth: person
                .place_of_birth
                .as_ref()
                .map(|p| {
                    fold(p.as_str())
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .filter(|p| !p.is_empty()),
            height_cm: person.description.height_cm,
        }
    }

    /// The same features with the telephone numbers of the phones the person is linked to
    /// (blank ones left out, each kept once).
    #[must_use]
    pub fn with_phones<S: AsRef<str>>(mut self, numbers: &[S]) -> Self {
        for n in numbers {
            let n = n.as_ref().trim();
            if !n.is_empty() && !self.phones.iter().any(|p| p == n) {
                self.phones.push(n.to_owned());
            }
        }
        self
    }

    /// The person's own name, then every other name.
    pub fn names(&self) -> impl Iterator<Item = &NameFeatures> {
        std::iter::once(&self.name).chain(&self.aliases)
    }
}

/// The canonical postcode in a string that is a postcode or ends with one.
fn find_postcode(s: &str) -> Option<String> {
    if let Ok(p) = Postcode::parse(s) {
        return Some(p.as_str().to_owned());
    }
    let words: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let n = words.len();
    let tail = match n {
        0 => return None,
        1 => words[0].to_owned(),
        _ => format!("{}{}", words[n - 2], words[n - 1]),
    };
    Postcode::parse(&tail)
        .or_else(|_| Postcode::parse(words[n - 1]))
        .ok()
        .map(|p| p.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use bluelamp_domain::pole::input::{IdentifierInput, OtherNameInput, PersonInput};
    use jiff::civil::date;

    fn person(input: PersonInput) -> Person {
        Person::parse(&input, date(2026, 1, 1)).unwrap().0
    }

    #[test]
    fn features_fold_names_and_keep_display_forms() {
        let p = person(PersonInput {
            family_name: "Smith-Jones".into(),
            given_names: "Łukasz  J.".into(),
            date_of_birth: "1985-03".into(),
            ..Default::default()
        });
        let f = PersonFeatures::from_person(&p, &[]);
        assert_eq!(f.name.display_family, "Smith-Jones");
        assert_eq!(f.name.family, vec!["smith", "jones"]);
        assert_eq!(f.name.family_keys, vec!["smithjones", "smith", "jones"]);
        assert_eq!(f.name.given, vec!["lukasz", "j"]);
        assert_eq!(f.name.initials, "lj");
        assert!(f.name.family_codes.contains(&"SM0".to_owned()));
        assert!(f.name.family_codes.contains(&"JNS".to_owned()));
        assert_eq!(
            f.dob,
            DateOfBirth::MonthYear {
                year: 1985,
                month: 3
            }
        );
    }

    #[test]
    fn aliases_without_given_names_take_the_persons_own() {
        let p = person(PersonInput {
            family_name: "Smith".into(),
            given_names: "Jane".into(),
            other_names: vec![
                OtherNameInput {
                    family_name: "Brown".into(),
                    name_type: "maiden".into(),
                    ..Default::default()
                },
                OtherNameInput {
                    family_name: "Smith".into(),
                    given_names: "Janey".into(),
                    name_type: "nickname".into(),
                },
            ],
            ..Default::default()
        });
        let f = PersonFeatures::from_person(&p, &[]);
        assert_eq!(f.aliases.len(), 2);
        assert_eq!(f.aliases[0].given, vec!["jane"]);
        assert_eq!(f.aliases[0].name_type, Some(NameType::Maiden));
        assert_eq!(f.aliases[1].given, vec!["janey"]);
        assert_eq!(f.names().count(), 3);
    }

    #[test]
    fn identifiers_are_canonical_and_ni_drops_its_suffix() {
        let p = person(PersonInput {
            family_name: "Smith".into(),
            identifiers: vec![
                IdentifierInput {
                    id_type: "NI".into(),
                    value: "qq 12 34 56 c".into(),
                },
                IdentifierInput {
                    id_type: "PNC".into(),
                    value: "2002/0073319Z".into(),
                },
            ],
            ..Default::default()
        });
        let f = PersonFeatures::from_person(&p, &[]);
        assert!(
            f.identifiers
                .contains(&(IdentifierType::Ni, "QQ123456".to_owned()))
        );
        assert!(
            f.identifiers
                .iter()
                .any(|(t, v)| *t == IdentifierType::Pnc && v.contains("73319"))
        );
    }

    #[test]
    fn postcodes_are_found_in_address_strings() {
        let p = person(PersonInput {
            family_name: "Smith".into(),
            ..Default::default()
        });
        let f = PersonFeatures::from_person(
            &p,
            &[
                "sw1a1aa".to_owned(),
                "10 Downing Street, London, SW1A 2AA".to_owned(),
                "SW1A 1AA".to_owned(),
                "no postcode here".to_owned(),
            ],
        );
        assert_eq!(f.postcodes, vec!["SW1A 1AA", "SW1A 2AA"]);
    }
}
