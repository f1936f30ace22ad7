//! The one error type of Tollgate and its mapping to GraphQL error codes.
//!
//! Service functions return [`Result`]; resolvers convert with
//! `async_graphql::ResultExt::extend` so that `extensions.code` survives (the
//! blanket `From<Display>` of async-graphql would drop it). Internal errors are
//! logged, inside the request's span and so with its request id, and masked.

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};
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
    pub const INTERNAL: &str = "INTERNAL_SERVER_ERROR";
}

/// Everything that can go wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
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
    #[error("database error: {0}")]
    Db(#[from] DbErr),
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

    pub fn code(&self) -> &'static str {
        match self {
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
                Self::RateLimited { retry_after } => ext.set("retryAfter", *retry_after),
                _ => {}
            }
        })
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
            _ => AppError::Db(err),
        })
    }
}

/// Loader errors are shared between the requests of one batch.
impl From<std::sync::Arc<DbErr>> for AppError {
    fn from(err: std::sync::Arc<DbErr>) -> Self {
        Self::Internal(anyhow::anyhow!("database error: {err}"))
    }
}
