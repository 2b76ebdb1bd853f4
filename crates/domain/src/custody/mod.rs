//! Custody: the custody record (booking and append-only entries) and the PACE / Code C
//! detention-clock engine that says how long a detainee may be held, what is due and which
//! authorisations are possible. Pure domain code: time comes in as `now` from the injected
//! [`crate::Clock`].
//!
//! - [`model`]: the record, its entries and their validation;
//! - [`pace`]: the engine ([`status`], [`can_append`], [`relevant_time`]);
//! - [`rank`]: police ranks by seniority.

pub mod error;
pub mod model;
pub mod pace;
pub mod rank;

pub use error::CustodyError;
pub use model::{
    Booking, CustodyRecord, Disposal, Entry, EntryKind, Offence, Officer, Regime,
    RelevantTimeBasis, ReviewDecision, ReviewMode, Right, RiskOccasion, TrialMode,
};
pub use pace::{
    AuthorisationKind, AuthorisationOption, ClockStatus, DetentionLimit, Due, DueKind, LimitBasis,
    can_append, check_entry, format_duration, pre_charge_bail_limit, relevant_time, status,
};
pub use rank::Rank;
