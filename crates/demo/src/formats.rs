//! Generators for formatted identifiers that must look and check like the real thing:
//! National Insurance numbers, current-format GB vehicle registration marks, VINs, mobile
//! numbers in Ofcom's drama range, Luhn-valid IMEIs, postcodes and UPRNs.

use crate::calendar::Ymd;
use crate::rng::Rng;
use crate::tables::objects::{VIN_CHARS, VRM_LETTERS, VRM_REGION_LETTERS};
use crate::tables::places::INWARD_LETTERS;

fn letter(rng: &mut Rng, set: &[u8]) -> char {
    char::from(set.get(rng.index(set.len())).copied().unwrap_or(b'A'))
}

fn digit(rng: &mut Rng) -> char {
    char::from(b'0' + rng.below(10) as u8)
}

/// A National Insurance number in HMRC's published format: two prefix letters (the first
/// never D, F, I, Q, U or V; the second never D, F, I, O, Q, U or V; and never the
/// unallocated pairs BG, GB, KN, NK, NT, TN or ZZ), six digits and a suffix A to D.
pub fn ni_number(rng: &mut Rng) -> String {
    const FIRST: &[u8] = b"ABCEGHJKLMNOPRSTWXYZ";
    const SECOND: &[u8] = b"ABCEGHJKLMNPRSTWXYZ";
    const BANNED: [&str; 7] = ["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"];
    let mut s = String::with_capacity(9);
    loop {
        s.clear();
        s.push(letter(rng, FIRST));
        s.push(letter(rng, SECOND));
        if !BANNED.contains(&s.as_str()) {
            break;
        }
    }
    for _ in 0..6 {
        s.push(digit(rng));
    }
    s.push(letter(rng, b"ABCD"));
    s
}

/// The two-digit age identifier of a current-format GB mark (in use since September 2001):
/// the year's last two digits for March to August, that plus 50 for September to February
/// (January and February carry the previous September's number), wrapping to 00 in
/// September 2050.
pub fn age_identifier(registered: Ymd) -> u32 {
    let yy = registered.year.rem_euclid(100) as u32;
    match registered.month {
        1 | 2 => ((yy + 99) % 100 + 50) % 100,
        3..=8 => yy,
        _ => (yy + 50) % 100,
    }
}

/// A current-format GB vehicle registration mark, `AB19 CDE`: a region letter, a second
/// memory-tag letter, the age identifier for the registration date and three random
/// letters (never I, Q or Z).
pub fn vrm(rng: &mut Rng, registered: Ymd) -> String {
    let age = age_identifier(registered);
    let mut s = String::with_capacity(8);
    s.push(letter(rng, VRM_REGION_LETTERS));
    s.push(letter(rng, VRM_LETTERS));
    s.push(char::from(b'0' + (age / 10) as u8));
    s.push(char::from(b'0' + (age % 10) as u8));
    s.push(' ');
    for _ in 0..3 {
        s.push(letter(rng, VRM_LETTERS));
    }
    s
}

/// A 17-character VIN: the make's world manufacturer identifier, then 8 characters from the
/// VIN alphabet (no I, O or Q), then a 6-digit serial.
pub fn vin(rng: &mut Rng, wmi: &str) -> String {
    let mut s = String::with_capacity(17);
    s.push_str(wmi);
    while s.len() < 11 {
        s.push(letter(rng, VIN_CHARS));
    }
    while s.len() < 17 {
        s.push(digit(rng));
    }
    s
}

/// A mobile number from the block Ofcom reserves for TV, radio and fiction
/// (07700 900000 to 07700 900999), so no real subscriber's number is ever generated.
pub fn drama_mobile(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(12);
    s.push_str("07700 900");
    for _ in 0..3 {
        s.push(digit(rng));
    }
    s
}

/// The Luhn check digit that makes `digits` followed by it valid.
pub fn luhn_check_digit(digits: &[u8]) -> u8 {
    // Double every second digit counting from the right of the finished number, i.e.
    // from the rightmost digit of the payload.
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// A 15-digit IMEI: a type allocation code beginning 35 (the most common reporting body),
/// a 6-digit serial and the Luhn check digit.
pub fn imei(rng: &mut Rng) -> String {
    let mut d = [0u8; 14];
    d[0] = 3;
    d[1] = 5;
    for x in d.iter_mut().skip(2) {
        *x = rng.below(10) as u8;
    }
    let check = luhn_check_digit(&d);
    let mut s = String::with_capacity(15);
    for x in d.iter().chain([&check]) {
        s.push(char::from(b'0' + x));
    }
    s
}

/// An inward code: a digit and two of the letters allowed there.
pub fn inward_code(rng: &mut Rng) -> [u8; 3] {
    let l = |rng: &mut Rng| {
        INWARD_LETTERS
            .get(rng.index(INWARD_LETTERS.len()))
            .copied()
            .unwrap_or(b'A')
    };
    [b'0' + rng.below(10) as u8, l(rng), l(rng)]
}

/// `outward inward`, e.g. `LS6 3AB`.
pub fn postcode(outward: &str, inward: [u8; 3]) -> String {
    let mut s = String::with_capacity(outward.len() + 4);
    s.push_str(outward);
    s.push(' ');
    for b in inward {
        s.push(char::from(b));
    }
    s
}

/// A 12-digit Unique Property Reference Number in the style local authorities issue
/// (starting 10).
pub fn uprn(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(12);
    s.push_str("10");
    for _ in 0..10 {
        s.push(digit(rng));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(year: i32, month: u8) -> Ymd {
        Ymd {
            year,
            month,
            day: 1,
        }
    }

    #[test]
    fn age_identifier_follows_the_march_and_september_changes() {
        assert_eq!(age_identifier(ymd(2019, 3)), 19);
        assert_eq!(age_identifier(ymd(2019, 9)), 69);
        assert_eq!(age_identifier(ymd(2020, 2)), 69);
        assert_eq!(age_identifier(ymd(2002, 1)), 51);
        assert_eq!(age_identifier(ymd(2010, 1)), 59);
        assert_eq!(age_identifier(ymd(2050, 9)), 0);
        assert_eq!(age_identifier(ymd(2051, 1)), 0);
    }

    #[test]
    fn ni_numbers_avoid_disallowed_letters_and_prefixes() {
        let mut rng = Rng::new(3);
        for _ in 0..5_000 {
            let ni = ni_number(&mut rng);
            let b = ni.as_bytes();
            assert_eq!(b.len(), 9, "{ni}");
            assert!(!b"DFIQUV".contains(&b[0]), "{ni}");
            assert!(!b"DFIOQUV".contains(&b[1]), "{ni}");
            assert!(!["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(&&ni[..2]));
            assert!(b[2..8].iter().all(u8::is_ascii_digit));
            assert!(b"ABCD".contains(&b[8]));
        }
    }

    #[test]
    fn vrms_have_the_current_gb_shape_without_i_q_or_z() {
        let mut rng = Rng::new(4);
        for _ in 0..2_000 {
            let v = vrm(&mut rng, ymd(2015, 10));
            let b = v.as_bytes();
            assert_eq!(b.len(), 8, "{v}");
            assert_eq!(&v[2..4], "65");
            assert_eq!(b[4], b' ');
            for &c in b[..2].iter().chain(&b[5..]) {
                assert!(c.is_ascii_uppercase() && !b"IQZ".contains(&c), "{v}");
            }
        }
    }

    #[test]
    fn imeis_are_fifteen_digits_and_pass_luhn() {
        let mut rng = Rng::new(5);
        for _ in 0..2_000 {
            let s = imei(&mut rng);
            assert_eq!(s.len(), 15);
            // The domain's own IMEI validator checks the length and the Luhn digit.
            assert!(bluelamp_domain::values::Imei::parse(&s).is_ok(), "{s}");
        }
        // A published example IMEI.
        assert_eq!(
            luhn_check_digit(&[4, 9, 0, 1, 5, 4, 2, 0, 3, 2, 3, 7, 5, 1]),
            8
        );
    }

    #[test]
    fn vins_are_seventeen_characters_without_i_o_or_q() {
        let mut rng = Rng::new(6);
        for _ in 0..1_000 {
            let v = vin(&mut rng, "WF0");
            assert_eq!(v.len(), 17);
            assert!(v.starts_with("WF0"));
            assert!(!v.contains(['I', 'O', 'Q']));
        }
    }

    #[test]
    fn drama_numbers_and_uprns_have_their_shapes() {
        let mut rng = Rng::new(7);
        let m = drama_mobile(&mut rng);
        assert!(m.starts_with("07700 900") && m.len() == 12);
        let u = uprn(&mut rng);
        assert!(u.len() == 12 && u.bytes().all(|b| b.is_ascii_digit()));
        let pc = postcode("LS6", inward_code(&mut rng));
        assert_eq!(pc.len(), 7);
    }
}
