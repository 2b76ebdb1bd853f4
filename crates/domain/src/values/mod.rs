//! Value objects: the validated building blocks every domain field is made of (names,
//! dates of birth, postcodes, registrations, phone numbers, national identifiers, ...).
//!
//! "Parse, don't validate": each type's only constructor checks its input and returns a
//! user-facing message when it refuses (never repeating the input, which may be personal
//! data). Once a value exists it is valid, in one canonical form, and nothing downstream
//! re-checks it. Serde goes through the same constructors, so stored JSON is re-validated
//! when it is read. Nothing here reads the clock or does I/O.

mod clean;
mod dob;
mod geo;
mod identifiers;
mod names;
mod person_attrs;
mod phone;
mod postcode;
mod text;
mod vehicle;

pub use dob::{DateOfBirth, EARLIEST_BIRTH_YEAR};
pub use geo::{Coordinates, Uprn};
pub use identifiers::{
    Crn, CroNumber, DriverNumber, IdentifierType, NiNumber, NomsNumber, PNC_CENTURY_PIVOT,
    PassportNumber, PersonIdentifier, PncId,
};
pub use names::{NamePart, NameType};
pub use person_attrs::{Ethnicity, Flag, Gender, Nationality, WarningMarker};
pub use phone::{Imei, PhoneNumber};
pub use postcode::Postcode;
pub use text::{LongText, ShortText};
pub use vehicle::{Vin, Vrm};
