//! Why an entry cannot be added to a custody record, in words a custody sergeant can act on,
//! naming the rule.

use super::rank::Rank;
use crate::ValidationErrors;
use crate::time::format_instant;
use jiff::Timestamp;

/// An entry refused by the custody rules.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CustodyError {
    /// A field is missing or malformed (the fields are named `kind.<field>`).
    #[error("Some details are missing or wrong: {0}")]
    Invalid(ValidationErrors),
    /// Timed after `now`.
    #[error(
        "This entry is timed in the future ({}); it is now {}. Record things when they have happened.",
        format_instant(*.at),
        format_instant(*.now)
    )]
    InTheFuture {
        /// The entry's time.
        at: Timestamp,
        /// The time now.
        now: Timestamp,
    },
    /// Timed before the arrest.
    #[error(
        "This entry is timed before the arrest ({}); every entry must be after it.",
        format_instant(*.arrested_at)
    )]
    BeforeArrest {
        /// The entry's time.
        at: Timestamp,
        /// The arrest.
        arrested_at: Timestamp,
    },
    /// Timed before the last entry.
    #[error(
        "This entry is timed before the last entry on the record ({}). The record is kept in time order: add it with the current time and say in a note when it happened.",
        format_instant(*.last)
    )]
    OutOfOrder {
        /// The entry's time.
        at: Timestamp,
        /// The last entry's time.
        last: Timestamp,
    },
    /// The detainee has left custody.
    #[error(
        "The detainee left custody at {} ({}). After that only a note, a correction or a return on bail can be recorded.",
        format_instant(*.at),
        .outcome
    )]
    AfterDisposal {
        /// When the detention ended.
        at: Timestamp,
        /// How it ended.
        outcome: &'static str,
    },
    /// A bail return without pre-charge bail.
    #[error(
        "A return on bail can only follow release on pre-charge bail; this detainee was {outcome}."
    )]
    NotOnBail {
        /// How the detention ended ("still in custody" when it has not).
        outcome: &'static str,
    },
    /// A correction of an entry that does not exist.
    #[error(
        "There is no entry {index} to correct; the record has {len} entries (numbered from 0)."
    )]
    NoSuchEntry {
        /// The index given.
        index: usize,
        /// How many entries there are.
        len: usize,
    },
    /// The action needs an indictable offence.
    #[error("{action} needs an indictable offence ({rule}); every offence here is summary-only.")]
    NotIndictable {
        /// What was attempted ("An extension to 36 hours").
        action: &'static str,
        /// The rule ("PACE s42").
        rule: &'static str,
    },
    /// The officer's rank is too low.
    #[error(
        "{action} must be authorised by {} or above ({rule}); {} is not senior enough.",
        .needed.in_sentence(),
        .given.in_sentence()
    )]
    RankTooLow {
        /// What was attempted.
        action: &'static str,
        /// The lowest rank allowed.
        needed: Rank,
        /// The rank given.
        given: Rank,
        /// The rule.
        rule: &'static str,
    },
    /// Any other rule, as a full sentence naming it.
    #[error("{0}")]
    Refused(String),
}

impl From<ValidationErrors> for CustodyError {
    fn from(e: ValidationErrors) -> Self {
        CustodyError::Invalid(e)
    }
}
