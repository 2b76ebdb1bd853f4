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
    /// Links of the record changed while the change was made (the record itself, at
    /// `version`, did not).
    #[error("the links of record {id} (version {version}) changed while the change was made")]
    LinksChanged { id: RecordId, version: Version },
    /// The store could not be reached; the request may be retried.
    #[error("the database is unavailable")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// The whole story, for logs and the operator's console. Never for a client: the detail
    /// of an internal error may name internals that its display leaves out.
    pub fn detail(&self) -> String {
        match self {
            AppError::Internal(m) => format!("internal error: {m}"),
            AppError::Unavailable(m) => format!("the database is unavailable: {m}"),
            other => other.to_string(),
        }
    }
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
            StoreError::LinksChanged { id, version } => AppError::LinksChanged { id, version },
            StoreError::Constraint(msg) => {
                AppError::Invalid(ValidationErrors::single("record", msg))
            }
            StoreError::Unavailable(msg) => AppError::Unavailable(msg),
            StoreError::Internal(msg) => AppError::Internal(msg),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_detail_tells_the_operator_what_a_client_is_not_told() {
        let e = AppError::Internal("search index: lock busy".into());
        assert_eq!(e.to_string(), "internal error");
        assert_eq!(e.detail(), "internal error: search index: lock busy");
        let e = AppError::Unavailable("connection refused".into());
        assert_eq!(
            e.detail(),
            "the database is unavailable: connection refused"
        );
        let e = AppError::Forbidden("You may not".into());
        assert_eq!(e.detail(), e.to_string());
    }
}
