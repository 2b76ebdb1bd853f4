//! Bluelamp's domain: the POLE model (Persons, Objects, Locations, Events and the links
//! between them), the value objects every field is built from, record markings, the audit
//! entry shape and the injected [`Clock`].
//!
//! This crate does no I/O. Every value is built through a validating constructor
//! ("parse, don't validate"): once a value exists it is valid, and nothing downstream
//! re-checks it.

pub mod audit;
pub mod clock;
pub mod custody;
pub mod error;
pub mod identity;
pub mod marking;
pub mod pole;
pub mod record;
pub mod time;
pub mod values;

pub use audit::{Actor, AuditAction, AuditEntry, AuditOutcome, RequestContext};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{FieldError, ValidationErrors};
pub use identity::{Principal, Role, Username, Visibility};
pub use marking::{Classification, Compartment, HandlingCaveat, Marking, Restriction, Unit};
pub use record::{RecordId, RecordKind, Version};
