//! UK postcodes. An address, a stop location or an incident is tied to a postcode, and
//! searches group by its parts (area, district, sector), so the stored form must be the one
//! canonical spelling: upper case, one space between outward and inward codes.
//!
//! Validation follows the published format rules (Royal Mail / ONS, as set out in the
//! government data standards): the outward-code shapes, the letters allowed in each
//! position, and the inward code's excluded letters. It checks shape only; it cannot tell
//! whether a well-formed postcode is actually in use.

use serde::{Deserialize, Serialize};

use super::clean::{compact_upper, string_value};

const MESSAGE: &str = "Enter a real postcode, like SW1A 1AA";

/// A UK postcode in canonical form, e.g. `SW1A 1AA`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Postcode(String);

impl Postcode {
    /// Accepts any case and any spacing ("sw1a1aa", " SW1A  1AA ").
    pub fn parse(s: &str) -> Result<Self, String> {
        let compact = compact_upper(s, 32).ok_or_else(|| MESSAGE.to_owned())?;
        if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
            return Err(MESSAGE.to_owned());
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        // GIR 0AA (historically Girobank) is the one postcode outside the pattern.
        let valid = (outward == "GIR" && inward == "0AA")
            || (valid_outward(outward.as_bytes()) && valid_inward(inward.as_bytes()));
        if !valid {
            return Err(MESSAGE.to_owned());
        }
        Ok(Self(format!("{outward} {inward}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The outward code, before the space: `SW1A`.
    pub fn outward(&self) -> &str {
        self.0.split_once(' ').map_or(self.as_str(), |(o, _)| o)
    }

    /// The inward code, after the space: `1AA`.
    pub fn inward(&self) -> &str {
        self.0.split_once(' ').map_or("", |(_, i)| i)
    }

    /// The postcode district, which is the outward code: `SW1A`.
    pub fn district(&self) -> &str {
        self.outward()
    }

    /// The postcode sector: the outward code, a space and the inward digit: `SW1A 1`.
    pub fn sector(&self) -> &str {
        // The canonical form always ends with the two inward letters.
        let end = self.0.len().saturating_sub(2);
        self.0.get(..end).unwrap_or(self.as_str())
    }

    /// The postcode area: the leading letters of the outward code: `SW`.
    pub fn area(&self) -> &str {
        let outward = self.outward();
        let letters = outward.bytes().take_while(u8::is_ascii_alphabetic).count();
        outward.get(..letters).unwrap_or(outward)
    }
}

string_value!(Postcode);

/// Letters that may open a postcode (not Q, V, X).
fn first_letter(b: u8) -> bool {
    b.is_ascii_uppercase() && !b"QVX".contains(&b)
}

/// Letters allowed second in a two-letter area (not I, J, Z).
fn second_letter(b: u8) -> bool {
    b.is_ascii_uppercase() && !b"IJZ".contains(&b)
}

/// Outward code shapes: A9, A99, AA9, AA99, A9A, AA9A (A = letter, 9 = digit), with the
/// letters permitted in each position.
fn valid_outward(o: &[u8]) -> bool {
    let digit = |b: &u8| b.is_ascii_digit();
    match o {
        [a, n] => first_letter(*a) && digit(n),
        [a, n, m] if digit(n) && digit(m) => first_letter(*a),
        [a, b, n] if b.is_ascii_alphabetic() => first_letter(*a) && second_letter(*b) && digit(n),
        // A9A: the final letter comes from a restricted set.
        [a, n, c] => first_letter(*a) && digit(n) && b"ABCDEFGHJKPSTUW".contains(c),
        [a, b, n, m] if m.is_ascii_digit() => first_letter(*a) && second_letter(*b) && digit(n),
        // AA9A: the final letter comes from a (different) restricted set.
        [a, b, n, c] => {
            first_letter(*a) && second_letter(*b) && digit(n) && b"ABEHMNPRVWXY".contains(c)
        }
        _ => false,
    }
}

/// Inward code: a digit then two letters, never C, I, K, M, O or V (too easily confused
/// with other characters in handwriting).
fn valid_inward(i: &[u8]) -> bool {
    let letter = |b: &u8| b.is_ascii_uppercase() && !b"CIKMOV".contains(b);
    matches!(i, [n, x, y] if n.is_ascii_digit() && letter(x) && letter(y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn postcode_accepts_every_outward_shape() {
        for (input, canonical) in [
            ("M1 1AE", "M1 1AE"),     // A9
            ("B33 8TH", "B33 8TH"),   // A99
            ("CR2 6XH", "CR2 6XH"),   // AA9
            ("DN55 1PT", "DN55 1PT"), // AA99
            ("W1A 0AX", "W1A 0AX"),   // A9A
            ("EC1A 1BB", "EC1A 1BB"), // AA9A
            ("SW1A 1AA", "SW1A 1AA"),
        ] {
            assert_eq!(Postcode::parse(input).unwrap().as_str(), canonical);
        }
    }

    #[test]
    fn postcode_is_case_and_space_insensitive() {
        for input in ["sw1a1aa", " SW1A  1AA ", "Sw1A 1aA", "SW1A\u{a0}1AA"] {
            assert_eq!(Postcode::parse(input).unwrap().as_str(), "SW1A 1AA");
        }
    }

    #[test]
    fn postcode_accepts_gir_0aa() {
        assert_eq!(Postcode::parse("gir0aa").unwrap().as_str(), "GIR 0AA");
    }

    #[test]
    fn postcode_rejects_inward_letters_c_i_k_m_o_v() {
        for bad in [
            "SW1A 1CA", "SW1A 1AI", "SW1A 1KA", "SW1A 1AM", "SW1A 1OA", "SW1A 1AV",
        ] {
            assert_eq!(Postcode::parse(bad), Err(MESSAGE.to_owned()), "{bad}");
        }
    }

    #[test]
    fn postcode_rejects_q_v_x_as_first_letter() {
        for bad in ["Q1 1AA", "V1 1AA", "X1 1AA"] {
            assert!(Postcode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn postcode_rejects_i_j_z_as_second_letter() {
        for bad in ["AI1 1AA", "AJ1 1AA", "AZ1 1AA"] {
            assert!(Postcode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn postcode_rejects_disallowed_final_outward_letters() {
        assert!(Postcode::parse("W1L 1AA").is_err()); // A9A: L not allowed
        assert!(Postcode::parse("EC1C 1AA").is_err()); // AA9A: C not allowed
    }

    #[test]
    fn postcode_rejects_wrong_shapes() {
        for bad in [
            "",
            "SW1A",
            "1AA",
            "SW1A 1A",
            "SW1A 11A",
            "SW1AA 1AA",
            "S 1AA",
            "12 1AA",
            "SW1A-1AA",
            "ＳＷ１Ａ １ＡＡ",
            "SW1A 1AA SW1A 1AA",
        ] {
            assert_eq!(Postcode::parse(bad), Err(MESSAGE.to_owned()), "{bad}");
        }
        assert!(Postcode::parse(&" ".repeat(10 * 1024 * 1024)).is_err());
    }

    #[test]
    fn postcode_parts() {
        let p = Postcode::parse("sw1a 1aa").unwrap();
        assert_eq!(p.outward(), "SW1A");
        assert_eq!(p.inward(), "1AA");
        assert_eq!(p.district(), "SW1A");
        assert_eq!(p.sector(), "SW1A 1");
        assert_eq!(p.area(), "SW");
        let m = Postcode::parse("M1 1AE").unwrap();
        assert_eq!(m.area(), "M");
        assert_eq!(m.sector(), "M1 1");
    }

    #[test]
    fn postcode_serde_revalidates() {
        let p: Postcode = serde_json::from_str("\"sw1a1aa\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"SW1A 1AA\"");
        assert!(serde_json::from_str::<Postcode>("\"SW1A 1CA\"").is_err());
    }

    fn valid_postcode() -> impl Strategy<Value = String> {
        let outward = prop_oneof![
            "[A-PR-UWYZ][0-9]",
            "[A-PR-UWYZ][0-9]{2}",
            "[A-PR-UWYZ][A-HK-Y][0-9]",
            "[A-PR-UWYZ][A-HK-Y][0-9]{2}",
            "[A-PR-UWYZ][0-9][ABCDEFGHJKPSTUW]",
            "[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]",
        ];
        (outward, "[0-9][ABD-HJLNP-UW-Z]{2}").prop_map(|(o, i)| format!("{o} {i}"))
    }

    proptest! {
        #[test]
        fn postcode_parse_never_panics(s in any::<String>()) {
            let _ = Postcode::parse(&s);
        }

        #[test]
        fn any_valid_postcode_round_trips_through_display(p in valid_postcode()) {
            let parsed = Postcode::parse(&p).unwrap();
            prop_assert_eq!(parsed.as_str(), p.as_str());
            prop_assert_eq!(Postcode::parse(&parsed.to_string()), Ok(parsed.clone()));
            let squashed = p.replace(' ', "").to_lowercase();
            prop_assert_eq!(Postcode::parse(&squashed), Ok(parsed.clone()));
            prop_assert_eq!(format!("{} {}", parsed.outward(), parsed.inward()), p);
            prop_assert!(parsed.sector().starts_with(parsed.district()));
            prop_assert!(parsed.district().starts_with(parsed.area()));
        }
    }
}
