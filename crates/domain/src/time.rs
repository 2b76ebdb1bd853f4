//! The one module that converts between instants (UTC) and calendar days in
//! Europe/London, and formats both the GOV.UK way for pages ("1 January 2026", "5:30pm",
//! "midday"). Instants travel and are stored as RFC 3339 in UTC with `Z` and milliseconds;
//! calendar dates (date of birth, offence date) are plain `YYYY-MM-DD` and a different type.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// The force's local time zone. Bundled with the binary so air-gapped hosts need no tzdata.
pub fn london() -> TimeZone {
    TimeZone::get("Europe/London").unwrap_or(TimeZone::UTC)
}

/// RFC 3339, UTC, `Z`, milliseconds: the wire and storage form of an instant.
pub fn to_rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// RFC 3339 in UTC to the microsecond, always six digits: the precision the audit trail
/// and both stores keep.
pub fn to_rfc3339_micros(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub fn local(t: Timestamp) -> Zoned {
    t.to_zoned(london())
}

/// The calendar day an instant falls on in Europe/London.
pub fn london_date(t: Timestamp) -> Date {
    local(t).date()
}

/// `1 January 2026`
pub fn format_date(d: Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

/// `5:30pm`, `9am`, `midday`, `midnight` (GOV.UK style), in Europe/London.
pub fn format_time(t: Timestamp) -> String {
    let z = local(t);
    let (h, m) = (z.hour(), z.minute());
    match (h, m) {
        (12, 0) => "midday".into(),
        (0, 0) => "midnight".into(),
        _ => {
            let suffix = if h < 12 { "am" } else { "pm" };
            let h12 = match h % 12 {
                0 => 12,
                x => x,
            };
            if m == 0 {
                format!("{h12}{suffix}")
            } else {
                format!("{h12}:{m:02}{suffix}")
            }
        }
    }
}

/// `1 January 2026 at 5:30pm`, in Europe/London.
pub fn format_instant(t: Timestamp) -> String {
    format!("{} at {}", format_date(london_date(t)), format_time(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn wire_form_is_utc_with_milliseconds() {
        assert_eq!(
            to_rfc3339(ts("2026-07-01T12:00:00.123456Z")),
            "2026-07-01T12:00:00.123Z"
        );
    }

    #[test]
    fn pages_show_london_time_in_summer() {
        // 16:30 UTC is 5:30pm BST
        assert_eq!(format_time(ts("2026-07-01T16:30:00Z")), "5:30pm");
        assert_eq!(format_time(ts("2026-07-01T11:00:00Z")), "midday");
        assert_eq!(format_time(ts("2026-01-01T00:00:00Z")), "midnight");
        assert_eq!(format_time(ts("2026-01-01T09:00:00Z")), "9am");
    }

    #[test]
    fn london_date_differs_from_utc_date_near_midnight_in_summer() {
        // 23:30 UTC on 1 July is 00:30 BST on 2 July
        assert_eq!(
            format_date(london_date(ts("2026-07-01T23:30:00Z"))),
            "2 July 2026"
        );
        assert_eq!(
            format_instant(ts("2026-01-05T17:05:00Z")),
            "5 January 2026 at 5:05pm"
        );
    }
}
