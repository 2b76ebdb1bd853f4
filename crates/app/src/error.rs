use bluelamp_domain::{RecordId, ValidationErrors, Version};
use bluelamp_store::StoreError;

/// What went wrong with a use case, in terms the edges turn into a response.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Invalid(#[from] ValidationErrors),
    #[error("record {0} not found")]
    NotFound(RecordId),
    /// The policies refuse the action (the refusal is audited). Never used where saying so
    /// would reveal that a record exists: a record the caller may not see is `NotFound`.
    #[error("{0}")]
    Forbidden(String),
    #[error("record {id} has changed since version {expected} (now version {current})")]
    Conflict {
        id: RecordId,
        expected: Version,
        current: Version,
    },
    /// The store could not be reached; the request may be retried.
    #[error("the database is unavailable")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(id) => AppError::NotFound(id),
            StoreError::Conflict {
                id,
                expected,
                current,
            } => AppError::Conflict {
                id,
                expected,
                current,
            },
            StoreError::Constraint(msg) => {
                AppError::Invalid(ValidationErrors::single("record", msg))
            }
            StoreError::Unavailable(msg) => AppError::Unavailable(msg),
            StoreError::Internal(msg) => AppError::Internal(msg),
        }
    }
}
