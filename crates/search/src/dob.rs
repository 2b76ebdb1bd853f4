//! Dates of birth: how well two agree ([`compare_dob`]), and whether one satisfies a
//! search ([`matches_query`]: a date, a year, a month and year, a range, an age at a date).
//!
//! Both understand the partial forms of [`DateOfBirth`] (month and year, year only, not
//! known) and the commonest recording error, day and month transposed (03/04 for 04/03).

use bluelamp_domain::values::DateOfBirth;
use jiff::Span;
use jiff::civil::Date;
use serde::Serialize;

/// How two dates of birth agree, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DobAgreement {
    /// The same full date, or the same partial date at the same precision (use
    /// [`shared_precision`] to tell these apart).
    Exact,
    /// Two full dates in the same year with day and month swapped (1985-03-04, 1985-04-03).
    DayMonthTransposed,
    /// Two full dates with the same month and year and a different day.
    SameMonthAndYear,
    /// The same year and a different month.
    SameYear,
    /// Years one apart, everything else recorded agreeing (1985-03-04, 1986-03-04).
    YearOffByOne,
    /// One date is partial and consistent with the other (1985 and 1985-03-04).
    Compatible,
    /// They cannot be the same date.
    Disagree,
    /// At least one is not known.
    Unknown,
}

impl DobAgreement {
    pub fn as_str(&self) -> &'static str {
        match self {
            DobAgreement::Exact => "exact",
            DobAgreement::DayMonthTransposed => "day_month_transposed",
            DobAgreement::SameMonthAndYear => "same_month_and_year",
            DobAgreement::SameYear => "same_year",
            DobAgreement::YearOffByOne => "year_off_by_one",
            DobAgreement::Compatible => "compatible",
            DobAgreement::Disagree => "disagree",
            DobAgreement::Unknown => "unknown",
        }
    }
}

/// How precisely a date of birth is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DobPrecision {
    Unknown,
    Year,
    Month,
    Day,
}

pub fn precision(dob: &DateOfBirth) -> DobPrecision {
    match dob {
        DateOfBirth::Full(_) => DobPrecision::Day,
        DateOfBirth::MonthYear { .. } => DobPrecision::Month,
        DateOfBirth::Year(_) => DobPrecision::Year,
        DateOfBirth::Unknown => DobPrecision::Unknown,
    }
}

/// The coarser of the two precisions: what both records say.
pub fn shared_precision(a: &DateOfBirth, b: &DateOfBirth) -> DobPrecision {
    precision(a).min(precision(b))
}

fn year_of(d: &DateOfBirth) -> Option<i16> {
    match d {
        DateOfBirth::Full(d) => Some(d.year()),
        DateOfBirth::MonthYear { year, .. } | DateOfBirth::Year(year) => Some(*year),
        DateOfBirth::Unknown => None,
    }
}

fn month_of(d: &DateOfBirth) -> Option<i8> {
    match d {
        DateOfBirth::Full(d) => Some(d.month()),
        DateOfBirth::MonthYear { month, .. } => Some(*month),
        _ => None,
    }
}

/// Compares two dates of birth. Symmetric: `compare_dob(a, b) == compare_dob(b, a)`.
pub fn compare_dob(a: &DateOfBirth, b: &DateOfBirth) -> DobAgreement {
    let (Some(ya), Some(yb)) = (year_of(a), year_of(b)) else {
        return DobAgreement::Unknown;
    };
    let same_year = ya == yb;
    let adjacent_year = (i32::from(ya) - i32::from(yb)).abs() == 1;
    if let (DateOfBirth::Full(x), DateOfBirth::Full(y)) = (a, b) {
        return if x == y {
            DobAgreement::Exact
        } else if same_year && x.day() == y.month() && x.month() == y.day() {
            DobAgreement::DayMonthTransposed
        } else if same_year && x.month() == y.month() {
            DobAgreement::SameMonthAndYear
        } else if adjacent_year && x.month() == y.month() && x.day() == y.day() {
            DobAgreement::YearOffByOne
        } else if same_year {
            DobAgreement::SameYear
        } else {
            DobAgreement::Disagree
        };
    }
    let (pa, pb) = (precision(a), precision(b));
    let months_agree = match (month_of(a), month_of(b)) {
        (Some(ma), Some(mb)) => ma == mb,
        _ => true,
    };
    if same_year && months_agree {
        if pa == pb {
            // Equal partial dates at the same precision.
            return DobAgreement::Exact;
        }
        return DobAgreement::Compatible;
    }
    if same_year {
        return DobAgreement::SameYear;
    }
    if adjacent_year && months_agree {
        return DobAgreement::YearOffByOne;
    }
    DobAgreement::Disagree
}

/// A date-of-birth search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DobQuery {
    /// Born on this date.
    Date(Date),
    /// Born in this year.
    Year(i16),
    /// Born in this month.
    MonthYear { year: i16, month: i8 },
    /// Born between these dates, both included.
    Range { from: Date, to: Date },
    /// This many whole years old on a date.
    AgeAt { age: u8, on: Date },
    /// Between `min` and `max` whole years old (both included) on a date.
    AgeBetween { min: u8, max: u8, on: Date },
}

impl DobQuery {
    /// The earliest and latest birth dates the query allows; `None` when it allows none
    /// (an impossible date or an empty range).
    pub fn interval(&self) -> Option<(Date, Date)> {
        let (from, to) = match *self {
            DobQuery::Date(d) => (d, d),
            DobQuery::Year(y) => (Date::new(y, 1, 1).ok()?, Date::new(y, 12, 31).ok()?),
            DobQuery::MonthYear { year, month } => {
                let first = Date::new(year, month, 1).ok()?;
                (first, first.last_of_month())
            }
            DobQuery::Range { from, to } => (from, to),
            DobQuery::AgeAt { age, on } => age_interval(age, age, on)?,
            DobQuery::AgeBetween { min, max, on } => age_interval(min, max, on)?,
        };
        (from <= to).then_some((from, to))
    }
}

/// Born no later than `on` minus `min` years, and after `on` minus `max + 1` years.
fn age_interval(min: u8, max: u8, on: Date) -> Option<(Date, Date)> {
    let latest = on
        .checked_sub(Span::new().try_years(i64::from(min)).ok()?)
        .ok()?;
    let before_earliest = on
        .checked_sub(Span::new().try_years(i64::from(max) + 1).ok()?)
        .ok()?;
    Some((before_earliest.tomorrow().ok()?, latest))
}

/// The earliest and latest dates a recorded date of birth could be.
pub fn dob_interval(dob: &DateOfBirth) -> Option<(Date, Date)> {
    match *dob {
        DateOfBirth::Full(d) => Some((d, d)),
        DateOfBirth::MonthYear { year, month } => {
            let first = Date::new(year, month, 1).ok()?;
            Some((first, first.last_of_month()))
        }
        DateOfBirth::Year(y) => Some((Date::new(y, 1, 1).ok()?, Date::new(y, 12, 31).ok()?)),
        DateOfBirth::Unknown => None,
    }
}

/// How a recorded date of birth satisfies a date-of-birth search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DobQueryMatch {
    /// Certainly within the query.
    Yes,
    /// The record is partial (a year, a month) and could be within the query.
    Possible,
    /// A full-date query matches with day and month swapped.
    Transposed,
    /// Not within the query, or the date of birth is not known.
    No,
}

/// Whether `dob` satisfies `query`; see [`DobQueryMatch`].
pub fn matches_query(dob: &DateOfBirth, query: &DobQuery) -> DobQueryMatch {
    let (Some((lo, hi)), Some((qlo, qhi))) = (dob_interval(dob), query.interval()) else {
        return DobQueryMatch::No;
    };
    if qlo <= lo && hi <= qhi {
        return DobQueryMatch::Yes;
    }
    if lo <= qhi && qlo <= hi {
        return DobQueryMatch::Possible;
    }
    if let (DobQuery::Date(q), DateOfBirth::Full(d)) = (query, dob)
        && q.day() != q.month()
        && Date::new(q.year(), q.day(), q.month()).ok() == Some(*d)
    {
        return DobQueryMatch::Transposed;
    }
    DobQueryMatch::No
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn full(y: i16, m: i8, d: i8) -> DateOfBirth {
        DateOfBirth::Full(date(y, m, d))
    }

    fn my(year: i16, month: i8) -> DateOfBirth {
        DateOfBirth::MonthYear { year, month }
    }

    #[test]
    fn same_full_date_is_exact() {
        assert_eq!(
            compare_dob(&full(1985, 3, 4), &full(1985, 3, 4)),
            DobAgreement::Exact
        );
    }

    #[test]
    fn swapped_day_and_month_is_transposed() {
        assert_eq!(
            compare_dob(&full(1985, 3, 4), &full(1985, 4, 3)),
            DobAgreement::DayMonthTransposed
        );
    }

    #[test]
    fn different_day_same_month_and_year() {
        assert_eq!(
            compare_dob(&full(1985, 3, 4), &full(1985, 3, 14)),
            DobAgreement::SameMonthAndYear
        );
    }

    #[test]
    fn different_month_same_year() {
        assert_eq!(
            compare_dob(&full(1985, 3, 4), &full(1985, 9, 20)),
            DobAgreement::SameYear
        );
    }

    #[test]
    fn year_off_by_one_with_same_day_and_month() {
        assert_eq!(
            compare_dob(&full(1985, 3, 4), &full(1986, 3, 4)),
            DobAgreement::YearOffByOne
        );
        assert_eq!(
            compare_dob(&full(1985, 3, 4), &full(1986, 3, 5)),
            DobAgreement::Disagree
        );
    }

    #[test]
    fn partial_dates_consistent_with_a_full_date_are_compatible() {
        assert_eq!(
            compare_dob(&full(1985, 3, 4), &DateOfBirth::Year(1985)),
            DobAgreement::Compatible
        );
        assert_eq!(
            compare_dob(&full(1985, 3, 4), &my(1985, 3)),
            DobAgreement::Compatible
        );
        assert_eq!(
            compare_dob(&my(1985, 3), &DateOfBirth::Year(1985)),
            DobAgreement::Compatible
        );
    }

    #[test]
    fn equal_partial_dates_are_exact_at_their_precision() {
        assert_eq!(compare_dob(&my(1985, 3), &my(1985, 3)), DobAgreement::Exact);
        assert_eq!(
            shared_precision(&my(1985, 3), &full(1985, 3, 1)),
            DobPrecision::Month
        );
    }

    #[test]
    fn inconsistent_partial_dates_disagree_or_share_the_year() {
        assert_eq!(
            compare_dob(&full(1985, 3, 4), &my(1985, 7)),
            DobAgreement::SameYear
        );
        assert_eq!(
            compare_dob(&full(1985, 3, 4), &DateOfBirth::Year(1986)),
            DobAgreement::YearOffByOne
        );
        assert_eq!(
            compare_dob(&full(1985, 3, 4), &DateOfBirth::Year(1990)),
            DobAgreement::Disagree
        );
    }

    #[test]
    fn unknown_dates_are_unknown() {
        assert_eq!(
            compare_dob(&DateOfBirth::Unknown, &full(1985, 3, 4)),
            DobAgreement::Unknown
        );
    }

    #[test]
    fn query_by_full_date() {
        let q = DobQuery::Date(date(1985, 3, 4));
        assert_eq!(matches_query(&full(1985, 3, 4), &q), DobQueryMatch::Yes);
        assert_eq!(matches_query(&full(1985, 3, 5), &q), DobQueryMatch::No);
        assert_eq!(
            matches_query(&DateOfBirth::Year(1985), &q),
            DobQueryMatch::Possible
        );
        assert_eq!(matches_query(&my(1985, 3), &q), DobQueryMatch::Possible);
        assert_eq!(matches_query(&DateOfBirth::Unknown, &q), DobQueryMatch::No);
    }

    #[test]
    fn query_by_full_date_finds_day_and_month_transposed() {
        let q = DobQuery::Date(date(1985, 3, 4));
        assert_eq!(
            matches_query(&full(1985, 4, 3), &q),
            DobQueryMatch::Transposed
        );
        // 1985-03-25 cannot be transposed: there is no 25th month.
        let q = DobQuery::Date(date(1985, 3, 25));
        assert_eq!(matches_query(&full(1985, 3, 25), &q), DobQueryMatch::Yes);
    }

    #[test]
    fn query_by_year_and_by_month() {
        assert_eq!(
            matches_query(&full(1985, 3, 4), &DobQuery::Year(1985)),
            DobQueryMatch::Yes
        );
        assert_eq!(
            matches_query(&my(1985, 12), &DobQuery::Year(1985)),
            DobQueryMatch::Yes
        );
        assert_eq!(
            matches_query(&full(1986, 1, 1), &DobQuery::Year(1985)),
            DobQueryMatch::No
        );
        let march = DobQuery::MonthYear {
            year: 1985,
            month: 3,
        };
        assert_eq!(
            matches_query(&full(1985, 3, 31), &march),
            DobQueryMatch::Yes
        );
        assert_eq!(
            matches_query(&DateOfBirth::Year(1985), &march),
            DobQueryMatch::Possible
        );
        assert_eq!(matches_query(&full(1985, 4, 1), &march), DobQueryMatch::No);
    }

    #[test]
    fn query_by_range() {
        let q = DobQuery::Range {
            from: date(1980, 6, 1),
            to: date(1985, 5, 31),
        };
        assert_eq!(matches_query(&full(1980, 6, 1), &q), DobQueryMatch::Yes);
        assert_eq!(matches_query(&full(1985, 5, 31), &q), DobQueryMatch::Yes);
        assert_eq!(matches_query(&full(1985, 6, 1), &q), DobQueryMatch::No);
        assert_eq!(
            matches_query(&DateOfBirth::Year(1985), &q),
            DobQueryMatch::Possible
        );
        let empty = DobQuery::Range {
            from: date(1985, 1, 1),
            to: date(1980, 1, 1),
        };
        assert_eq!(matches_query(&full(1982, 1, 1), &empty), DobQueryMatch::No);
    }

    #[test]
    fn query_by_age_at_a_date() {
        let q = DobQuery::AgeAt {
            age: 30,
            on: date(2024, 6, 15),
        };
        assert_eq!(q.interval(), Some((date(1993, 6, 16), date(1994, 6, 15))));
        assert_eq!(matches_query(&full(1994, 6, 15), &q), DobQueryMatch::Yes);
        assert_eq!(matches_query(&full(1994, 6, 16), &q), DobQueryMatch::No);
        assert_eq!(matches_query(&full(1993, 6, 16), &q), DobQueryMatch::Yes);
        assert_eq!(matches_query(&full(1993, 6, 15), &q), DobQueryMatch::No);
        assert_eq!(
            matches_query(&DateOfBirth::Year(1994), &q),
            DobQueryMatch::Possible
        );
    }

    #[test]
    fn query_by_age_agrees_with_the_domain_age() {
        let on = date(2024, 2, 29);
        for dob in [
            full(1994, 2, 28),
            full(1994, 3, 1),
            full(1993, 3, 1),
            full(1993, 2, 28),
        ] {
            let age = dob.age_at(on).unwrap_or(0);
            assert_eq!(
                matches_query(&dob, &DobQuery::AgeAt { age, on }),
                DobQueryMatch::Yes,
                "{dob} aged {age}"
            );
        }
    }

    #[test]
    fn query_by_age_range() {
        let q = DobQuery::AgeBetween {
            min: 18,
            max: 25,
            on: date(2024, 1, 1),
        };
        assert_eq!(matches_query(&full(2006, 1, 1), &q), DobQueryMatch::Yes);
        assert_eq!(matches_query(&full(1998, 1, 2), &q), DobQueryMatch::Yes);
        assert_eq!(matches_query(&full(1998, 1, 1), &q), DobQueryMatch::No);
        assert_eq!(matches_query(&full(2006, 1, 2), &q), DobQueryMatch::No);
    }

    fn any_dob() -> impl Strategy<Value = DateOfBirth> {
        prop_oneof![
            Just(DateOfBirth::Unknown),
            (1950i16..1955).prop_map(DateOfBirth::Year),
            (1950i16..1955, 1i8..=12)
                .prop_map(|(year, month)| DateOfBirth::MonthYear { year, month }),
            (1950i16..1955, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| full(y, m, d)),
        ]
    }

    proptest! {
        #[test]
        fn compare_dob_is_symmetric(a in any_dob(), b in any_dob()) {
            prop_assert_eq!(compare_dob(&a, &b), compare_dob(&b, &a));
        }

        #[test]
        fn a_full_date_matches_the_query_for_its_age(
            y in 1950i16..2000, m in 1i8..=12, d in 1i8..=28,
            oy in 2000i16..2030, om in 1i8..=12, od in 1i8..=28,
        ) {
            let dob = full(y, m, d);
            let on = date(oy, om, od);
            let age = dob.age_at(on).unwrap_or(0);
            prop_assert_eq!(matches_query(&dob, &DobQuery::AgeAt { age, on }), DobQueryMatch::Yes);
        }
    }
}
