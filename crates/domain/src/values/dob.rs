//! Date of birth, full or partial. People in custody or on an intelligence record often
//! know (or give) only a month and year, or a year, or nothing; PNC nominal records hold
//! whatever is known, so this type does too rather than inventing a day.
//!
//! A date of birth is a calendar date (a day in Europe/London), never an instant. The type
//! cannot read the clock: callers pass "today" from the injected `Clock`, and a date after
//! it is refused. Stored values are re-read without the "not in the future" check, so a
//! record never becomes unreadable because of a clock change.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Earliest year accepted: nobody living, or plausibly on a record, was born before it.
pub const EARLIEST_BIRTH_YEAR: i16 = 1890;

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const REAL_DATE: &str = "Date of birth must be a real date";
const IN_PAST: &str = "Date of birth must be today or in the past";
const FORMAT: &str = "Enter a date of birth like 1985-03-03, 1985-03 or 1985";

/// A date of birth with as much precision as is known.
///
/// The variants are public so callers can match on them; build values through
/// [`DateOfBirth::parse`] or [`DateOfBirth::from_parts`], which apply the range rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateOfBirth {
    Full(Date),
    MonthYear { year: i16, month: i8 },
    Year(i16),
    Unknown,
}

impl DateOfBirth {
    /// Parses the canonical machine form: `YYYY-MM-DD`, `YYYY-MM`, `YYYY`, or `""` /
    /// `unknown` for not known. Refuses impossible dates, dates after `today` and years
    /// before [`EARLIEST_BIRTH_YEAR`].
    pub fn parse(s: &str, today: Date) -> Result<Self, String> {
        Self::parse_checked(s, Some(today))
    }

    /// Builds a date of birth from the three GOV.UK date-input fields (day, month, year).
    /// Day, month and year give a full date; month and year a month; year alone a year; all
    /// empty means not known. The month may be a number or an English month name ("3",
    /// "03", "March", "mar"), as the GOV.UK date input pattern recommends accepting.
    pub fn from_parts(day: &str, month: &str, year: &str, today: Date) -> Result<Self, String> {
        // Each field is tiny; anything long is a mistake or an attack, refused before work.
        if day.len() > 16 || month.len() > 16 || year.len() > 16 {
            return Err(REAL_DATE.to_owned());
        }
        let (day, month, year) = (day.trim(), month.trim(), year.trim());
        if day.is_empty() && month.is_empty() && year.is_empty() {
            return Ok(DateOfBirth::Unknown);
        }
        if !day.is_empty() && month.is_empty() {
            return Err("Enter a month".to_owned());
        }
        if year.is_empty() {
            return Err("Enter a year".to_owned());
        }
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err("Year must include 4 numbers".to_owned());
        }
        let y = parse_number(year).ok_or_else(|| REAL_DATE.to_owned())?;
        let value = if month.is_empty() {
            DateOfBirth::Year(y)
        } else {
            let m = parse_month(month).ok_or_else(|| REAL_DATE.to_owned())?;
            if day.is_empty() {
                DateOfBirth::MonthYear { year: y, month: m }
            } else {
                let d = parse_small(day).ok_or_else(|| REAL_DATE.to_owned())?;
                DateOfBirth::Full(Date::new(y, m, d).map_err(|_| REAL_DATE.to_owned())?)
            }
        };
        value.check(Some(today))
    }

    /// The canonical stored form: `YYYY-MM-DD`, `YYYY-MM`, `YYYY`, or `""` when not known.
    pub fn as_string(&self) -> String {
        match self {
            DateOfBirth::Full(d) => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
            DateOfBirth::MonthYear { year, month } => format!("{year:04}-{month:02}"),
            DateOfBirth::Year(year) => format!("{year:04}"),
            DateOfBirth::Unknown => String::new(),
        }
    }

    /// The GOV.UK style form shown on pages: "3 March 1985", "March 1985", "1985" or
    /// "Not known".
    pub fn display(&self) -> String {
        match self {
            DateOfBirth::Full(d) => {
                format!("{} {} {}", d.day(), month_name(d.month()), d.year())
            }
            DateOfBirth::MonthYear { year, month } => format!("{} {year}", month_name(*month)),
            DateOfBirth::Year(year) => year.to_string(),
            DateOfBirth::Unknown => "Not known".to_owned(),
        }
    }

    /// Age in whole years on the given day, for a full date of birth only (a partial date
    /// gives a range, not an age; callers that need one must say so). `None` before birth.
    ///
    /// Someone born on 29 February turns a year older on 1 March in a non-leap year: the
    /// (month, day) comparison below treats 28 February as still before the birthday.
    pub fn age_at(&self, on: Date) -> Option<u8> {
        let DateOfBirth::Full(born) = self else {
            return None;
        };
        if on < *born {
            return None;
        }
        let mut years = i32::from(on.year()) - i32::from(born.year());
        if (on.month(), on.day()) < (born.month(), born.day()) {
            years -= 1;
        }
        u8::try_from(years).ok()
    }

    /// Shared by `parse` (with today) and deserialisation (without): stored data was
    /// checked against the clock when it was entered.
    fn parse_checked(s: &str, today: Option<Date>) -> Result<Self, String> {
        if s.len() > 32 {
            return Err(FORMAT.to_owned());
        }
        let t = s.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("unknown") {
            return Ok(DateOfBirth::Unknown);
        }
        let parts: Vec<&str> = t.split('-').collect();
        let year = parts
            .first()
            .filter(|p| p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| parse_number(p))
            .ok_or_else(|| FORMAT.to_owned())?;
        let value = match parts.as_slice() {
            [_] => DateOfBirth::Year(year),
            [_, m] => {
                let month = parse_small(m).ok_or_else(|| FORMAT.to_owned())?;
                if !(1..=12).contains(&month) {
                    return Err(REAL_DATE.to_owned());
                }
                DateOfBirth::MonthYear { year, month }
            }
            [_, m, d] => {
                let month = parse_small(m).ok_or_else(|| FORMAT.to_owned())?;
                let day = parse_small(d).ok_or_else(|| FORMAT.to_owned())?;
                DateOfBirth::Full(Date::new(year, month, day).map_err(|_| REAL_DATE.to_owned())?)
            }
            _ => return Err(FORMAT.to_owned()),
        };
        value.check(today)
    }

    /// The range rules every constructor applies.
    fn check(self, today: Option<Date>) -> Result<Self, String> {
        let year = match self {
            DateOfBirth::Full(d) => d.year(),
            DateOfBirth::MonthYear { year, month } => {
                if !(1..=12).contains(&month) {
                    return Err(REAL_DATE.to_owned());
                }
                year
            }
            DateOfBirth::Year(year) => year,
            DateOfBirth::Unknown => return Ok(self),
        };
        if year < EARLIEST_BIRTH_YEAR {
            return Err(format!(
                "Date of birth must be in {EARLIEST_BIRTH_YEAR} or later"
            ));
        }
        if let Some(today) = today {
            let future = match self {
                DateOfBirth::Full(d) => d > today,
                DateOfBirth::MonthYear { year, month } => {
                    (year, month) > (today.year(), today.month())
                }
                DateOfBirth::Year(year) => year > today.year(),
                DateOfBirth::Unknown => false,
            };
            if future {
                return Err(IN_PAST.to_owned());
            }
        }
        Ok(self)
    }
}

fn month_name(month: i8) -> &'static str {
    // Widened before subtracting: the variants are public, so a hand-built value could
    // hold any i8 and must not overflow here.
    usize::try_from(i16::from(month) - 1)
        .ok()
        .and_then(|i| MONTH_NAMES.get(i))
        .copied()
        .unwrap_or("")
}

/// A 1 or 2 digit number (day or month), ASCII digits only.
fn parse_small(s: &str) -> Option<i8> {
    if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_number(s: &str) -> Option<i16> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A month as a number or as an English name or three-letter abbreviation.
fn parse_month(s: &str) -> Option<i8> {
    if let Some(m) = parse_small(s) {
        return (1..=12).contains(&m).then_some(m);
    }
    let lower = s.to_ascii_lowercase();
    MONTH_NAMES.iter().zip(1i8..).find_map(|(name, number)| {
        let name = name.to_ascii_lowercase();
        (lower == name || (lower.len() == 3 && name.starts_with(&lower))).then_some(number)
    })
}

impl fmt::Display for DateOfBirth {
    /// The canonical stored form (see [`DateOfBirth::as_string`]); pages use `display()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

impl Serialize for DateOfBirth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_string())
    }
}

impl<'de> Deserialize<'de> for DateOfBirth {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        DateOfBirth::parse_checked(&s, None).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn today() -> Date {
        date(2026, 5, 14)
    }

    #[test]
    fn dob_parses_full_month_year_and_year() {
        assert_eq!(
            DateOfBirth::parse("1985-03-03", today()),
            Ok(DateOfBirth::Full(date(1985, 3, 3)))
        );
        assert_eq!(
            DateOfBirth::parse("1985-03", today()),
            Ok(DateOfBirth::MonthYear {
                year: 1985,
                month: 3
            })
        );
        assert_eq!(
            DateOfBirth::parse("1985", today()),
            Ok(DateOfBirth::Year(1985))
        );
    }

    #[test]
    fn dob_empty_or_unknown_is_unknown() {
        assert_eq!(DateOfBirth::parse("", today()), Ok(DateOfBirth::Unknown));
        assert_eq!(
            DateOfBirth::parse(" Unknown ", today()),
            Ok(DateOfBirth::Unknown)
        );
    }

    #[test]
    fn dob_rejects_impossible_date() {
        assert_eq!(
            DateOfBirth::parse("2023-02-29", today()),
            Err(REAL_DATE.to_owned())
        );
        assert!(DateOfBirth::parse("1985-13", today()).is_err());
        assert!(DateOfBirth::parse("1985-00-10", today()).is_err());
        assert!(DateOfBirth::parse("1985-04-31", today()).is_err());
    }

    #[test]
    fn dob_accepts_leap_day_in_leap_year() {
        assert!(DateOfBirth::parse("2024-02-29", today()).is_ok());
    }

    #[test]
    fn dob_rejects_future_dates_at_each_precision() {
        assert_eq!(
            DateOfBirth::parse("2026-05-15", today()),
            Err(IN_PAST.to_owned())
        );
        assert!(DateOfBirth::parse("2026-06", today()).is_err());
        assert!(DateOfBirth::parse("2027", today()).is_err());
    }

    #[test]
    fn dob_accepts_today_this_month_and_this_year() {
        assert!(DateOfBirth::parse("2026-05-14", today()).is_ok());
        assert!(DateOfBirth::parse("2026-05", today()).is_ok());
        assert!(DateOfBirth::parse("2026", today()).is_ok());
    }

    #[test]
    fn dob_rejects_years_before_1890() {
        assert_eq!(
            DateOfBirth::parse("1889-12-31", today()),
            Err("Date of birth must be in 1890 or later".to_owned())
        );
        assert!(DateOfBirth::parse("1889", today()).is_err());
        assert!(DateOfBirth::parse("1890-01-01", today()).is_ok());
    }

    #[test]
    fn dob_rejects_malformed_text() {
        for s in [
            "85-03-03",
            "1985/03/03",
            "03-03-1985",
            "1985-03-03-01",
            "abcd",
            "1985-",
            "１９８５",
        ] {
            assert!(DateOfBirth::parse(s, today()).is_err(), "{s}");
        }
        assert!(DateOfBirth::parse(&"1".repeat(10 * 1024 * 1024), today()).is_err());
    }

    #[test]
    fn dob_canonical_and_display_forms() {
        let full = DateOfBirth::Full(date(1985, 3, 3));
        assert_eq!(full.as_string(), "1985-03-03");
        assert_eq!(full.to_string(), "1985-03-03");
        assert_eq!(full.display(), "3 March 1985");
        let my = DateOfBirth::MonthYear {
            year: 1985,
            month: 3,
        };
        assert_eq!(my.as_string(), "1985-03");
        assert_eq!(my.display(), "March 1985");
        assert_eq!(DateOfBirth::Year(1985).as_string(), "1985");
        assert_eq!(DateOfBirth::Year(1985).display(), "1985");
        assert_eq!(DateOfBirth::Unknown.as_string(), "");
        assert_eq!(DateOfBirth::Unknown.display(), "Not known");
    }

    #[test]
    fn dob_from_parts_builds_each_precision() {
        assert_eq!(
            DateOfBirth::from_parts("3", "3", "1985", today()),
            Ok(DateOfBirth::Full(date(1985, 3, 3)))
        );
        assert_eq!(
            DateOfBirth::from_parts("", "03", "1985", today()),
            Ok(DateOfBirth::MonthYear {
                year: 1985,
                month: 3
            })
        );
        assert_eq!(
            DateOfBirth::from_parts(" ", "", "1985", today()),
            Ok(DateOfBirth::Year(1985))
        );
        assert_eq!(
            DateOfBirth::from_parts("", "", "", today()),
            Ok(DateOfBirth::Unknown)
        );
    }

    #[test]
    fn dob_from_parts_accepts_month_names() {
        assert_eq!(
            DateOfBirth::from_parts("3", "March", "1985", today()),
            Ok(DateOfBirth::Full(date(1985, 3, 3)))
        );
        assert_eq!(
            DateOfBirth::from_parts("", "sep", "1985", today()),
            Ok(DateOfBirth::MonthYear {
                year: 1985,
                month: 9
            })
        );
        assert!(DateOfBirth::from_parts("", "ma", "1985", today()).is_err());
    }

    #[test]
    fn dob_from_parts_day_without_month_asks_for_month() {
        assert_eq!(
            DateOfBirth::from_parts("3", "", "1985", today()),
            Err("Enter a month".to_owned())
        );
    }

    #[test]
    fn dob_from_parts_without_year_asks_for_year() {
        assert_eq!(
            DateOfBirth::from_parts("3", "3", "", today()),
            Err("Enter a year".to_owned())
        );
        assert_eq!(
            DateOfBirth::from_parts("", "3", "", today()),
            Err("Enter a year".to_owned())
        );
    }

    #[test]
    fn dob_from_parts_year_must_have_four_digits() {
        assert_eq!(
            DateOfBirth::from_parts("3", "3", "85", today()),
            Err("Year must include 4 numbers".to_owned())
        );
    }

    #[test]
    fn dob_from_parts_rejects_impossible_and_future_dates() {
        assert_eq!(
            DateOfBirth::from_parts("29", "2", "2023", today()),
            Err(REAL_DATE.to_owned())
        );
        assert_eq!(
            DateOfBirth::from_parts("32", "1", "1985", today()),
            Err(REAL_DATE.to_owned())
        );
        assert_eq!(
            DateOfBirth::from_parts("1", "13", "1985", today()),
            Err(REAL_DATE.to_owned())
        );
        assert_eq!(
            DateOfBirth::from_parts("x", "1", "1985", today()),
            Err(REAL_DATE.to_owned())
        );
        assert_eq!(
            DateOfBirth::from_parts("15", "5", "2026", today()),
            Err(IN_PAST.to_owned())
        );
        assert!(DateOfBirth::from_parts("", "", "1850", today()).is_err());
    }

    #[test]
    fn dob_age_at_counts_whole_years() {
        let dob = DateOfBirth::Full(date(1985, 3, 3));
        assert_eq!(dob.age_at(date(2026, 3, 2)), Some(40));
        assert_eq!(dob.age_at(date(2026, 3, 3)), Some(41));
        assert_eq!(dob.age_at(date(1985, 3, 3)), Some(0));
        assert_eq!(dob.age_at(date(1985, 3, 2)), None);
    }

    #[test]
    fn dob_age_at_leap_day_birthday_counts_from_first_of_march() {
        let dob = DateOfBirth::Full(date(2008, 2, 29));
        assert_eq!(dob.age_at(date(2026, 2, 28)), Some(17));
        assert_eq!(dob.age_at(date(2026, 3, 1)), Some(18));
    }

    #[test]
    fn dob_age_at_is_none_for_partial_dates() {
        assert_eq!(DateOfBirth::Year(1985).age_at(today()), None);
        assert_eq!(DateOfBirth::Unknown.age_at(today()), None);
    }

    #[test]
    fn dob_serde_uses_canonical_string() {
        let full = DateOfBirth::Full(date(1985, 3, 3));
        assert_eq!(serde_json::to_string(&full).unwrap(), "\"1985-03-03\"");
        assert_eq!(
            serde_json::to_string(&DateOfBirth::Unknown).unwrap(),
            "\"\""
        );
        assert_eq!(
            serde_json::from_str::<DateOfBirth>("\"\"").unwrap(),
            DateOfBirth::Unknown
        );
    }

    #[test]
    fn dob_deserialise_skips_future_check_but_not_validity() {
        // Stored data is not re-checked against the clock...
        assert_eq!(
            serde_json::from_str::<DateOfBirth>("\"2999-01-01\"").unwrap(),
            DateOfBirth::Full(date(2999, 1, 1))
        );
        // ...but must still be a real date in range.
        assert!(serde_json::from_str::<DateOfBirth>("\"2023-02-29\"").is_err());
        assert!(serde_json::from_str::<DateOfBirth>("\"1700\"").is_err());
    }

    fn any_dob() -> impl Strategy<Value = DateOfBirth> {
        prop_oneof![
            // All before `today()` (14 May 2026).
            (1890i16..=2025, 1i8..=12, 1i8..=28)
                .prop_map(|(y, m, d)| DateOfBirth::Full(date(y, m, d))),
            (1890i16..=2025, 1i8..=12)
                .prop_map(|(year, month)| DateOfBirth::MonthYear { year, month }),
            (1890i16..=2026).prop_map(DateOfBirth::Year),
            Just(DateOfBirth::Unknown),
        ]
    }

    proptest! {
        #[test]
        fn dob_parse_never_panics(s in any::<String>()) {
            let _ = DateOfBirth::parse(&s, today());
        }

        #[test]
        fn dob_from_parts_never_panics(d in any::<String>(), m in any::<String>(), y in any::<String>()) {
            let _ = DateOfBirth::from_parts(&d, &m, &y, today());
        }

        #[test]
        fn any_valid_dob_round_trips_through_canonical_string(dob in any_dob()) {
            prop_assert_eq!(DateOfBirth::parse(&dob.as_string(), today()), Ok(dob));
            let json = serde_json::to_string(&dob).unwrap();
            prop_assert_eq!(serde_json::from_str::<DateOfBirth>(&json).unwrap(), dob);
        }

        #[test]
        fn dob_from_parts_agrees_with_parse(y in 1890i16..=2026, m in 1i8..=12, d in 1i8..=31) {
            let parts = DateOfBirth::from_parts(&d.to_string(), &m.to_string(), &y.to_string(), today());
            let text = DateOfBirth::parse(&format!("{y:04}-{m:02}-{d:02}"), today());
            prop_assert_eq!(parts, text);
        }
    }
}
