//! Free text fields: [`ShortText`] for single-line details (a vehicle's make, a town, a
//! place of birth) and [`LongText`] for narrative (a description, an account, a note).
//!
//! Both refuse control and invisible formatting characters and bound their length, so a
//! stored value can always be shown on a page as it was typed. Neither may be empty: a
//! caller treats an empty form field as "not given" and keeps an `Option` rather than
//! storing an empty value.

use serde::{Deserialize, Serialize};

use super::clean::{
    TextProblem, is_invisible_formatting, max_input_bytes, single_line, string_value,
};

/// A single line of text, 1 to 100 characters, trimmed, with internal whitespace collapsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ShortText(String);

impl ShortText {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(s: &str) -> Result<Self, String> {
        match single_line(s, Self::MAX_CHARS) {
            Ok(text) => Ok(Self(text)),
            Err(TextProblem::Empty) => Err("Enter a value".to_owned()),
            Err(TextProblem::TooLong) => {
                Err(format!("Enter {} characters or fewer", Self::MAX_CHARS))
            }
            Err(TextProblem::Hidden) => {
                Err("Remove line breaks, tabs and hidden characters".to_owned())
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(ShortText);

/// Narrative text of up to 20,000 characters. Line breaks and tabs are kept; line endings
/// are normalised to `\n`; other control characters are refused.
///
/// Internal whitespace is deliberately NOT collapsed (unlike every other text type): a
/// statement's or description's layout is part of what the person wrote, and an officer
/// reading it back must see it as it was entered.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LongText(String);

impl LongText {
    pub const MAX_CHARS: usize = 20_000;

    pub fn parse(s: &str) -> Result<Self, String> {
        let too_long = || format!("Enter {} characters or fewer", "20,000");
        if s.len() > max_input_bytes(Self::MAX_CHARS) {
            return Err(too_long());
        }
        // Windows and old Mac line endings become `\n`, so the same text typed on any
        // machine is stored (and compared) the same way.
        let normalised = s.replace("\r\n", "\n").replace('\r', "\n");
        let trimmed = normalised.trim();
        if trimmed.is_empty() {
            return Err("Enter a value".to_owned());
        }
        if trimmed
            .chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\t') || is_invisible_formatting(c))
        {
            return Err("Remove hidden characters".to_owned());
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(too_long());
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(LongText);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_text_accepts_make_model_and_place() {
        assert_eq!(ShortText::parse("Ford").unwrap().as_str(), "Ford");
        assert_eq!(
            ShortText::parse("Newcastle upon Tyne").unwrap().as_str(),
            "Newcastle upon Tyne"
        );
        assert_eq!(ShortText::parse("Kraków").unwrap().as_str(), "Kraków");
    }

    #[test]
    fn short_text_trims_and_collapses_whitespace() {
        assert_eq!(
            ShortText::parse("  dark   blue  ").unwrap().as_str(),
            "dark blue"
        );
    }

    #[test]
    fn short_text_rejects_empty_and_blank() {
        assert_eq!(ShortText::parse(""), Err("Enter a value".to_owned()));
        assert_eq!(ShortText::parse(" \t "), Err("Enter a value".to_owned()));
    }

    #[test]
    fn short_text_accepts_exactly_100_characters() {
        assert!(ShortText::parse(&"x".repeat(100)).is_ok());
    }

    #[test]
    fn short_text_rejects_101_characters() {
        assert_eq!(
            ShortText::parse(&"x".repeat(101)),
            Err("Enter 100 characters or fewer".to_owned())
        );
    }

    #[test]
    fn short_text_rejects_ten_megabytes_cheaply() {
        let huge = "x".repeat(10 * 1024 * 1024);
        assert!(ShortText::parse(&huge).is_err());
    }

    #[test]
    fn short_text_rejects_internal_line_break() {
        assert!(ShortText::parse("Ford\nFocus").is_err());
    }

    #[test]
    fn short_text_rejects_nul_and_escape() {
        assert!(ShortText::parse("Ford\u{0}").is_err());
        assert!(ShortText::parse("Ford\u{1b}[31m").is_err());
    }

    #[test]
    fn short_text_message_never_echoes_input() {
        let err = ShortText::parse("secret\u{0}value").unwrap_err();
        assert!(!err.contains("secret"));
    }

    #[test]
    fn short_text_serde_revalidates_stored_json() {
        let ok: ShortText = serde_json::from_str("\"  Ford \"").unwrap();
        assert_eq!(ok.as_str(), "Ford");
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"Ford\"");
        assert!(serde_json::from_str::<ShortText>("\"\"").is_err());
        assert!(serde_json::from_str::<ShortText>("\"a\\u0000b\"").is_err());
    }

    #[test]
    fn long_text_keeps_line_breaks_and_tabs() {
        let t = LongText::parse("Line one\n\n\tLine two").unwrap();
        assert_eq!(t.as_str(), "Line one\n\n\tLine two");
    }

    #[test]
    fn long_text_normalises_crlf_to_lf() {
        let t = LongText::parse("a\r\nb\rc").unwrap();
        assert_eq!(t.as_str(), "a\nb\nc");
    }

    #[test]
    fn long_text_keeps_internal_spacing() {
        assert_eq!(LongText::parse("a   b").unwrap().as_str(), "a   b");
    }

    #[test]
    fn long_text_trims_surrounding_whitespace() {
        assert_eq!(LongText::parse("\n  note \n").unwrap().as_str(), "note");
    }

    #[test]
    fn long_text_rejects_empty() {
        assert_eq!(LongText::parse(" \n "), Err("Enter a value".to_owned()));
    }

    #[test]
    fn long_text_rejects_other_control_characters() {
        assert_eq!(
            LongText::parse("bell\u{7}"),
            Err("Remove hidden characters".to_owned())
        );
        assert!(LongText::parse("a\u{202E}b").is_err());
    }

    #[test]
    fn long_text_accepts_20000_and_rejects_20001_characters() {
        assert!(LongText::parse(&"é".repeat(20_000)).is_ok());
        assert_eq!(
            LongText::parse(&"é".repeat(20_001)),
            Err("Enter 20,000 characters or fewer".to_owned())
        );
    }

    #[test]
    fn long_text_rejects_ten_megabytes_cheaply() {
        assert!(LongText::parse(&"x".repeat(10 * 1024 * 1024)).is_err());
    }

    proptest! {
        #[test]
        fn short_text_parse_never_panics(s in any::<String>()) {
            let _ = ShortText::parse(&s);
        }

        #[test]
        fn long_text_parse_never_panics(s in any::<String>()) {
            let _ = LongText::parse(&s);
        }

        #[test]
        fn short_text_round_trips_through_display(s in "[ a-zA-Z0-9é,.'-]{1,120}") {
            if let Ok(t) = ShortText::parse(&s) {
                prop_assert_eq!(ShortText::parse(&t.to_string()), Ok(t.clone()));
                prop_assert!(t.as_str().chars().count() <= ShortText::MAX_CHARS);
                prop_assert!(!t.as_str().contains("  "));
            }
        }

        #[test]
        fn long_text_round_trips_through_display(s in "[ a-z\n\t\r]{1,200}") {
            if let Ok(t) = LongText::parse(&s) {
                prop_assert_eq!(LongText::parse(t.as_str()), Ok(t.clone()));
                prop_assert!(!t.as_str().contains('\r'));
            }
        }
    }
}
