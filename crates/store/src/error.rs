//! Errors the store reports to its callers.

use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken; names the field at fault.
    #[error("{field} already exists")]
    Conflict { field: &'static str },
    /// The row asked for does not exist.
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// An object the request refers to by `field` does not exist.
    #[error("{entity} not found")]
    Missing {
        entity: &'static str,
        field: &'static str,
    },
    /// A value of the request is refused by the data (a cluster of another network, say);
    /// names the field at fault.
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    /// The object is closed for good (a closed network): no further change.
    #[error("this {entity} is closed")]
    Closed { entity: &'static str },
    /// The change is refused by a rule of the data (not the caller's input shape).
    #[error("{0}")]
    Rule(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Turn a unique-constraint violation into a conflict naming `field`, other errors unchanged.
pub(crate) fn conflict_on(field: &'static str) -> impl Fn(DbErr) -> StoreError {
    move |err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict { field },
        _ => StoreError::Db(err),
    }
}
