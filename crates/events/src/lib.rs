//! The information bus. Domain events are written to the outbox in the same transaction as
//! the change they describe; after commit the [`relay`] delivers them to the in-process
//! [`Bus`] (and, later, to NATS JetStream) and marks them delivered, so a crash between
//! commit and delivery loses nothing: the relay resumes with what is still pending.
//!
//! [`envelope`] owns the event envelope (the HMPPS domain-event shape plus `eventId`,
//! `correlationId` and `source`). Events are thin: identifiers and what changed, never the
//! content of a record, so they can never leak classified material. Consumers fetch detail
//! through `detailUrl`, which applies access control again.

pub mod envelope;
pub mod relay;

pub use envelope::{EventEnvelope, PersonReference, TypedIdentifier};
pub use relay::{Bus, BusMessage, Relay, Sink};
