//! Input clean-up shared by every value type: trimming, whitespace collapsing, refusing
//! control and hidden characters, and a cheap size check before any per-character work.
//!
//! Nothing here decides whether a value is valid for its domain; it only turns raw form or
//! JSON input into a tidy string (or says why it cannot). It must never echo the input back
//! in a message, because inputs may be personal data that ends up in logs.

/// Upper bound on the bytes of raw input worth looking at for a value of at most
/// `max_chars` characters. A character is at most 4 bytes in UTF-8; the slack allows for
/// surrounding and repeated whitespace that trimming and collapsing will remove. Anything
/// longer is refused before we walk its characters, so a 10 MB body costs one comparison.
pub(crate) const fn max_input_bytes(max_chars: usize) -> usize {
    max_chars * 4 + 1024
}

/// Why raw text could not be cleaned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextProblem {
    /// Nothing left after trimming.
    Empty,
    /// More characters than the type allows.
    TooLong,
    /// A control character (tab, line break, NUL, ...) or an invisible formatting character.
    Hidden,
}

/// Invisible characters that change how text is shown without being visible themselves:
/// bidirectional overrides and isolates (the "Trojan Source" family, which can make a name
/// or reference read differently on screen from what is stored), direction marks, and the
/// byte-order mark. Refused in every text type so what a user sees is what we store.
pub(crate) fn is_invisible_formatting(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Trims, refuses control and invisible formatting characters, collapses every run of
/// internal whitespace (including no-break spaces) to one space, and bounds the length in
/// characters. A tab or line break at either end is trimmed away; inside the text it is
/// refused, because a single-line field that contains one was almost certainly pasted
/// from somewhere else by mistake.
pub(crate) fn single_line(s: &str, max_chars: usize) -> Result<String, TextProblem> {
    if s.len() > max_input_bytes(max_chars) {
        return Err(TextProblem::TooLong);
    }
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return Err(TextProblem::Empty);
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() || is_invisible_formatting(c))
    {
        return Err(TextProblem::Hidden);
    }
    let collapsed = trimmed.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() > max_chars {
        return Err(TextProblem::TooLong);
    }
    Ok(collapsed)
}

/// Trims and removes every whitespace character, upper-casing ASCII letters: the form in
/// which reference numbers (postcodes, registrations, identifiers) are compared. Returns
/// `None` when the input is longer than `max_bytes` (checked before any character work) or
/// contains a control or invisible formatting character; callers then give their own
/// "enter it like this" message.
pub(crate) fn compact_upper(s: &str, max_bytes: usize) -> Option<String> {
    if s.len() > max_bytes {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_whitespace() {
            continue;
        }
        if c.is_control() || is_invisible_formatting(c) {
            return None;
        }
        out.push(c.to_ascii_uppercase());
    }
    Some(out)
}

/// Implements `Display`, `FromStr`, `TryFrom<String>` and `From<T> for String` for a value
/// type that has `parse(&str) -> Result<Self, String>` and `as_str(&self) -> &str`. The
/// serde attributes `try_from = "String", into = "String"` then make stored JSON go back
/// through `parse`, so a value read from storage is as valid as one typed into a form.
macro_rules! string_value {
    ($t:ty) => {
        impl ::std::fmt::Display for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$t>::parse(s)
            }
        }

        impl TryFrom<String> for $t {
            type Error = String;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                <$t>::parse(&s)
            }
        }

        impl From<$t> for String {
            fn from(value: $t) -> String {
                value.as_str().to_owned()
            }
        }
    };
}

pub(crate) use string_value;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line_trims_and_collapses_internal_whitespace() {
        assert_eq!(
            single_line("  Ford \u{a0}  Focus\t", 100).as_deref(),
            Ok("Ford Focus")
        );
    }

    #[test]
    fn single_line_refuses_internal_line_break() {
        assert_eq!(single_line("Ford\nFocus", 100), Err(TextProblem::Hidden));
    }

    #[test]
    fn single_line_refuses_bidi_override() {
        assert_eq!(single_line("abc\u{202E}def", 100), Err(TextProblem::Hidden));
    }

    #[test]
    fn single_line_refuses_huge_input_by_byte_length() {
        let huge = "a".repeat(10 * 1024 * 1024);
        assert_eq!(single_line(&huge, 100), Err(TextProblem::TooLong));
    }

    #[test]
    fn single_line_counts_characters_not_bytes() {
        // 100 two-byte characters fit a 100-character limit.
        let s = "é".repeat(100);
        assert!(single_line(&s, 100).is_ok());
        assert_eq!(
            single_line(&"é".repeat(101), 100),
            Err(TextProblem::TooLong)
        );
    }

    #[test]
    fn compact_upper_removes_spaces_and_upper_cases() {
        assert_eq!(compact_upper(" sw1a 1aa ", 32).as_deref(), Some("SW1A1AA"));
        assert_eq!(compact_upper("ab\u{0}c", 32), None);
        assert_eq!(compact_upper(&"a".repeat(33), 32), None);
    }
}
