//! Where things are: WGS84 [`Coordinates`] (from a device, a map pin or a geocoder) and the
//! Unique Property Reference Number ([`Uprn`]) that identifies an addressable place in
//! Great Britain.
//!
//! Coordinates are checked for range only; they say nothing about accuracy, which the
//! caller records separately if it matters.

use serde::{Deserialize, Serialize};

use super::clean::string_value;

/// A WGS84 latitude and longitude in decimal degrees. Serialised as
/// `{"lat": 51.5, "lon": -0.12}`; reading it back re-checks the ranges.
///
/// The fields are private so a value can only come from [`Coordinates::new`] or
/// deserialisation, which check the ranges; read them with `lat()` and `lon()`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CoordinatesRepr")]
pub struct Coordinates {
    lat: f64,
    lon: f64,
}

impl Coordinates {
    /// Latitude must be in -90..=90 and longitude in -180..=180, both finite (NaN and
    /// infinity would poison distance calculations and map rendering).
    pub fn new(lat: f64, lon: f64) -> Result<Self, String> {
        if !lat.is_finite() {
            return Err("Latitude must be a number".to_owned());
        }
        if !lon.is_finite() {
            return Err("Longitude must be a number".to_owned());
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err("Latitude must be between -90 and 90".to_owned());
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err("Longitude must be between -180 and 180".to_owned());
        }
        Ok(Self { lat, lon })
    }

    pub fn lat(&self) -> f64 {
        self.lat
    }

    pub fn lon(&self) -> f64 {
        self.lon
    }
}

#[derive(Deserialize)]
struct CoordinatesRepr {
    lat: f64,
    lon: f64,
}

impl TryFrom<CoordinatesRepr> for Coordinates {
    type Error = String;
    fn try_from(repr: CoordinatesRepr) -> Result<Self, Self::Error> {
        Coordinates::new(repr.lat, repr.lon)
    }
}

/// A Unique Property Reference Number: 1 to 12 digits. Leading zeros are accepted on input
/// (some exports pad to 12) and dropped in the canonical form, so the same property always
/// compares equal. Zero is not a UPRN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uprn(String);

impl Uprn {
    pub fn parse(s: &str) -> Result<Self, String> {
        const MESSAGE: &str = "UPRN must be a number of up to 12 digits";
        if s.len() > 64 {
            return Err(MESSAGE.to_owned());
        }
        let t = s.trim();
        if t.is_empty() {
            return Err("Enter a UPRN".to_owned());
        }
        if t.len() > 12 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MESSAGE.to_owned());
        }
        let value: u64 = t.parse().map_err(|_| MESSAGE.to_owned())?;
        if value == 0 {
            return Err(MESSAGE.to_owned());
        }
        Ok(Self(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number itself (always fits: at most 12 digits).
    pub fn value(&self) -> u64 {
        self.0.parse().unwrap_or(0)
    }
}

string_value!(Uprn);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn coordinates_accept_wgs84_range_including_limits() {
        let c = Coordinates::new(51.5014, -0.1419).unwrap();
        assert_eq!((c.lat(), c.lon()), (51.5014, -0.1419));
        assert!(Coordinates::new(90.0, 180.0).is_ok());
        assert!(Coordinates::new(-90.0, -180.0).is_ok());
    }

    #[test]
    fn coordinates_reject_latitude_out_of_range() {
        assert_eq!(
            Coordinates::new(90.0001, 0.0),
            Err("Latitude must be between -90 and 90".to_owned())
        );
        assert!(Coordinates::new(-91.0, 0.0).is_err());
    }

    #[test]
    fn coordinates_reject_longitude_out_of_range() {
        assert_eq!(
            Coordinates::new(0.0, 180.5),
            Err("Longitude must be between -180 and 180".to_owned())
        );
        assert!(Coordinates::new(0.0, -181.0).is_err());
    }

    #[test]
    fn coordinates_reject_nan_and_infinity() {
        assert_eq!(
            Coordinates::new(f64::NAN, 0.0),
            Err("Latitude must be a number".to_owned())
        );
        assert_eq!(
            Coordinates::new(0.0, f64::INFINITY),
            Err("Longitude must be a number".to_owned())
        );
    }

    #[test]
    fn coordinates_serde_is_a_struct_and_revalidates() {
        let c = Coordinates::new(51.5, -0.12).unwrap();
        assert_eq!(
            serde_json::to_value(c).unwrap(),
            serde_json::json!({"lat": 51.5, "lon": -0.12})
        );
        let back: Coordinates = serde_json::from_str(r#"{"lat":51.5,"lon":-0.12}"#).unwrap();
        assert_eq!(back, c);
        assert!(serde_json::from_str::<Coordinates>(r#"{"lat":100,"lon":0}"#).is_err());
        assert!(serde_json::from_str::<Coordinates>(r#"{"lat":1}"#).is_err());
    }

    #[test]
    fn uprn_drops_leading_zeros() {
        assert_eq!(Uprn::parse("010033544614").unwrap().as_str(), "10033544614");
        assert_eq!(Uprn::parse(" 0000000042 ").unwrap().as_str(), "42");
        assert_eq!(
            Uprn::parse("100023336956").unwrap().value(),
            100_023_336_956
        );
    }

    #[test]
    fn uprn_rejects_more_than_12_digits() {
        assert_eq!(
            Uprn::parse("1000233369561"),
            Err("UPRN must be a number of up to 12 digits".to_owned())
        );
    }

    #[test]
    fn uprn_rejects_non_digits_zero_and_empty() {
        for bad in ["12a", "-1", "1.5", "0", "000", "1 000"] {
            assert!(Uprn::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Uprn::parse(" "), Err("Enter a UPRN".to_owned()));
        assert!(Uprn::parse(&"1".repeat(10 * 1024 * 1024)).is_err());
    }

    #[test]
    fn uprn_serde_revalidates() {
        let u: Uprn = serde_json::from_str("\"0100\"").unwrap();
        assert_eq!(serde_json::to_string(&u).unwrap(), "\"100\"");
        assert!(serde_json::from_str::<Uprn>("\"abc\"").is_err());
    }

    proptest! {
        #[test]
        fn coordinates_new_never_panics(lat in any::<f64>(), lon in any::<f64>()) {
            let _ = Coordinates::new(lat, lon);
        }

        #[test]
        fn coordinates_in_range_are_accepted_and_round_trip(lat in -90.0f64..=90.0, lon in -180.0f64..=180.0) {
            let c = Coordinates::new(lat, lon).unwrap();
            let json = serde_json::to_string(&c).unwrap();
            let back = serde_json::from_str::<Coordinates>(&json).unwrap();
            // serde_json (without its float_roundtrip feature) may be one unit in the last
            // place out when reading a float back: far below any positional meaning.
            prop_assert!((back.lat() - lat).abs() < 1e-12);
            prop_assert!((back.lon() - lon).abs() < 1e-12);
        }

        #[test]
        fn uprn_parse_never_panics(s in any::<String>()) {
            let _ = Uprn::parse(&s);
        }

        #[test]
        fn any_uprn_round_trips(n in 1u64..=999_999_999_999, width in 1usize..=12) {
            // Zero-padded to `width` digits where that is wider than the number itself.
            let text = format!("{n:0width$}");
            let u = Uprn::parse(&text).unwrap();
            prop_assert_eq!(u.value(), n);
            prop_assert_eq!(u.as_str(), n.to_string());
            prop_assert_eq!(Uprn::parse(&u.to_string()), Ok(u.clone()));
        }
    }
}
