//! Small, allocation-light calendar arithmetic for the generator: days since the Unix epoch
//! to and from proleptic Gregorian dates (Howard Hinnant's algorithms), and the exact text
//! forms the inputs expect (`YYYY-MM-DD`, RFC 3339 UTC with `Z` and milliseconds). Done by
//! hand instead of through jiff because it runs several times per generated person.

use std::fmt::Write as _;

pub const MS_PER_MINUTE: i64 = 60_000;
pub const MS_PER_DAY: i64 = 86_400_000;

/// A calendar date (proleptic Gregorian, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ymd {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Ymd {
    /// `YYYY-MM-DD`
    pub fn iso(&self) -> String {
        let mut s = String::with_capacity(10);
        let _ = write!(s, "{:04}-{:02}-{:02}", self.year, self.month, self.day);
        s
    }

    /// `YYYY-MM`
    pub fn iso_month(&self) -> String {
        let mut s = String::with_capacity(7);
        let _ = write!(s, "{:04}-{:02}", self.year, self.month);
        s
    }
}

pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn month_len(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 for a date.
pub fn days_from_civil(d: Ymd) -> i64 {
    let y = i64::from(d.year) - i64::from(d.month <= 2);
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(d.month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d.day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `days` after 1970-01-01.
pub fn civil_from_days(days: i64) -> Ymd {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    Ymd { year, month, day }
}

/// The date a millisecond instant falls on, in UTC.
pub fn date_of_ms(ms: i64) -> Ymd {
    civil_from_days(ms.div_euclid(MS_PER_DAY))
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for a millisecond instant.
pub fn rfc3339_ms(ms: i64) -> String {
    let d = date_of_ms(ms);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (h, rest) = (in_day / 3_600_000, in_day % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let (s, milli) = (rest / 1000, rest % 1000);
    let mut out = String::with_capacity(24);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z",
        d.year, d.month, d.day
    );
    out
}

/// `HH:MM` (24-hour) of a millisecond instant, in UTC.
pub fn hhmm(ms: i64) -> String {
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let mut out = String::with_capacity(5);
    let _ = write!(
        out,
        "{:02}:{:02}",
        in_day / 3_600_000,
        (in_day % 3_600_000) / 60_000
    );
    out
}

/// The offset of Europe/London from UTC at a millisecond instant: one hour in British
/// Summer Time (01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
/// October), otherwise none.
pub fn london_offset_ms(ms: i64) -> i64 {
    let year = date_of_ms(ms).year;
    let last_sunday = |month: u8| {
        let last = days_from_civil(Ymd {
            year,
            month,
            day: month_len(year, month),
        });
        // 1970-01-01 was a Thursday: (days + 4) mod 7 is 0 on Sundays.
        last - (last + 4).rem_euclid(7)
    };
    let starts = last_sunday(3) * MS_PER_DAY + 3_600_000;
    let ends = last_sunday(10) * MS_PER_DAY + 3_600_000;
    if (starts..ends).contains(&ms) {
        3_600_000
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trips_over_two_centuries() {
        for days in (-40_000..40_000).step_by(7) {
            assert_eq!(days_from_civil(civil_from_days(days)), days);
        }
        assert_eq!(
            civil_from_days(0),
            Ymd {
                year: 1970,
                month: 1,
                day: 1
            }
        );
    }

    #[test]
    fn formats_match_jiff() {
        let ts: jiff::Timestamp = "2024-02-29T21:14:05.123Z".parse().unwrap();
        let ms = ts.as_millisecond();
        assert_eq!(rfc3339_ms(ms), "2024-02-29T21:14:05.123Z");
        assert_eq!(rfc3339_ms(ms), bluelamp_domain::time::to_rfc3339(ts));
        assert_eq!(date_of_ms(ms).iso(), "2024-02-29");
        assert_eq!(date_of_ms(ms).iso_month(), "2024-02");
        assert_eq!(hhmm(ms), "21:14");
        let before_epoch: jiff::Timestamp = "1950-06-15T00:00:00Z".parse().unwrap();
        assert_eq!(
            date_of_ms(before_epoch.as_millisecond()).iso(),
            "1950-06-15"
        );
    }

    #[test]
    fn london_offset_matches_jiff_across_the_clock_changes() {
        let tz = jiff::tz::TimeZone::get("Europe/London").unwrap();
        let start: jiff::Timestamp = "2019-01-01T00:30:00Z".parse().unwrap();
        let mut ms = start.as_millisecond();
        for _ in 0..(7 * 365 * 8) {
            let ts = jiff::Timestamp::from_millisecond(ms).unwrap();
            let expected = i64::from(tz.to_offset(ts).seconds()) * 1000;
            assert_eq!(london_offset_ms(ms), expected, "{ts}");
            ms += 3 * 3_600_000;
        }
    }

    #[test]
    fn month_lengths_know_leap_years() {
        assert_eq!(month_len(2024, 2), 29);
        assert_eq!(month_len(2023, 2), 28);
        assert_eq!(month_len(1900, 2), 28);
        assert_eq!(month_len(2000, 2), 29);
        assert_eq!(month_len(2023, 11), 30);
    }
}
