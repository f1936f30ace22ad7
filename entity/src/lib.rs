//! SeaORM entities of Tollgate: one module per table, rows only.
//!
//! Entities carry no business logic and are never exposed through GraphQL
//! directly; the server maps them to hand-written GraphQL types. The state
//! enums (`orders::OrderStatus`, `payments::PaymentStatus`, `users::Role`)
//! are the exception: a column's value is its GraphQL name, so one type
//! serves the row and the API, and a value outside it fails to decode.

pub mod identities;
pub mod order_items;
pub mod orders;
pub mod payments;
mod positional;
pub mod prelude;
pub mod products;
pub mod reviews;
pub mod sessions;
pub mod users;

pub use positional::{ByPosition, Field, Positional};
