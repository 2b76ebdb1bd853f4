//! The POLE entities: Persons, Objects, Locations, Events, and the Links between them. Each
//! is built only by `parse(&input, today)`, which checks every field and reports every
//! problem at once, naming the field as the client sent it.

pub mod event;
pub mod input;
pub mod link;
pub mod location;
pub mod object;
pub mod person;

pub use event::{Event, EventType};
pub use link::{Link, LinkRole};
pub use location::{Location, LocationType};
pub use object::{Object, ObjectDetails};
pub use person::{OtherName, Person, PhysicalDescription};

use crate::{Marking, ValidationErrors};
use input::MarkingInput;

/// Parses an optional text field: empty (after trimming) means absent.
pub(crate) fn optional<T>(
    errors: &mut ValidationErrors,
    field: &str,
    value: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    if value.trim().is_empty() {
        None
    } else {
        errors.check(field, parse(value))
    }
}

/// Parses a required text field: empty is an error naming the field.
pub(crate) fn required<T>(
    errors: &mut ValidationErrors,
    field: &str,
    value: &str,
    missing: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    if value.trim().is_empty() {
        errors.push(field, missing);
        None
    } else {
        errors.check(field, parse(value))
    }
}

/// A record's marking from its input; absent means OFFICIAL.
pub(crate) fn marking(errors: &mut ValidationErrors, input: &Option<MarkingInput>) -> Marking {
    match input {
        None => Marking::official(),
        Some(m) => {
            let restriction = match &m.restriction {
                None => None,
                Some(r) => match crate::Restriction::parse(&r.teams, &r.officers) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        errors.0.extend(e.0);
                        None
                    }
                },
            };
            if check_list_len(errors, "marking.compartments", m.compartments.len())
                && check_list_len(errors, "marking.caveats", m.caveats.len())
            {
                match Marking::parse(&m.classification, &m.compartments, &m.caveats) {
                    Ok(m) => m.with_restriction(restriction),
                    Err(e) => {
                        errors.0.extend(e.0);
                        Marking::official()
                    }
                }
            } else {
                Marking::official()
            }
        }
    }
}

/// Lists longer than this are refused: no legitimate record has 100 aliases, and a bound
/// keeps a hostile request from making the server do unbounded work.
pub(crate) const MAX_LIST: usize = 50;

pub(crate) fn check_list_len(errors: &mut ValidationErrors, field: &str, len: usize) -> bool {
    if len > MAX_LIST {
        errors.push(field, format!("Enter at most {MAX_LIST} items"));
        false
    } else {
        true
    }
}
