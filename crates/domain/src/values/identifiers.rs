//! Person identifiers issued by national systems: PNC ID, CRO number, National Insurance
//! number, prison (NOMS) number, probation case reference (CRN), passport and driving
//! licence numbers, and the typed [`PersonIdentifier`] list entry that holds any of them.
//!
//! Each is kept in one canonical spelling so that records from different sources link on
//! equality. Where an identifier carries a check character (PNC, CRO) it is verified, so
//! a mistyped digit is caught at entry rather than creating a second nominal. A parse
//! message never repeats the value, because identifiers are personal data.

use serde::{Deserialize, Serialize};

use super::clean::{compact_upper, string_value};

/// Check characters shared by PNC IDs and CRO numbers: the remainder mod 23 indexes this
/// alphabet (no I, O or S, which read as 1, 0 and 5).
///
/// Verified against ministryofjustice/hmpps-person-record:
/// `src/main/kotlin/uk/gov/justice/digital/hmpps/personrecord/model/identifiers/PNCIdentifier.kt`,
/// `.../CROIdentifier.kt` and `.../IdentifierCheckDigitHandler.kt` (`VALID_LETTERS`), and
/// their tests (`PNCIdentifierTest.kt`, `CROIdentifierTest.kt`), whose examples are reused
/// in the tests below.
const CHECK_LETTERS: &[u8; 23] = b"ZABCDEFGHJKLMNPQRTUVWXY";

fn check_letter(number: u64) -> char {
    // `number % 23` is always a valid index; the fallback is unreachable.
    let i = usize::try_from(number % 23).unwrap_or(0);
    char::from(CHECK_LETTERS[i])
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Splits off a final ASCII upper-case letter.
fn split_check(s: &str) -> Option<(&str, char)> {
    let last = *s.as_bytes().last()?;
    if !last.is_ascii_uppercase() {
        return None;
    }
    Some((&s[..s.len() - 1], char::from(last)))
}

// ---------------------------------------------------------------------------------------
// PNC ID
// ---------------------------------------------------------------------------------------

/// Two-digit years up to and including this one are read as 20yy in a short-form PNC ID,
/// later ones as 19yy. HMPPS pivots on the current year, but this type cannot read the
/// clock (and must not: a stored value has to mean the same thing every day), so the pivot
/// is fixed a few years ahead. Move it on before 2030.
pub const PNC_CENTURY_PIVOT: u16 = 30;

const PNC_FORMAT: &str = "Enter a PNC ID in the correct format, like 2002/0073319Z";
const PNC_CHECK: &str = "Check the PNC ID: the check letter does not match the number";

/// A Police National Computer ID: `YYYY/NNNNNNNC` (year the record was created, serial
/// number, check letter). The short form `YY/NNNNNNNC` and forms without the slash are
/// accepted and stored in the long form, serial zero-padded to seven digits.
///
/// Check letter: the last two digits of the year followed by the seven-digit serial, read
/// as a number, mod 23, indexing `ZABCDEFGHJKLMNPQRTUVWXY` (as HMPPS person-record does).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PncId {
    year: u16,
    serial: u32,
    canonical: String,
}

impl PncId {
    pub const MIN_YEAR: u16 = 1900;
    pub const MAX_YEAR: u16 = 2099;
    pub const MAX_SERIAL: u32 = 9_999_999;

    pub fn parse(s: &str) -> Result<Self, String> {
        let compact = compact_upper(s, 64).ok_or_else(|| PNC_FORMAT.to_owned())?;
        if compact.is_empty() {
            return Err("Enter a PNC ID".to_owned());
        }
        let (body, check) = split_check(&compact).ok_or_else(|| PNC_FORMAT.to_owned())?;
        let (year_part, serial_part) = match body.split_once('/') {
            Some((y, n)) => (y, n),
            // Without a slash the length decides: 11 digits is YYYY + 7, up to 9 is YY + 1..7
            // (as HMPPS reads them); 10 digits could be either and is refused.
            None if all_digits(body) && body.len() == 11 => body.split_at(4),
            None if all_digits(body) && (3..=9).contains(&body.len()) => body.split_at(2),
            None => return Err(PNC_FORMAT.to_owned()),
        };
        if !all_digits(year_part)
            || !all_digits(serial_part)
            || serial_part.len() > 7
            || !matches!(year_part.len(), 2 | 4)
        {
            return Err(PNC_FORMAT.to_owned());
        }
        let year_digits: u16 = year_part.parse().map_err(|_| PNC_FORMAT.to_owned())?;
        let year = if year_part.len() == 2 {
            if year_digits <= PNC_CENTURY_PIVOT {
                2000 + year_digits
            } else {
                1900 + year_digits
            }
        } else {
            year_digits
        };
        let serial: u32 = serial_part.parse().map_err(|_| PNC_FORMAT.to_owned())?;
        let id = Self::from_parts(year, serial)?;
        if id.check_char() != check {
            return Err(PNC_CHECK.to_owned());
        }
        Ok(id)
    }

    /// Builds a PNC ID from its year and serial, computing the check letter (for generating
    /// synthetic data and for systems that hold the parts separately).
    pub fn from_parts(year: u16, serial: u32) -> Result<PncId, String> {
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year) {
            return Err(format!(
                "The year in a PNC ID must be between {} and {}",
                Self::MIN_YEAR,
                Self::MAX_YEAR
            ));
        }
        if serial > Self::MAX_SERIAL {
            return Err(PNC_FORMAT.to_owned());
        }
        let check = check_letter(u64::from(year % 100) * 10_000_000 + u64::from(serial));
        Ok(PncId {
            year,
            serial,
            canonical: format!("{year:04}/{serial:07}{check}"),
        })
    }

    /// The long form, e.g. `2002/0073319Z`.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// The short form: two-digit year, serial without leading zeros, check letter, e.g.
    /// `02/73319Z`.
    pub fn short_form(&self) -> String {
        format!(
            "{:02}/{}{}",
            self.year % 100,
            self.serial,
            self.check_char()
        )
    }

    pub fn year(&self) -> u16 {
        self.year
    }

    pub fn serial(&self) -> u32 {
        self.serial
    }

    pub fn check_char(&self) -> char {
        self.canonical.chars().last().unwrap_or('Z')
    }
}

string_value!(PncId);

// ---------------------------------------------------------------------------------------
// CRO number
// ---------------------------------------------------------------------------------------

const CRO_FORMAT: &str = "Enter a CRO number in the correct format, like 265416/21G";
const CRO_CHECK: &str = "Check the CRO number: the check letter does not match the number";

/// A Criminal Records Office number, in one of two forms:
///
/// - `NNNNNN/YYC`: serial (up to six digits, stored zero-padded to six), two-digit year,
///   check letter. Check: the year digits followed by the six-digit serial, mod 23.
/// - `SFYY/NNNNNNC` (fingerprint-only, "SF" form, also written `SF 05/482703J`): year,
///   serial (up to six digits), check letter. Check: the year digits followed by the serial
///   exactly as written, mod 23; the serial is therefore NOT padded, since padding would
///   change the number the check letter was computed from.
///
/// Both rules and the alphabet are as in HMPPS person-record's `CROIdentifier.kt` (see
/// [`CHECK_LETTERS`]); its test examples (265416/21G, 65656/91H, SF05/482703J,
/// SF83/50058Z) pass here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CroNumber(String);

impl CroNumber {
    pub fn parse(s: &str) -> Result<Self, String> {
        let compact = compact_upper(s, 64).ok_or_else(|| CRO_FORMAT.to_owned())?;
        if compact.is_empty() {
            return Err("Enter a CRO number".to_owned());
        }
        let (body, check) = split_check(&compact).ok_or_else(|| CRO_FORMAT.to_owned())?;
        if let Some(sf) = body.strip_prefix("SF") {
            let (yy, serial) = sf.split_once('/').ok_or_else(|| CRO_FORMAT.to_owned())?;
            if yy.len() != 2 || !all_digits(yy) || serial.len() > 6 || !all_digits(serial) {
                return Err(CRO_FORMAT.to_owned());
            }
            let number: u64 = format!("{yy}{serial}")
                .parse()
                .map_err(|_| CRO_FORMAT.to_owned())?;
            if check_letter(number) != check {
                return Err(CRO_CHECK.to_owned());
            }
            return Ok(Self(format!("SF{yy}/{serial}{check}")));
        }
        let (serial, yy) = body.split_once('/').ok_or_else(|| CRO_FORMAT.to_owned())?;
        if yy.len() != 2 || !all_digits(yy) || serial.len() > 6 || !all_digits(serial) {
            return Err(CRO_FORMAT.to_owned());
        }
        let serial: u32 = serial.parse().map_err(|_| CRO_FORMAT.to_owned())?;
        let yy: u16 = yy.parse().map_err(|_| CRO_FORMAT.to_owned())?;
        let cro = Self::standard(serial, yy);
        if !cro.0.ends_with(check) {
            return Err(CRO_CHECK.to_owned());
        }
        Ok(cro)
    }

    /// Builds a CRO number in the `NNNNNN/YYC` form, computing the check letter. `year` may
    /// be the two printed digits (0 to 99) or a full year from 1900 to 2099, of which only
    /// the last two digits are kept (that is all the number records).
    pub fn from_parts(serial: u32, year: u16) -> Result<CroNumber, String> {
        if serial > 999_999 {
            return Err(CRO_FORMAT.to_owned());
        }
        let yy = match year {
            0..=99 => year,
            1900..=2099 => year % 100,
            _ => return Err("The year in a CRO number must be two digits".to_owned()),
        };
        Ok(Self::standard(serial, yy))
    }

    fn standard(serial: u32, yy: u16) -> CroNumber {
        let check = check_letter(u64::from(yy) * 1_000_000 + u64::from(serial));
        CroNumber(format!("{serial:06}/{yy:02}{check}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a fingerprint-only ("SF") CRO number.
    pub fn is_fingerprint_only(&self) -> bool {
        self.0.starts_with("SF")
    }
}

string_value!(CroNumber);

// ---------------------------------------------------------------------------------------
// National Insurance number
// ---------------------------------------------------------------------------------------

const NI_FORMAT: &str =
    "Enter a National Insurance number in the correct format, like QQ 12 34 56 C";

/// A National Insurance number: two prefix letters, six digits, and an optional suffix A to
/// D, stored without spaces (`QQ123456C`).
///
/// HMRC's allocation rules: the first letter is not D, F, I, Q, U or V; the second is not
/// D, F, I, O, Q, U or V; the prefixes BG, GB, KN, NK, NT, TN and ZZ are never issued.
/// The prefix QQ breaks the first two rules but is accepted: it is the shape GOV.UK and
/// HMRC use for examples, and it is what test and training data uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NiNumber(String);

impl NiNumber {
    pub fn parse(s: &str) -> Result<Self, String> {
        let compact = compact_upper(s, 64).ok_or_else(|| NI_FORMAT.to_owned())?;
        if compact.is_empty() {
            return Err("Enter a National Insurance number".to_owned());
        }
        let b = compact.as_bytes();
        let shape = matches!(b.len(), 8 | 9)
            && b[..2].iter().all(u8::is_ascii_uppercase)
            && b[2..8].iter().all(u8::is_ascii_digit)
            && b.get(8).is_none_or(|c| matches!(c, b'A'..=b'D'));
        if !shape {
            return Err(NI_FORMAT.to_owned());
        }
        let prefix = &compact[..2];
        let allowed_prefix = prefix == "QQ"
            || (!b"DFIQUV".contains(&b[0])
                && !b"DFIOQUV".contains(&b[1])
                && !["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(&prefix));
        if !allowed_prefix {
            return Err(NI_FORMAT.to_owned());
        }
        Ok(Self(compact))
    }

    /// The compact form, e.g. `QQ123456C`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form printed on letters and cards: `QQ 12 34 56 C`.
    pub fn display_spaced(&self) -> String {
        let s = &self.0;
        let mut out = format!("{} {} {} {}", &s[..2], &s[2..4], &s[4..6], &s[6..8]);
        if let Some(suffix) = s.get(8..).filter(|x| !x.is_empty()) {
            out.push(' ');
            out.push_str(suffix);
        }
        out
    }

    /// The prefix and digits without the suffix letter. The suffix is often left off when
    /// the number is written down, so matching should compare this part.
    pub fn without_suffix(&self) -> &str {
        self.0.get(..8).unwrap_or(&self.0)
    }
}

string_value!(NiNumber);

// ---------------------------------------------------------------------------------------
// Prison number, CRN, passport, driving licence
// ---------------------------------------------------------------------------------------

/// A prison number (NOMS number), one letter, four digits, two letters: `A1234BC`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NomsNumber(String);

impl NomsNumber {
    pub fn parse(s: &str) -> Result<Self, String> {
        const MESSAGE: &str = "Enter a prison number in the correct format, like A1234BC";
        let compact = compact_upper(s, 64).ok_or_else(|| MESSAGE.to_owned())?;
        if compact.is_empty() {
            return Err("Enter a prison number".to_owned());
        }
        let b = compact.as_bytes();
        let shape = b.len() == 7
            && b[0].is_ascii_uppercase()
            && b[1..5].iter().all(u8::is_ascii_digit)
            && b[5..].iter().all(u8::is_ascii_uppercase);
        if !shape {
            return Err(MESSAGE.to_owned());
        }
        Ok(Self(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(NomsNumber);

/// A probation case reference number (CRN): one letter then six digits, `X123456`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Crn(String);

impl Crn {
    pub fn parse(s: &str) -> Result<Self, String> {
        const MESSAGE: &str =
            "Enter a case reference number (CRN) in the correct format, like X123456";
        let compact = compact_upper(s, 64).ok_or_else(|| MESSAGE.to_owned())?;
        if compact.is_empty() {
            return Err("Enter a case reference number (CRN)".to_owned());
        }
        let b = compact.as_bytes();
        let shape =
            b.len() == 7 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit);
        if !shape {
            return Err(MESSAGE.to_owned());
        }
        Ok(Self(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(Crn);

/// A passport number from any issuing country: 5 to 20 letters and digits, upper case,
/// spaces removed. Formats differ too much between countries to check more.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PassportNumber(String);

impl PassportNumber {
    pub fn parse(s: &str) -> Result<Self, String> {
        const MESSAGE: &str = "Passport number must be 5 to 20 letters and numbers";
        let compact = compact_upper(s, 128).ok_or_else(|| MESSAGE.to_owned())?;
        if compact.is_empty() {
            return Err("Enter a passport number".to_owned());
        }
        if !(5..=20).contains(&compact.len()) || !compact.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(MESSAGE.to_owned());
        }
        Ok(Self(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(PassportNumber);

const DRIVER_FORMAT: &str =
    "Enter a driving licence number in the correct format, like MORGA753116SM9IJ";

/// A GB (DVLA) driving licence number, 16 characters:
///
/// 1. 1-5: the first five letters of the surname, padded with 9s (`SMI99`);
/// 2. 6-11: date of birth as decade digit, month (plus 50 for women), day, year digit;
/// 3. 12-13: initials, 9 where there is no middle name;
/// 4. 14: an arbitrary digit; 15-16: computer check characters.
///
/// Spaces are removed and letters upper-cased. The shape is checked, and the month
/// (01-12 or 51-62) and day (01-31) of the encoded date of birth. The check characters
/// are not published, so they are not verified. The 17th and 18th characters printed on a
/// licence card (the issue number) are not part of the driver number and are refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DriverNumber(String);

impl DriverNumber {
    pub fn parse(s: &str) -> Result<Self, String> {
        let compact = compact_upper(s, 64).ok_or_else(|| DRIVER_FORMAT.to_owned())?;
        if compact.is_empty() {
            return Err("Enter a driving licence number".to_owned());
        }
        let b = compact.as_bytes();
        if b.len() != 16 || !b.iter().all(u8::is_ascii_alphanumeric) {
            return Err(DRIVER_FORMAT.to_owned());
        }
        let letter_or_9 = |c: &u8| c.is_ascii_uppercase() || *c == b'9';
        // The surname starts with a letter and is padded with 9s only at the end.
        let surname = &b[..5];
        let padding = surname.iter().rev().take_while(|c| **c == b'9').count();
        let surname_ok = surname[0].is_ascii_uppercase()
            && surname[..5 - padding].iter().all(u8::is_ascii_uppercase);
        let shape = surname_ok
            && b[5..11].iter().all(u8::is_ascii_digit)
            && b[11].is_ascii_uppercase()
            && letter_or_9(&b[12])
            && b[13].is_ascii_digit();
        if !shape {
            return Err(DRIVER_FORMAT.to_owned());
        }
        let two = |i: usize| u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0');
        let month = two(6);
        let day = two(8);
        if !((1..=12).contains(&month) || (51..=62).contains(&month)) || !(1..=31).contains(&day) {
            return Err(
                "Check the driving licence number: the date of birth part is not valid".to_owned(),
            );
        }
        Ok(Self(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(DriverNumber);

// ---------------------------------------------------------------------------------------
// Typed identifier list entry
// ---------------------------------------------------------------------------------------

/// Which kind of identifier a [`PersonIdentifier`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum IdentifierType {
    Pnc,
    Cro,
    Ni,
    Noms,
    Crn,
    Passport,
    Driver,
}

impl IdentifierType {
    pub const ALL: [IdentifierType; 7] = [
        IdentifierType::Pnc,
        IdentifierType::Cro,
        IdentifierType::Ni,
        IdentifierType::Noms,
        IdentifierType::Crn,
        IdentifierType::Passport,
        IdentifierType::Driver,
    ];

    /// Accepts `PNC`, `CRO`, `NI`, `NOMS`, `CRN`, `PASSPORT` or `DRIVER`, in any case.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| "Select the type of identifier".to_owned())
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            IdentifierType::Pnc => "PNC",
            IdentifierType::Cro => "CRO",
            IdentifierType::Ni => "NI",
            IdentifierType::Noms => "NOMS",
            IdentifierType::Crn => "CRN",
            IdentifierType::Passport => "PASSPORT",
            IdentifierType::Driver => "DRIVER",
        }
    }

    /// The words shown on a page.
    pub fn label(&self) -> &'static str {
        match self {
            IdentifierType::Pnc => "PNC ID",
            IdentifierType::Cro => "CRO number",
            IdentifierType::Ni => "National Insurance number",
            IdentifierType::Noms => "Prison number",
            IdentifierType::Crn => "Probation case reference (CRN)",
            IdentifierType::Passport => "Passport number",
            IdentifierType::Driver => "Driving licence number",
        }
    }
}

string_value!(IdentifierType);

/// One entry in a person's typed list of identifiers. Serialised as
/// `{"type": "PNC", "value": "2002/0073319Z"}`; reading it back re-validates the value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "PersonIdentifierRepr", into = "PersonIdentifierRepr")]
pub enum PersonIdentifier {
    Pnc(PncId),
    Cro(CroNumber),
    Ni(NiNumber),
    Noms(NomsNumber),
    Crn(Crn),
    Passport(PassportNumber),
    Driver(DriverNumber),
}

impl PersonIdentifier {
    pub fn parse(id_type: &str, value: &str) -> Result<Self, String> {
        Ok(match IdentifierType::parse(id_type)? {
            IdentifierType::Pnc => PersonIdentifier::Pnc(PncId::parse(value)?),
            IdentifierType::Cro => PersonIdentifier::Cro(CroNumber::parse(value)?),
            IdentifierType::Ni => PersonIdentifier::Ni(NiNumber::parse(value)?),
            IdentifierType::Noms => PersonIdentifier::Noms(NomsNumber::parse(value)?),
            IdentifierType::Crn => PersonIdentifier::Crn(Crn::parse(value)?),
            IdentifierType::Passport => PersonIdentifier::Passport(PassportNumber::parse(value)?),
            IdentifierType::Driver => PersonIdentifier::Driver(DriverNumber::parse(value)?),
        })
    }

    pub fn id_type(&self) -> IdentifierType {
        match self {
            PersonIdentifier::Pnc(_) => IdentifierType::Pnc,
            PersonIdentifier::Cro(_) => IdentifierType::Cro,
            PersonIdentifier::Ni(_) => IdentifierType::Ni,
            PersonIdentifier::Noms(_) => IdentifierType::Noms,
            PersonIdentifier::Crn(_) => IdentifierType::Crn,
            PersonIdentifier::Passport(_) => IdentifierType::Passport,
            PersonIdentifier::Driver(_) => IdentifierType::Driver,
        }
    }

    /// The value in its canonical form.
    pub fn value_str(&self) -> String {
        self.value().to_owned()
    }

    fn value(&self) -> &str {
        match self {
            PersonIdentifier::Pnc(v) => v.as_str(),
            PersonIdentifier::Cro(v) => v.as_str(),
            PersonIdentifier::Ni(v) => v.as_str(),
            PersonIdentifier::Noms(v) => v.as_str(),
            PersonIdentifier::Crn(v) => v.as_str(),
            PersonIdentifier::Passport(v) => v.as_str(),
            PersonIdentifier::Driver(v) => v.as_str(),
        }
    }
}

impl std::fmt::Display for PersonIdentifier {
    /// `PNC 2002/0073319Z`: the type code and the canonical value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.id_type().as_str(), self.value())
    }
}

/// The stored and wire shape of a [`PersonIdentifier`].
#[derive(Serialize, Deserialize)]
struct PersonIdentifierRepr {
    #[serde(rename = "type")]
    id_type: String,
    value: String,
}

impl TryFrom<PersonIdentifierRepr> for PersonIdentifier {
    type Error = String;
    fn try_from(repr: PersonIdentifierRepr) -> Result<Self, Self::Error> {
        PersonIdentifier::parse(&repr.id_type, &repr.value)
    }
}

impl From<PersonIdentifier> for PersonIdentifierRepr {
    fn from(id: PersonIdentifier) -> Self {
        PersonIdentifierRepr {
            id_type: id.id_type().as_str().to_owned(),
            value: id.value_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // --- PNC ---

    #[test]
    fn pnc_id_accepts_long_form_examples_from_hmpps() {
        for id in [
            "2008/0056560Z",
            "2001/0171310W",
            "2011/0275516Q",
            "2003/0062845E",
            "1981/0154257C",
        ] {
            assert_eq!(PncId::parse(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn pnc_id_accepts_long_form_without_slash() {
        assert_eq!(
            PncId::parse("20030011985X").unwrap().as_str(),
            "2003/0011985X"
        );
        assert_eq!(
            PncId::parse("20120052494Q").unwrap().as_str(),
            "2012/0052494Q"
        );
    }

    #[test]
    fn pnc_id_converts_short_form_to_long_form() {
        for (short, long) in [
            ("81/34U", "1981/0000034U"),
            ("02/73319Z", "2002/0073319Z"),
            ("00/223R", "2000/0000223R"),
            ("79/163001B", "1979/0163001B"),
            ("0273319Z", "2002/0073319Z"),
            ("79163001B", "1979/0163001B"),
            ("033Y", "2003/0000003Y"),
        ] {
            assert_eq!(PncId::parse(short).unwrap().as_str(), long, "{short}");
        }
    }

    #[test]
    fn pnc_id_century_pivot_reads_30_as_2030_and_31_as_1931() {
        let a = PncId::from_parts(2030, 1).unwrap().short_form();
        assert_eq!(PncId::parse(&a).unwrap().year(), 2030);
        let b = PncId::from_parts(1931, 1).unwrap().short_form();
        assert_eq!(PncId::parse(&b).unwrap().year(), 1931);
    }

    #[test]
    fn pnc_id_is_case_and_space_insensitive() {
        assert_eq!(
            PncId::parse(" 2002 / 0073319z ").unwrap().as_str(),
            "2002/0073319Z"
        );
    }

    #[test]
    fn pnc_id_rejects_wrong_check_character() {
        for bad in [
            "20030011985Z",
            "20120052494O",
            "20230583843N",
            "2001/0171310S",
        ] {
            assert_eq!(PncId::parse(bad), Err(PNC_CHECK.to_owned()), "{bad}");
        }
    }

    #[test]
    fn pnc_id_example_in_rules_has_wrong_check_character() {
        // docs use 2024/0123456A as an example; its check letter is F.
        assert_eq!(PncId::parse("2024/0123456A"), Err(PNC_CHECK.to_owned()));
        assert!(PncId::parse("2024/0123456F").is_ok());
    }

    #[test]
    fn pnc_id_rejects_bad_shapes() {
        for bad in [
            "01",
            "012",
            "0123567",
            "0123456789",
            "01234567890",
            "01234567890123",
            "TOTALLYINVALID",
            "1X23/1234567A",
            "1923[1234567A",
            "1923/1Z34567A",
            "1923/1234567AA",
            "1923/12345678A",
            "123/1234567A",
            "2002/Z",
            "/1234567A",
            "2002//0073319Z",
            "2002/0073319",
        ] {
            assert_eq!(PncId::parse(bad), Err(PNC_FORMAT.to_owned()), "{bad}");
        }
        assert_eq!(PncId::parse(""), Err("Enter a PNC ID".to_owned()));
        assert!(PncId::parse(&"1".repeat(10 * 1024 * 1024)).is_err());
    }

    #[test]
    fn pnc_id_rejects_year_out_of_range() {
        assert!(PncId::parse("1899/0000001A").is_err());
        assert!(PncId::from_parts(2100, 1).is_err());
        assert!(PncId::from_parts(2024, 10_000_000).is_err());
    }

    #[test]
    fn pnc_id_from_parts_computes_check_letter() {
        let id = PncId::from_parts(2002, 73319).unwrap();
        assert_eq!(id.as_str(), "2002/0073319Z");
        assert_eq!(id.short_form(), "02/73319Z");
        assert_eq!(id.check_char(), 'Z');
        assert_eq!((id.year(), id.serial()), (2002, 73319));
    }

    #[test]
    fn pnc_id_serde_revalidates() {
        let id: PncId = serde_json::from_str("\"02/73319Z\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"2002/0073319Z\"");
        assert!(serde_json::from_str::<PncId>("\"2002/0073319A\"").is_err());
    }

    // --- CRO ---

    #[test]
    fn cro_number_accepts_standard_form_examples_from_hmpps() {
        assert_eq!(
            CroNumber::parse("265416/21G").unwrap().as_str(),
            "265416/21G"
        );
        assert_eq!(
            CroNumber::parse("65656/91H").unwrap().as_str(),
            "065656/91H"
        );
        assert_eq!(CroNumber::parse("826/65W").unwrap().as_str(), "000826/65W");
    }

    #[test]
    fn cro_number_accepts_sf_form_without_padding_serial() {
        let sf = CroNumber::parse("SF05/482703J").unwrap();
        assert_eq!(sf.as_str(), "SF05/482703J");
        assert!(sf.is_fingerprint_only());
        assert_eq!(
            CroNumber::parse("sf 83/50058z").unwrap().as_str(),
            "SF83/50058Z"
        );
        assert!(
            !CroNumber::parse("265416/21G")
                .unwrap()
                .is_fingerprint_only()
        );
    }

    #[test]
    fn cro_number_rejects_wrong_check_character() {
        assert_eq!(CroNumber::parse("85227/65G"), Err(CRO_CHECK.to_owned()));
        assert_eq!(CroNumber::parse("SF05/482703K"), Err(CRO_CHECK.to_owned()));
        // Padding an SF serial changes the number its check letter covers.
        assert_eq!(CroNumber::parse("SF83/050058Z"), Err(CRO_CHECK.to_owned()));
    }

    #[test]
    fn cro_number_rejects_bad_shapes() {
        for bad in [
            "265416/21",
            "1234567/21G",
            "265416/2G",
            "265416-21G",
            "SF5/482703J",
            "SF05/4827031J",
            "SF05482703J",
            "26541621G",
            "45183/712",
        ] {
            assert_eq!(CroNumber::parse(bad), Err(CRO_FORMAT.to_owned()), "{bad}");
        }
        assert_eq!(CroNumber::parse(" "), Err("Enter a CRO number".to_owned()));
    }

    #[test]
    fn cro_number_from_parts_computes_check_letter() {
        assert_eq!(
            CroNumber::from_parts(265416, 21).unwrap().as_str(),
            "265416/21G"
        );
        assert_eq!(
            CroNumber::from_parts(65656, 1991).unwrap().as_str(),
            "065656/91H"
        );
        assert!(CroNumber::from_parts(1_000_000, 21).is_err());
        assert!(CroNumber::from_parts(1, 150).is_err());
    }

    // --- NI ---

    #[test]
    fn ni_number_accepts_and_compacts() {
        let ni = NiNumber::parse("qq 12 34 56 c").unwrap();
        assert_eq!(ni.as_str(), "QQ123456C");
        assert_eq!(ni.display_spaced(), "QQ 12 34 56 C");
        assert_eq!(ni.without_suffix(), "QQ123456");
        assert_eq!(NiNumber::parse("AB123456D").unwrap().as_str(), "AB123456D");
    }

    #[test]
    fn ni_number_suffix_is_optional() {
        let ni = NiNumber::parse("AB 12 34 56").unwrap();
        assert_eq!(ni.as_str(), "AB123456");
        assert_eq!(ni.display_spaced(), "AB 12 34 56");
    }

    #[test]
    fn ni_number_rejects_disallowed_first_letter() {
        for bad in [
            "DA123456A",
            "FA123456A",
            "IA123456A",
            "QA123456A",
            "UA123456A",
            "VA123456A",
        ] {
            assert_eq!(NiNumber::parse(bad), Err(NI_FORMAT.to_owned()), "{bad}");
        }
    }

    #[test]
    fn ni_number_rejects_disallowed_second_letter() {
        for bad in [
            "AD123456A",
            "AF123456A",
            "AI123456A",
            "AO123456A",
            "AQ123456A",
            "AU123456A",
            "AV123456A",
        ] {
            assert_eq!(NiNumber::parse(bad), Err(NI_FORMAT.to_owned()), "{bad}");
        }
    }

    #[test]
    fn ni_number_rejects_unissued_prefixes() {
        for prefix in ["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"] {
            assert!(
                NiNumber::parse(&format!("{prefix}123456A")).is_err(),
                "{prefix}"
            );
        }
    }

    #[test]
    fn ni_number_rejects_bad_suffix_and_shape() {
        for bad in [
            "AB123456E",
            "AB12345A",
            "AB1234567",
            "A1123456A",
            "AB123456AA",
            "AB12345ÉA",
        ] {
            assert_eq!(NiNumber::parse(bad), Err(NI_FORMAT.to_owned()), "{bad}");
        }
        assert_eq!(
            NiNumber::parse(""),
            Err("Enter a National Insurance number".to_owned())
        );
    }

    // --- NOMS, CRN, passport, driver ---

    #[test]
    fn noms_number_accepts_and_upper_cases() {
        assert_eq!(NomsNumber::parse("a1234bc").unwrap().as_str(), "A1234BC");
    }

    #[test]
    fn noms_number_rejects_wrong_shape() {
        for bad in ["A123BC", "A12345BC", "11234BC", "A1234B1", "A1234BCD"] {
            assert!(NomsNumber::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            NomsNumber::parse(""),
            Err("Enter a prison number".to_owned())
        );
    }

    #[test]
    fn crn_accepts_and_upper_cases() {
        assert_eq!(Crn::parse(" x123456 ").unwrap().as_str(), "X123456");
    }

    #[test]
    fn crn_rejects_wrong_shape() {
        for bad in ["X12345", "X1234567", "1123456", "XX23456"] {
            assert!(Crn::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passport_number_accepts_5_to_20_alphanumerics() {
        assert_eq!(PassportNumber::parse("12345").unwrap().as_str(), "12345");
        assert_eq!(
            PassportNumber::parse("ab 123 456 c").unwrap().as_str(),
            "AB123456C"
        );
        assert!(PassportNumber::parse(&"A".repeat(20)).is_ok());
    }

    #[test]
    fn passport_number_rejects_wrong_length_and_symbols() {
        assert!(PassportNumber::parse("1234").is_err());
        assert!(PassportNumber::parse(&"A".repeat(21)).is_err());
        assert!(PassportNumber::parse("AB-123456").is_err());
        assert_eq!(
            PassportNumber::parse(""),
            Err("Enter a passport number".to_owned())
        );
    }

    #[test]
    fn driver_number_accepts_dvla_format() {
        assert_eq!(
            DriverNumber::parse("morga 753116 sm9ij").unwrap().as_str(),
            "MORGA753116SM9IJ"
        );
        // Short surname padded with 9s, a man's month (01-12).
        assert!(DriverNumber::parse("LEE99801257J99AB").is_ok());
    }

    #[test]
    fn driver_number_rejects_impossible_month() {
        for bad in [
            "MORGA713116SM9IJ",
            "MORGA763116SM9IJ",
            "MORGA700116SM9IJ",
            "MORGA750116SM9IJ",
        ] {
            assert_eq!(
                DriverNumber::parse(bad),
                Err(
                    "Check the driving licence number: the date of birth part is not valid"
                        .to_owned()
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn driver_number_rejects_impossible_day() {
        assert!(DriverNumber::parse("MORGA753326SM9IJ").is_err());
        assert!(DriverNumber::parse("MORGA753006SM9IJ").is_err());
    }

    #[test]
    fn driver_number_rejects_bad_shape() {
        for bad in [
            "MORGA753116SM9I",    // 15 characters
            "MORGA753116SM9IJ01", // with the card's issue number
            "9ORGA753116SM9IJ",   // surname starting with 9
            "MO9GA753116SM9IJ",   // 9 padding in the middle
            "MORGA75311ASM9IJ",   // letter among the date digits
            "MORGA7531169M9IJ",   // first initial not a letter
            "MORGA753116SMAIJ",   // position 14 not a digit
            "MORGA753116SM9I-",
        ] {
            assert_eq!(
                DriverNumber::parse(bad),
                Err(DRIVER_FORMAT.to_owned()),
                "{bad}"
            );
        }
    }

    // --- Typed list ---

    #[test]
    fn identifier_type_parses_case_insensitively() {
        assert_eq!(IdentifierType::parse("pnc"), Ok(IdentifierType::Pnc));
        assert_eq!(
            IdentifierType::parse(" Passport "),
            Ok(IdentifierType::Passport)
        );
        for t in IdentifierType::ALL {
            assert_eq!(IdentifierType::parse(t.as_str()), Ok(t));
        }
        assert_eq!(
            IdentifierType::parse("SSN"),
            Err("Select the type of identifier".to_owned())
        );
    }

    #[test]
    fn person_identifier_parses_each_type() {
        let cases = [
            ("PNC", "02/73319Z", "2002/0073319Z"),
            ("cro", "65656/91H", "065656/91H"),
            ("NI", "qq123456c", "QQ123456C"),
            ("NOMS", "a1234bc", "A1234BC"),
            ("CRN", "x123456", "X123456"),
            ("PASSPORT", "123456789", "123456789"),
            ("DRIVER", "MORGA753116SM9IJ", "MORGA753116SM9IJ"),
        ];
        for (t, value, canonical) in cases {
            let id = PersonIdentifier::parse(t, value).unwrap();
            assert_eq!(id.id_type(), IdentifierType::parse(t).unwrap());
            assert_eq!(id.value_str(), canonical);
        }
    }

    #[test]
    fn person_identifier_reports_value_error_for_its_type() {
        assert_eq!(
            PersonIdentifier::parse("PNC", "2002/0073319A"),
            Err(PNC_CHECK.to_owned())
        );
        assert!(PersonIdentifier::parse("BANK", "12345678").is_err());
    }

    #[test]
    fn person_identifier_serde_shape_is_type_and_value() {
        let id = PersonIdentifier::parse("PNC", "2024/0123456F").unwrap();
        let json = serde_json::to_value(&id).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "PNC", "value": "2024/0123456F"})
        );
        let back: PersonIdentifier = serde_json::from_value(json).unwrap();
        assert_eq!(back, id);
        assert_eq!(id.to_string(), "PNC 2024/0123456F");
    }

    #[test]
    fn person_identifier_deserialise_revalidates_value() {
        let bad = serde_json::json!({"type": "PNC", "value": "2024/0123456A"});
        assert!(serde_json::from_value::<PersonIdentifier>(bad).is_err());
        let wrong_type = serde_json::json!({"type": "NINO", "value": "QQ123456C"});
        assert!(serde_json::from_value::<PersonIdentifier>(wrong_type).is_err());
    }

    fn valid_ni() -> impl Strategy<Value = String> {
        (
            "[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]",
            "[0-9]{6}",
            prop_oneof![Just(String::new()), "[A-D]"],
        )
            .prop_filter("unissued prefix", |(p, _, _)| {
                !["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(&p.as_str())
            })
            .prop_map(|(p, d, s)| format!("{p}{d}{s}"))
    }

    proptest! {
        #[test]
        fn identifier_parsers_never_panic(s in any::<String>()) {
            let _ = PncId::parse(&s);
            let _ = CroNumber::parse(&s);
            let _ = NiNumber::parse(&s);
            let _ = NomsNumber::parse(&s);
            let _ = Crn::parse(&s);
            let _ = PassportNumber::parse(&s);
            let _ = DriverNumber::parse(&s);
            let _ = IdentifierType::parse(&s);
        }

        #[test]
        fn identifier_parsers_never_panic_on_identifier_like_input(s in "[0-9A-Za-z/ ]{0,20}") {
            let _ = PncId::parse(&s);
            let _ = CroNumber::parse(&s);
            let _ = NiNumber::parse(&s);
            let _ = DriverNumber::parse(&s);
        }

        #[test]
        fn any_valid_pnc_id_round_trips_through_display_and_short_form(
            year in 1900u16..=2099, serial in 0u32..=9_999_999
        ) {
            let id = PncId::from_parts(year, serial).unwrap();
            prop_assert_eq!(PncId::parse(&id.to_string()), Ok(id.clone()));
            prop_assert_eq!(PncId::parse(&id.as_str().replace('/', "")), Ok(id.clone()));
            let short = PncId::parse(&id.short_form()).unwrap();
            // The short form loses the century; the pivot decides it.
            prop_assert_eq!(short.serial(), serial);
            prop_assert_eq!(short.year() % 100, year % 100);
            let json = serde_json::to_string(&id).unwrap();
            prop_assert_eq!(serde_json::from_str::<PncId>(&json).unwrap(), id);
        }

        #[test]
        fn pnc_id_with_any_other_check_letter_is_rejected(
            year in 1900u16..=2099, serial in 0u32..=9_999_999, other in "[A-Z]"
        ) {
            let id = PncId::from_parts(year, serial).unwrap();
            let other = other.chars().next().unwrap();
            prop_assume!(other != id.check_char());
            let tampered = format!("{year:04}/{serial:07}{other}");
            prop_assert_eq!(PncId::parse(&tampered), Err(PNC_CHECK.to_owned()));
        }

        #[test]
        fn any_valid_cro_number_round_trips(serial in 0u32..=999_999, yy in 0u16..=99) {
            let cro = CroNumber::from_parts(serial, yy).unwrap();
            prop_assert_eq!(CroNumber::parse(&cro.to_string()), Ok(cro.clone()));
            let unpadded = format!("{serial}/{yy:02}{}", cro.as_str().chars().last().unwrap());
            prop_assert_eq!(CroNumber::parse(&unpadded), Ok(cro.clone()));
        }

        #[test]
        fn any_valid_ni_number_round_trips(ni in valid_ni()) {
            let parsed = NiNumber::parse(&ni).unwrap();
            prop_assert_eq!(parsed.as_str(), ni.as_str());
            prop_assert_eq!(NiNumber::parse(&parsed.display_spaced()), Ok(parsed.clone()));
        }

        #[test]
        fn any_person_identifier_round_trips_through_json(
            year in 1900u16..=2099, serial in 0u32..=9_999_999, noms in "[A-Z][0-9]{4}[A-Z]{2}"
        ) {
            for id in [
                PersonIdentifier::Pnc(PncId::from_parts(year, serial).unwrap()),
                PersonIdentifier::Noms(NomsNumber::parse(&noms).unwrap()),
            ] {
                let json = serde_json::to_string(&id).unwrap();
                prop_assert_eq!(serde_json::from_str::<PersonIdentifier>(&json).unwrap(), id);
            }
        }
    }
}
