//! Vehicle identifiers: the registration mark ([`Vrm`], what ANPR and PNC vehicle checks
//! key on) and the vehicle identification number ([`Vin`], stamped on the chassis).
//!
//! Both are stored compact and upper case so that "ab12 cde" and "AB12CDE" are the same
//! vehicle in every search and link.

use serde::{Deserialize, Serialize};

use super::clean::{compact_upper, string_value};

const VRM_MESSAGE: &str = "Enter a vehicle registration, like AB12 CDE";

/// A vehicle registration mark: 1 to 8 letters and digits, upper case, spaces removed.
/// Covers current GB marks (AB12CDE), older prefix and suffix marks, dateless and cherished
/// marks, and Northern Ireland marks (ABC1234). Foreign plates that fit the same shape are
/// accepted too; the type does not try to tell which registry issued a mark.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Vrm(String);

impl Vrm {
    pub fn parse(s: &str) -> Result<Self, String> {
        let compact = compact_upper(s, 64).ok_or_else(|| VRM_MESSAGE.to_owned())?;
        if compact.is_empty() {
            return Err("Enter a vehicle registration".to_owned());
        }
        if compact.len() > 8 || !compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(VRM_MESSAGE.to_owned());
        }
        Ok(Self(compact))
    }

    /// The compact form, e.g. `AB12CDE`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form printed on a current GB plate, `AB12 CDE`, for marks of that format (two
    /// letters, two digits, three letters); the compact form for anything else, where the
    /// right place for the space depends on the format and is not worth guessing.
    pub fn display_spaced(&self) -> String {
        let b = self.0.as_bytes();
        let current_gb = b.len() == 7
            && b[..2].iter().all(u8::is_ascii_uppercase)
            && b[2..4].iter().all(u8::is_ascii_digit)
            && b[4..].iter().all(u8::is_ascii_uppercase);
        if current_gb {
            format!("{} {}", &self.0[..4], &self.0[4..])
        } else {
            self.0.clone()
        }
    }
}

string_value!(Vrm);

const VIN_MESSAGE: &str = "Enter a 17-character vehicle identification number (VIN)";

/// A vehicle identification number (ISO 3779): 17 characters, digits and letters except
/// I, O and Q (never used, to avoid confusion with 1 and 0). Spaces are removed and
/// letters upper-cased.
///
/// No check digit is enforced: position 9 is a check digit only in North American VINs.
/// UK and EU manufacturers are not required to use it, so checking it would refuse real
/// vehicles on British roads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Vin(String);

impl Vin {
    pub const LEN: usize = 17;

    pub fn parse(s: &str) -> Result<Self, String> {
        let compact = compact_upper(s, 128).ok_or_else(|| VIN_MESSAGE.to_owned())?;
        if compact.is_empty() {
            return Err("Enter a vehicle identification number (VIN)".to_owned());
        }
        if !compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err("A VIN must only include letters and numbers".to_owned());
        }
        if compact.len() != Self::LEN {
            return Err(VIN_MESSAGE.to_owned());
        }
        if compact.bytes().any(|b| matches!(b, b'I' | b'O' | b'Q')) {
            return Err("A VIN never includes the letters I, O or Q".to_owned());
        }
        Ok(Self(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(Vin);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn vrm_accepts_current_gb_format_and_compacts() {
        let v = Vrm::parse(" ab12 cde ").unwrap();
        assert_eq!(v.as_str(), "AB12CDE");
        assert_eq!(v.to_string(), "AB12CDE");
        assert_eq!(v.display_spaced(), "AB12 CDE");
    }

    #[test]
    fn vrm_accepts_older_ni_and_cherished_formats() {
        for (input, compact) in [
            ("A123 BCD", "A123BCD"), // prefix
            ("ABC 123D", "ABC123D"), // suffix
            ("ABC 1234", "ABC1234"), // Northern Ireland
            ("1 A", "1A"),           // dateless cherished
            ("K1", "K1"),
        ] {
            let v = Vrm::parse(input).unwrap();
            assert_eq!(v.as_str(), compact);
            assert_eq!(
                v.display_spaced(),
                compact,
                "only the current format is spaced"
            );
        }
    }

    #[test]
    fn vrm_rejects_empty_long_and_symbols() {
        assert_eq!(
            Vrm::parse("  "),
            Err("Enter a vehicle registration".to_owned())
        );
        assert_eq!(Vrm::parse("ABCDE12345"), Err(VRM_MESSAGE.to_owned()));
        assert_eq!(Vrm::parse("AB12-CDE"), Err(VRM_MESSAGE.to_owned()));
        assert_eq!(Vrm::parse("AB12ÇDE"), Err(VRM_MESSAGE.to_owned()));
        assert!(Vrm::parse(&"A".repeat(10 * 1024 * 1024)).is_err());
    }

    #[test]
    fn vrm_serde_revalidates() {
        let v: Vrm = serde_json::from_str("\"ab12 cde\"").unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"AB12CDE\"");
        assert!(serde_json::from_str::<Vrm>("\"AB12 CDE!\"").is_err());
    }

    #[test]
    fn vin_accepts_17_characters_and_upper_cases() {
        let v = Vin::parse("wvwzzz1kz6w123456").unwrap();
        assert_eq!(v.as_str(), "WVWZZZ1KZ6W123456");
        assert_eq!(
            Vin::parse("SAJ AA01 N 5F A123456").unwrap().as_str(),
            "SAJAA01N5FA123456"
        );
    }

    #[test]
    fn vin_does_not_enforce_north_american_check_digit() {
        // Position 9 is "Z" here, which a North American check would reject.
        assert!(Vin::parse("WVWZZZ1KZ6W123456").is_ok());
    }

    #[test]
    fn vin_rejects_i_o_and_q() {
        for bad in [
            "WVWZZZ1KZ6W12345I",
            "WVWZZZ1KZ6W12345O",
            "WVWZZZ1KZ6W12345Q",
        ] {
            assert_eq!(
                Vin::parse(bad),
                Err("A VIN never includes the letters I, O or Q".to_owned())
            );
        }
    }

    #[test]
    fn vin_rejects_wrong_length_and_symbols() {
        assert_eq!(Vin::parse("WVWZZZ1KZ6W12345"), Err(VIN_MESSAGE.to_owned()));
        assert_eq!(
            Vin::parse("WVWZZZ1KZ6W1234567"),
            Err(VIN_MESSAGE.to_owned())
        );
        assert!(Vin::parse("WVWZZZ1KZ6W12345-").is_err());
        assert!(Vin::parse("").is_err());
        assert!(Vin::parse(&"A".repeat(10 * 1024 * 1024)).is_err());
    }

    proptest! {
        #[test]
        fn vrm_parse_never_panics(s in any::<String>()) {
            let _ = Vrm::parse(&s);
        }

        #[test]
        fn vin_parse_never_panics(s in any::<String>()) {
            let _ = Vin::parse(&s);
        }

        #[test]
        fn any_valid_vrm_round_trips(s in "[A-Za-z0-9]{1,8}") {
            let v = Vrm::parse(&s).unwrap();
            prop_assert_eq!(v.as_str(), s.to_ascii_uppercase());
            prop_assert_eq!(Vrm::parse(&v.to_string()), Ok(v.clone()));
            prop_assert_eq!(Vrm::parse(&v.display_spaced()), Ok(v.clone()));
        }

        #[test]
        fn any_valid_vin_round_trips(s in "[A-HJ-NPR-Z0-9]{17}") {
            let v = Vin::parse(&s.to_lowercase()).unwrap();
            prop_assert_eq!(v.as_str(), s.as_str());
            prop_assert_eq!(Vin::parse(&v.to_string()), Ok(v.clone()));
        }
    }
}
