//! Phone numbers and handset identifiers. [`PhoneNumber`] is stored in E.164 form so that
//! "07700 900123", "+44 7700 900123" and "0044 (0)7700 900123" link to the same number in
//! communications data and intelligence; [`Imei`] identifies a handset.
//!
//! Neither type can tell whether a number is allocated or in use; they check shape only.

use serde::{Deserialize, Serialize};

use super::clean::string_value;

const PHONE_FORMAT: &str = "Enter a phone number, like 07700 900123 or +44 7700 900123";
const PHONE_LENGTH: &str = "Enter a phone number with the right number of digits";

/// A phone number in E.164 form: `+` then 8 to 15 digits, e.g. `+447700900123`.
///
/// UK numbers may be given nationally (leading 0) and become `+44`; international numbers
/// must start with `+` or `00`. The UK "(0)" written after the country code, and a 0
/// wrongly kept after `+44`, are both dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() > 64 {
            return Err(PHONE_FORMAT.to_owned());
        }
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err("Enter a phone number".to_owned());
        }
        let international_prefix = trimmed.starts_with('+') || trimmed.starts_with("00");
        // "+44 (0)20 ..." shows the trunk 0 a caller inside the UK would dial; it is not
        // part of the international number.
        let without_trunk = if international_prefix {
            trimmed.replacen("(0)", "", 1)
        } else {
            trimmed.to_owned()
        };

        let mut digits = String::with_capacity(16);
        let mut plus = false;
        for (i, c) in without_trunk.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => plus = true,
                // Separators people type between groups of digits.
                ' ' | '\u{a0}' | '-' | '.' | '(' | ')' => {}
                _ => return Err(PHONE_FORMAT.to_owned()),
            }
        }

        let international = if plus {
            digits.as_str()
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest
        } else if let Some(national) = digits.strip_prefix('0') {
            return uk(national);
        } else {
            // Neither a UK national number nor marked as international: we cannot tell
            // which country it belongs to.
            return Err(PHONE_FORMAT.to_owned());
        };

        if let Some(national) = international.strip_prefix("44") {
            // "+44 07700 ..." is a common slip: the trunk 0 is dropped in E.164.
            return uk(national.strip_prefix('0').unwrap_or(national));
        }
        if international.starts_with('0') {
            return Err(PHONE_FORMAT.to_owned());
        }
        if !(8..=15).contains(&international.len()) {
            return Err(PHONE_LENGTH.to_owned());
        }
        Ok(Self(format!("+{international}")))
    }

    /// The E.164 form, e.g. `+447700900123`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a UK (+44) number.
    pub fn is_uk(&self) -> bool {
        self.0.starts_with("+44")
    }

    /// How a UK caller would write it: `07700 900123` for mobiles, `020 7946 0018` for
    /// London, `0300 123 4567` for 03, 08 and 09 numbers, `0` and the digits otherwise
    /// (geographic area codes vary in length, so no grouping is guessed). Non-UK numbers
    /// are shown in E.164 form.
    pub fn display_national(&self) -> String {
        let Some(nsn) = self.0.strip_prefix("+44") else {
            return self.0.clone();
        };
        let b = nsn.as_bytes();
        match (b.first(), b.len()) {
            (Some(b'7'), 10) => format!("0{} {}", &nsn[..4], &nsn[4..]),
            (Some(b'2'), 10) => format!("0{} {} {}", &nsn[..2], &nsn[2..6], &nsn[6..]),
            (Some(b'3' | b'8' | b'9'), 10) => {
                format!("0{} {} {}", &nsn[..3], &nsn[3..6], &nsn[6..])
            }
            _ => format!("0{nsn}"),
        }
    }
}

string_value!(PhoneNumber);

/// A UK national significant number (the digits after the trunk 0) is 9 or 10 digits and
/// never starts with 0.
fn uk(national: &str) -> Result<PhoneNumber, String> {
    if national.starts_with('0') {
        return Err(PHONE_FORMAT.to_owned());
    }
    if !(9..=10).contains(&national.len()) {
        return Err(PHONE_LENGTH.to_owned());
    }
    Ok(PhoneNumber(format!("+44{national}")))
}

/// A handset's International Mobile Equipment Identity: 15 digits, the last a Luhn check
/// digit. Spaces and hyphens (as printed on boxes and under batteries) are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Imei(String);

impl Imei {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() > 64 {
            return Err("IMEI must be 15 digits".to_owned());
        }
        let mut digits = String::with_capacity(15);
        for c in s.trim().chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                _ => return Err("IMEI must only include numbers".to_owned()),
            }
        }
        if digits.is_empty() {
            return Err("Enter an IMEI".to_owned());
        }
        if digits.len() != 15 {
            return Err("IMEI must be 15 digits".to_owned());
        }
        if !luhn_valid(&digits) {
            return Err(
                "IMEI is not valid: check the digits (the last one is a check digit)".to_owned(),
            );
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(Imei);

/// The Luhn (mod 10) check over ASCII digits, check digit last: from the right, every
/// second digit is doubled (subtracting 9 if over 9), and the sum must end in 0.
fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn phone_normalises_uk_mobile_forms_to_e164() {
        for input in [
            "07700 900123",
            "07700900123",
            "+44 7700 900123",
            "+44 (0)7700 900123",
            "0044 7700 900123",
            "+44 07700 900123",
            "07700-900-123",
        ] {
            assert_eq!(
                PhoneNumber::parse(input).unwrap().as_str(),
                "+447700900123",
                "{input}"
            );
        }
    }

    #[test]
    fn phone_normalises_london_landline() {
        let p = PhoneNumber::parse("(020) 7946 0018").unwrap();
        assert_eq!(p.as_str(), "+442079460018");
        assert_eq!(p.display_national(), "020 7946 0018");
    }

    #[test]
    fn phone_keeps_international_numbers() {
        let p = PhoneNumber::parse("+33 1 23 45 67 89").unwrap();
        assert_eq!(p.as_str(), "+33123456789");
        assert!(!p.is_uk());
        assert_eq!(p.display_national(), "+33123456789");
        assert_eq!(
            PhoneNumber::parse("0033 1 23 45 67 89").unwrap().as_str(),
            "+33123456789"
        );
    }

    #[test]
    fn phone_display_national_groups_uk_numbers() {
        let mobile = PhoneNumber::parse("+447700900123").unwrap();
        assert!(mobile.is_uk());
        assert_eq!(mobile.display_national(), "07700 900123");
        assert_eq!(
            PhoneNumber::parse("03001234567")
                .unwrap()
                .display_national(),
            "0300 123 4567"
        );
        assert_eq!(
            PhoneNumber::parse("01632 960001")
                .unwrap()
                .display_national(),
            "01632960001"
        );
        assert_eq!(
            PhoneNumber::parse("0800 123456")
                .unwrap()
                .display_national(),
            "0800123456"
        );
    }

    #[test]
    fn phone_rejects_number_without_country_marker() {
        assert_eq!(
            PhoneNumber::parse("7700 900123"),
            Err(PHONE_FORMAT.to_owned())
        );
    }

    #[test]
    fn phone_rejects_letters_and_symbols() {
        for bad in [
            "07700 9001ab",
            "07700 900123 ext 4",
            "07700#900123",
            "+44+7700900123",
        ] {
            assert_eq!(
                PhoneNumber::parse(bad),
                Err(PHONE_FORMAT.to_owned()),
                "{bad}"
            );
        }
    }

    #[test]
    fn phone_rejects_wrong_uk_length() {
        assert_eq!(
            PhoneNumber::parse("0770090012"),
            Ok(PhoneNumber("+44770090012".to_owned())),
            "9-digit national numbers exist"
        );
        assert_eq!(
            PhoneNumber::parse("077009001"),
            Err(PHONE_LENGTH.to_owned())
        );
        assert_eq!(
            PhoneNumber::parse("077009001234"),
            Err(PHONE_LENGTH.to_owned())
        );
    }

    #[test]
    fn phone_rejects_international_length_outside_8_to_15_digits() {
        assert_eq!(PhoneNumber::parse("+3312345"), Err(PHONE_LENGTH.to_owned()));
        assert!(PhoneNumber::parse("+33123456").is_ok());
        assert!(PhoneNumber::parse("+123456789012345").is_ok());
        assert_eq!(
            PhoneNumber::parse("+1234567890123456"),
            Err(PHONE_LENGTH.to_owned())
        );
    }

    #[test]
    fn phone_rejects_empty_and_huge() {
        assert_eq!(
            PhoneNumber::parse(" "),
            Err("Enter a phone number".to_owned())
        );
        assert!(PhoneNumber::parse(&"1".repeat(10 * 1024 * 1024)).is_err());
        assert!(PhoneNumber::parse("+").is_err());
        assert!(PhoneNumber::parse("000").is_err());
    }

    #[test]
    fn phone_serde_revalidates() {
        let p: PhoneNumber = serde_json::from_str("\"07700 900123\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"+447700900123\"");
        assert!(serde_json::from_str::<PhoneNumber>("\"call me\"").is_err());
    }

    #[test]
    fn imei_accepts_valid_luhn_and_ignores_separators() {
        assert_eq!(
            Imei::parse("490154203237518").unwrap().as_str(),
            "490154203237518"
        );
        assert_eq!(
            Imei::parse("49-015420-323751-8").unwrap().as_str(),
            "490154203237518"
        );
        assert_eq!(
            Imei::parse(" 35 209900 176148 1 ").unwrap().as_str(),
            "352099001761481"
        );
    }

    #[test]
    fn imei_rejects_wrong_check_digit() {
        assert_eq!(
            Imei::parse("490154203237517"),
            Err("IMEI is not valid: check the digits (the last one is a check digit)".to_owned())
        );
    }

    #[test]
    fn imei_rejects_wrong_length() {
        assert_eq!(
            Imei::parse("49015420323751"),
            Err("IMEI must be 15 digits".to_owned())
        );
        assert_eq!(
            Imei::parse("4901542032375180"),
            Err("IMEI must be 15 digits".to_owned())
        );
        assert_eq!(Imei::parse(""), Err("Enter an IMEI".to_owned()));
    }

    #[test]
    fn imei_rejects_letters() {
        assert_eq!(
            Imei::parse("49015420323751A"),
            Err("IMEI must only include numbers".to_owned())
        );
    }

    fn luhn_check_digit(body: &str) -> char {
        (b'0'..=b'9')
            .map(char::from)
            .find(|d| luhn_valid(&format!("{body}{d}")))
            .unwrap()
    }

    proptest! {
        #[test]
        fn phone_parse_never_panics(s in any::<String>()) {
            let _ = PhoneNumber::parse(&s);
        }

        #[test]
        fn imei_parse_never_panics(s in any::<String>()) {
            let _ = Imei::parse(&s);
        }

        #[test]
        fn any_uk_mobile_round_trips(rest in "[0-9]{9}") {
            let national = format!("07{rest}");
            let p = PhoneNumber::parse(&national).unwrap();
            prop_assert_eq!(p.as_str(), format!("+447{rest}"));
            prop_assert_eq!(PhoneNumber::parse(p.as_str()), Ok(p.clone()));
            prop_assert_eq!(p.display_national().replace(' ', ""), national.clone());
            prop_assert_eq!(PhoneNumber::parse(&p.display_national()), Ok(p.clone()));
        }

        #[test]
        fn any_international_number_round_trips(n in "[1-35-9][0-9]{7,14}") {
            let p = PhoneNumber::parse(&format!("+{n}")).unwrap();
            prop_assert_eq!(PhoneNumber::parse(&p.to_string()), Ok(p.clone()));
            prop_assert_eq!(PhoneNumber::parse(&format!("00{n}")), Ok(p.clone()));
        }

        #[test]
        fn imei_with_computed_check_digit_is_valid(body in "[0-9]{14}") {
            let imei = format!("{body}{}", luhn_check_digit(&body));
            let parsed = Imei::parse(&imei).unwrap();
            prop_assert_eq!(Imei::parse(&parsed.to_string()), Ok(parsed.clone()));
        }

        #[test]
        fn imei_single_digit_change_is_detected(body in "[0-9]{14}", pos in 0usize..15, delta in 1u8..=9) {
            let imei = format!("{body}{}", luhn_check_digit(&body));
            let mut bytes = imei.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(Imei::parse(&changed).is_err());
        }
    }
}
