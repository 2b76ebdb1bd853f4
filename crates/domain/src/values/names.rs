//! Personal names: [`NamePart`] (a family name, or the given names, as one string) and
//! [`NameType`] (why a person has an extra name: alias, maiden name, ...).
//!
//! A name is kept exactly as the person gives it (case included) apart from tidy
//! whitespace, in any script: a PNC nominal record or a custody record must not turn
//! "Łukasz" into "Lukasz" or "McDonald" into "Mcdonald". It must never accept digits or
//! symbols, which in a name field are almost always a typing or pasting mistake.

use serde::{Deserialize, Serialize};

use super::clean::{TextProblem, single_line, string_value};

const NAME_CHARS_MESSAGE: &str =
    "Name must only include letters, spaces, hyphens, apostrophes and full stops";

/// A family name or the given names of a person: 1 to 100 characters of letters of any
/// script (accents and combining marks included), spaces, hyphens, apostrophes (`'` and
/// `’`) and full stops. The user's case is kept; runs of whitespace become one space.
///
/// Text is not Unicode-normalised (no normalisation tables without another dependency), so
/// "é" typed as one character and as "e" plus a combining accent are different values;
/// matching of names is the search layer's job, not this type's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NamePart(String);

impl NamePart {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(s: &str) -> Result<Self, String> {
        let text = match single_line(s, Self::MAX_CHARS) {
            Ok(text) => text,
            Err(TextProblem::Empty) => return Err("Enter a name".to_owned()),
            Err(TextProblem::TooLong) => {
                return Err(format!(
                    "Name must be {} characters or fewer",
                    Self::MAX_CHARS
                ));
            }
            Err(TextProblem::Hidden) => return Err(NAME_CHARS_MESSAGE.to_owned()),
        };
        if text.chars().any(char::is_numeric) {
            return Err("Name must not include numbers".to_owned());
        }
        if !text.chars().all(is_name_char) {
            return Err(NAME_CHARS_MESSAGE.to_owned());
        }
        // A name needs at least one letter: "-" or "." alone is not a name.
        if !text.chars().any(char::is_alphabetic) {
            return Err("Enter a name".to_owned());
        }
        // A combining mark must follow the letter it modifies.
        if text.chars().next().is_some_and(is_combining_mark) {
            return Err(NAME_CHARS_MESSAGE.to_owned());
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(NamePart);

fn is_name_char(c: char) -> bool {
    c.is_alphabetic()
        || is_combining_mark(c)
        // Both the typewriter apostrophe and the typographic one (what phones and word
        // processors insert): O'Brien and O’Brien.
        || matches!(c, ' ' | '-' | '\'' | '\u{2019}' | '.')
        // Zero-width non-joiner and joiner: required to spell some Persian and Indic names.
        || matches!(c, '\u{200C}' | '\u{200D}')
}

/// Combining marks that are not themselves "alphabetic" in Unicode but are needed to write
/// names: decomposed accents (Nguyễn typed as e + ◌̂ + ◌̃), Hebrew and Arabic vowel points,
/// and the Indic virama and nukta. Listed by range because the standard library has no
/// general-category lookup.
fn is_combining_mark(c: char) -> bool {
    let u = c as u32;
    match u {
        0x0300..=0x036F // Combining Diacritical Marks
        | 0x0483..=0x0489 // Cyrillic
        | 0x0591..=0x05BD | 0x05BF | 0x05C1..=0x05C2 | 0x05C4..=0x05C5 | 0x05C7 // Hebrew
        | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06DC | 0x06DF..=0x06E4
        | 0x06E7..=0x06E8 | 0x06EA..=0x06ED // Arabic
        | 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E // Thai
        | 0x0EB1 | 0x0EB4..=0x0EBC | 0x0EC8..=0x0ECE // Lao
        | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F => true,
        // The ten Indic blocks (Devanagari to Sinhala) share one layout: signs at the same
        // offsets in each 128-code-point block.
        0x0900..=0x0DFF => matches!(
            u & 0x7F,
            0x00..=0x03 | 0x3B..=0x3C | 0x3E..=0x4D | 0x51..=0x57 | 0x62..=0x63
        ),
        _ => false,
    }
}

/// Why a person has a name other than their main one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum NameType {
    Alias,
    Maiden,
    Nickname,
    Previous,
    Other,
}

impl NameType {
    pub const ALL: [NameType; 5] = [
        NameType::Alias,
        NameType::Maiden,
        NameType::Nickname,
        NameType::Previous,
        NameType::Other,
    ];

    /// Parses the stored or submitted snake_case form (`alias`, `maiden`, ...).
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| "Select the type of name".to_owned())
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            NameType::Alias => "alias",
            NameType::Maiden => "maiden",
            NameType::Nickname => "nickname",
            NameType::Previous => "previous",
            NameType::Other => "other",
        }
    }

    /// The words shown on a page.
    pub fn label(&self) -> &'static str {
        match self {
            NameType::Alias => "Alias",
            NameType::Maiden => "Maiden name",
            NameType::Nickname => "Nickname",
            NameType::Previous => "Previous name",
            NameType::Other => "Other name",
        }
    }
}

string_value!(NameType);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn name_accepts_accented_latin_names() {
        for name in ["Łukasz", "Siobhán", "Nguyễn", "Zoë", "José María", "Søren"] {
            assert_eq!(NamePart::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn name_accepts_decomposed_accents() {
        // "Nguyễn" written with combining circumflex and tilde after a plain "e".
        let decomposed = "Nguye\u{0302}\u{0303}n";
        assert_eq!(NamePart::parse(decomposed).unwrap().as_str(), decomposed);
    }

    #[test]
    fn name_accepts_other_scripts() {
        for name in ["Дмитрий", "محمد", "李", "田中", "Γιώργος", "कृष्ण", "יִצְחָק"]
        {
            assert!(NamePart::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn name_accepts_hyphens_apostrophes_and_full_stops() {
        for name in ["O'Brien", "O’Brien", "Smith-Jones", "St. John", "'t Hooft"] {
            assert_eq!(NamePart::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn name_keeps_case_and_collapses_whitespace() {
        assert_eq!(
            NamePart::parse("  mary   ANNE  ").unwrap().as_str(),
            "mary ANNE"
        );
        assert_eq!(NamePart::parse("McDonald").unwrap().as_str(), "McDonald");
    }

    #[test]
    fn name_rejects_digits() {
        assert_eq!(
            NamePart::parse("John2"),
            Err("Name must not include numbers".to_owned())
        );
        // Arabic-Indic digit three.
        assert!(NamePart::parse("Ali\u{0663}").is_err());
    }

    #[test]
    fn name_rejects_symbols() {
        for name in ["John!", "a@b", "Smith & Co", "J_Smith", "Anne/Marie", "😀"] {
            assert_eq!(
                NamePart::parse(name),
                Err(NAME_CHARS_MESSAGE.to_owned()),
                "{name}"
            );
        }
    }

    #[test]
    fn name_rejects_empty_and_punctuation_only() {
        assert_eq!(NamePart::parse("  "), Err("Enter a name".to_owned()));
        assert_eq!(NamePart::parse("-"), Err("Enter a name".to_owned()));
        assert_eq!(NamePart::parse(". '"), Err("Enter a name".to_owned()));
    }

    #[test]
    fn name_rejects_leading_combining_mark() {
        assert!(NamePart::parse("\u{0301}Anne").is_err());
    }

    #[test]
    fn name_rejects_over_100_characters() {
        assert!(NamePart::parse(&"a".repeat(100)).is_ok());
        assert_eq!(
            NamePart::parse(&"a".repeat(101)),
            Err("Name must be 100 characters or fewer".to_owned())
        );
        assert!(NamePart::parse(&"a".repeat(10 * 1024 * 1024)).is_err());
    }

    #[test]
    fn name_rejects_control_and_bidi_characters() {
        assert!(NamePart::parse("Ann\ne").is_err());
        assert!(NamePart::parse("Ann\u{202E}e").is_err());
    }

    #[test]
    fn name_serde_revalidates() {
        let n: NamePart = serde_json::from_str("\" Siobhán \"").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"Siobhán\"");
        assert!(serde_json::from_str::<NamePart>("\"R2D2\"").is_err());
    }

    #[test]
    fn name_type_parses_snake_case_and_round_trips() {
        for t in NameType::ALL {
            assert_eq!(NameType::parse(t.as_str()), Ok(t));
            assert_eq!(t.to_string().parse::<NameType>(), Ok(t));
        }
        assert_eq!(NameType::parse(" Maiden "), Ok(NameType::Maiden));
        assert_eq!(NameType::Maiden.label(), "Maiden name");
    }

    #[test]
    fn name_type_rejects_unknown_value() {
        assert_eq!(
            NameType::parse("nick_name"),
            Err("Select the type of name".to_owned())
        );
        assert!(NameType::parse("").is_err());
    }

    #[test]
    fn name_type_serialises_as_snake_case_string() {
        assert_eq!(
            serde_json::to_string(&NameType::Nickname).unwrap(),
            "\"nickname\""
        );
        assert_eq!(
            serde_json::from_str::<NameType>("\"previous\"").unwrap(),
            NameType::Previous
        );
    }

    proptest! {
        #[test]
        fn name_parse_never_panics(s in any::<String>()) {
            let _ = NamePart::parse(&s);
        }

        #[test]
        fn valid_name_round_trips_through_display(
            s in "[A-Za-zÀ-ÖØ-öø-ÿŁłŚśĄą ’'.-]{1,100}"
        ) {
            if let Ok(n) = NamePart::parse(&s) {
                prop_assert_eq!(NamePart::parse(&n.to_string()), Ok(n.clone()));
            }
        }

        #[test]
        fn name_with_a_digit_is_always_rejected(
            a in "[A-Za-z]{1,20}", d in "[0-9]", b in "[A-Za-z]{0,20}"
        ) {
            let s = format!("{a}{d}{b}");
            prop_assert!(NamePart::parse(&s).is_err());
        }
    }
}
