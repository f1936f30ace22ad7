//! The one error type of Tollgate and its mapping to GraphQL error codes.
//!
//! Service functions return [`Result`]; resolvers convert with
//! `async_graphql::ResultExt::extend` so that `extensions.code` survives (the
//! blanket `From<Display>` of async-graphql would drop it). Internal errors are
//! logged, inside the request's span and so with its request id, and masked.

use async_graphql::{ErrorExtensions, Pos, ServerError};
use sea_orm::{DbErr, RuntimeErr, SqlErr};
use uuid::Uuid;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Binding error codes (`errors[].extensions.code`).
pub mod code {
    pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const CONFLICT: &str = "CONFLICT";
    pub const INSUFFICIENT_STOCK: &str = "INSUFFICIENT_STOCK";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
    pub const SERVICE_UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";
    pub const INTERNAL: &str = "INTERNAL_SERVER_ERROR";

    /// Every code an error can carry.
    const ALL: [&str; 15] = [
        PARSE_FAILED,
        VALIDATION_FAILED,
        BAD_REQUEST,
        PAYLOAD_TOO_LARGE,
        BAD_USER_INPUT,
        UNAUTHENTICATED,
        FORBIDDEN,
        NOT_FOUND,
        CONFLICT,
        INSUFFICIENT_STOCK,
        RATE_LIMITED,
        QUERY_TOO_COMPLEX,
        PERSISTED_QUERY_NOT_FOUND,
        SERVICE_UNAVAILABLE,
        INTERNAL,
    ];

    /// The code `error` carries, or will once finalized: one raised before
    /// execution without one failed validation, one raised while resolving
    /// without one is unexpected.
    pub fn of(error: &async_graphql::ServerError) -> &'static str {
        let given = error.extensions.as_ref().and_then(|e| match e.get("code") {
            Some(async_graphql::Value::String(code)) => Some(code.as_str()),
            _ => None,
        });
        match given {
            Some(given) => ALL.into_iter().find(|c| *c == given).unwrap_or(INTERNAL),
            None if error.path.is_empty() => VALIDATION_FAILED,
            None => INTERNAL,
        }
    }
}

/// Seconds a client is told to wait before retrying when a dependency is
/// unavailable: long enough for a database restart or fail-over to be noticed
/// by the pool, short enough that clients resume soon after it.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

/// Everything that can go wrong while serving a request, from a malformed
/// HTTP body to a failed statement: every error a client sees is one of these.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The HTTP request is not a GraphQL request Tollgate can read.
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The document does not parse.
    #[error("{0}")]
    ParseFailed(String),
    /// The document is not valid against the schema or the server's rules.
    #[error("{0}")]
    Invalid(String),
    /// An operation over one of the limits (`limit` names it).
    #[error("{message}")]
    TooComplex {
        limit: &'static str,
        max: u64,
        found: u64,
        message: String,
    },
    #[error("{0}")]
    PersistedQueryNotFound(String),
    /// Only trusted documents may run, and this is not one.
    #[error("PersistedQueryNotFound: only trusted documents are accepted")]
    Untrusted,
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    BadInput { field: String, message: String },
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    #[error("not enough stock for product {product_id}")]
    InsufficientStock { product_id: Uuid },
    #[error("too many requests, retry after {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// A dependency (the database) cannot be reached; nothing is wrong with
    /// the request or the client's credentials.
    #[error("the service is unavailable, retry after {retry_after} s")]
    Unavailable { retry_after: u64 },
    #[error("database error: {0}")]
    Db(DbErr),
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A dependency is unavailable: retry shortly.
    pub fn unavailable() -> Self {
        Self::Unavailable {
            retry_after: UNAVAILABLE_RETRY_AFTER_SECS,
        }
    }

    /// A signed-in viewer whose session could not be read (logged where it
    /// happened): an internal error, never a reason to sign out.
    pub fn unreadable_session() -> Self {
        Self::Internal(anyhow::anyhow!("the viewer's session could not be read"))
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => code::BAD_REQUEST,
            Self::PayloadTooLarge(_) => code::PAYLOAD_TOO_LARGE,
            Self::ParseFailed(_) => code::PARSE_FAILED,
            Self::Invalid(_) => code::VALIDATION_FAILED,
            Self::TooComplex { .. } => code::QUERY_TOO_COMPLEX,
            Self::PersistedQueryNotFound(_) | Self::Untrusted => code::PERSISTED_QUERY_NOT_FOUND,
            Self::Unavailable { .. } => code::SERVICE_UNAVAILABLE,
            Self::Unauthenticated(_) => code::UNAUTHENTICATED,
            Self::Forbidden(_) => code::FORBIDDEN,
            Self::NotFound(_) => code::NOT_FOUND,
            Self::BadInput { .. } => code::BAD_USER_INPUT,
            Self::Conflict { .. } => code::CONFLICT,
            Self::InsufficientStock { .. } => code::INSUFFICIENT_STOCK,
            Self::RateLimited { .. } => code::RATE_LIMITED,
            Self::Db(_) | Self::Internal(_) => code::INTERNAL,
        }
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        let message = match self {
            Self::Db(_) | Self::Internal(_) => {
                tracing::error!(error = %self, "request failed");
                "internal server error".to_owned()
            }
            other => other.to_string(),
        };
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                Self::BadInput { field, .. } => ext.set("field", field.as_str()),
                Self::Conflict {
                    field: Some(field), ..
                } => ext.set("field", field.as_str()),
                Self::InsufficientStock { product_id } => {
                    ext.set("productId", product_id.to_string())
                }
                Self::RateLimited { retry_after } | Self::Unavailable { retry_after } => {
                    ext.set("retryAfter", *retry_after)
                }
                Self::TooComplex {
                    limit, max, found, ..
                } => {
                    ext.set("limit", *limit);
                    ext.set("max", *max);
                    ext.set("found", *found);
                }
                _ => {}
            }
        })
    }
}

impl AppError {
    /// The error as GraphQL reports it, at `pos` in the document (none for
    /// an error of the whole request).
    pub fn to_server_error(&self, pos: Option<Pos>) -> ServerError {
        let error = self.extend();
        let mut server_error = ServerError::new(error.message, pos);
        server_error.extensions = error.extensions;
        server_error
    }

    /// How long the client should wait before trying again, if it should.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after } | Self::Unavailable { retry_after } => {
                Some(*retry_after)
            }
            _ => None,
        }
    }
}

impl From<DbErr> for AppError {
    /// A database that cannot be reached is SERVICE_UNAVAILABLE, never an
    /// internal error (or, for the session check, a reason to sign out).
    fn from(err: DbErr) -> Self {
        if is_unavailable(&err) {
            tracing::warn!(error = %err, "the database is unavailable");
            Self::unavailable()
        } else {
            Self::Db(err)
        }
    }
}

/// Whether `err` says the database could not be reached or went away, as
/// opposed to a statement that failed on a working database.
pub fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err)) => {
            use sea_orm::sqlx::Error;
            match err.as_ref() {
                Error::Io(_)
                | Error::PoolTimedOut
                | Error::PoolClosed
                | Error::WorkerCrashed
                | Error::Tls(_) => true,
                // PostgreSQL's classes 08 (connection exception) and 57P
                // (operator intervention: shutdown, cannot connect now).
                Error::Database(db) => db
                    .code()
                    .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
                _ => false,
            }
        }
        _ => false,
    }
}

/// Turns a unique-constraint violation into a CONFLICT on `field`.
pub trait OnConflict<T> {
    fn on_unique_violation(self, field: &str, message: &str) -> Result<T>;
}

impl<T> OnConflict<T> for std::result::Result<T, DbErr> {
    fn on_unique_violation(self, field: &str, message: &str) -> Result<T> {
        self.map_err(|err| match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict {
                field: Some(field.to_owned()),
                message: message.to_owned(),
            },
            _ => AppError::from(err),
        })
    }
}

/// Loader errors are shared between the requests of one batch.
impl From<std::sync::Arc<DbErr>> for AppError {
    fn from(err: std::sync::Arc<DbErr>) -> Self {
        Self::from(DbErr::clone(&err))
    }
}
