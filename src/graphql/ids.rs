//! Conversions at the GraphQL boundary: ids, money and text.

use async_graphql::ID;
use uuid::Uuid;

use crate::error::{AppError, Result};

/// Parses a GraphQL `ID` argument as a UUID, naming the argument when it is not.
pub fn parse_id(id: &ID, field: &str) -> Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| AppError::bad_input(field, "not a valid id"))
}

/// Refuses text with a NUL character, which PostgreSQL can neither store
/// nor compare (SQLite would take it: refused on both, for one behaviour).
pub fn no_nul(text: &str, field: &str) -> Result<()> {
    if text.contains('\0') {
        return Err(AppError::bad_input(
            field,
            "text cannot contain NUL characters",
        ));
    }
    Ok(())
}

/// Money in cents as a GraphQL `Int`; inputs are bounded so stored amounts fit.
pub fn cents(value: i64) -> Result<i32> {
    i32::try_from(value)
        .map_err(|_| AppError::Internal(anyhow::anyhow!("amount {value} out of range")))
}
