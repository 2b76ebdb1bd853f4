//! Bluelamp's demo data: realistic, entirely synthetic UK policing data (persons in
//! households, their vehicles and phones, the places around them, and the incidents,
//! crimes, arrests, searches and intelligence that link them), generated deterministically
//! from a seed.
//!
//! Generation streams: [`generate`] returns an iterator that builds one household at a time,
//! so memory stays flat from a thousand persons to ten million. Every item comes after any
//! record it refers to (a link after both of its ends, an event after its location), so a
//! loader can insert the items in the order they arrive. The same seed, person count and
//! `as_of` instant always give the same sequence, byte for byte.
//!
//! Nothing here describes a real person: names are drawn from tables of common names, phone
//! numbers come from Ofcom's range reserved for drama, and identifiers are random (with
//! valid check characters). A few percent of persons are deliberately near-duplicates of
//! an earlier person, so duplicate detection has something to find.

mod calendar;
mod event;
mod formats;
mod generator;
mod labelled;
mod person;
mod rng;
mod tables;

use bluelamp_domain::pole::input::{
    EventInput, LinkInput, LocationInput, ObjectInput, PersonInput,
};
use bluelamp_domain::{RecordId, RecordKind};

pub use generator::Demo;
pub use labelled::{DUPLICATED_SHARE, LabelledPerson, labelled_persons};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoConfig {
    /// Everything generated follows from this: same seed, same data.
    pub seed: u64,
    /// Exactly how many persons to generate; everything else scales with it.
    pub persons: u64,
    /// The instant the data is "as of"; events fall in the 5 years before it, ages are
    /// relative to it, and record ids carry timestamps just before it.
    pub as_of: jiff::Timestamp,
    /// The highest classification to generate (a deployment's accreditation): above it,
    /// what would have been SECRET is marked OFFICIAL-SENSITIVE instead. The random draws
    /// are the same either way.
    pub max_classification: bluelamp_domain::Classification,
}

/// One generated record, with the id it should be stored under.
#[derive(Debug, Clone, PartialEq)]
pub enum DemoItem {
    Person(RecordId, PersonInput),
    Object(RecordId, ObjectInput),
    Location(RecordId, LocationInput),
    Event(RecordId, EventInput),
    Link(RecordId, LinkInput),
}

impl DemoItem {
    pub fn id(&self) -> RecordId {
        match self {
            DemoItem::Person(id, _)
            | DemoItem::Object(id, _)
            | DemoItem::Location(id, _)
            | DemoItem::Event(id, _)
            | DemoItem::Link(id, _) => *id,
        }
    }

    pub fn kind(&self) -> RecordKind {
        match self {
            DemoItem::Person(..) => RecordKind::Person,
            DemoItem::Object(..) => RecordKind::Object,
            DemoItem::Location(..) => RecordKind::Location,
            DemoItem::Event(..) => RecordKind::Event,
            DemoItem::Link(..) => RecordKind::Link,
        }
    }
}

/// The demo data set for `config`, as a stream of items in insertable order.
pub fn generate(config: DemoConfig) -> Demo {
    Demo::new(config)
}
