//! Errors the store reports to its callers.

use sea_orm::{DbErr, RuntimeErr, SqlErr};

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

impl StoreError {
    /// Whether the failure says the database cannot be reached or is too busy now (not that
    /// the request is wrong nor that the code is): worth retrying later, a 503 not a 500.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Db(err) if unavailable(err))
    }
}

/// Connection failures (pool timeout or closed, refused or broken connections), PostgreSQL's
/// "connection exception" and "operator intervention" states, and SQLite's lock timeouts.
pub fn unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                Sqlx::Io(_)
                | Sqlx::Tls(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::WorkerCrashed => true,
                Sqlx::Database(db) => db.code().is_some_and(|code| {
                    // PostgreSQL SQLSTATE 08xxx, 57P01..57P03 (shutdown, cannot connect now);
                    // SQLite 5 (BUSY), 6 (LOCKED), 261, 517 (extended BUSY codes).
                    code.starts_with("08")
                        || code.starts_with("57P0")
                        || matches!(code.as_ref(), "5" | "6" | "261" | "517")
                }),
                _ => false,
            }
        }
        _ => false,
    }
}

/// Turn a unique-constraint violation into a conflict naming `field`, other errors unchanged.
pub(crate) fn conflict_on(field: &'static str) -> impl Fn(DbErr) -> StoreError {
    move |err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict { field },
        _ => StoreError::Db(err),
    }
}
