//! Orders: placing them without ever overselling, cancelling with exactly one
//! restock, shipping, and reading them scoped to who may see them.

pub mod loaders;
mod mutation;
pub mod prime;
mod query;
pub mod service;
pub mod status;
mod subscription;
mod types;

pub use mutation::OrdersMutation;
pub use query::OrdersQuery;
pub use status::OrderStatus;
pub use subscription::OrdersSubscription;
pub use types::{Order, OrderFilter, OrderItem, OrderLineInput, PlaceOrderInput};

/// Cursor tag of order listings (newest first).
pub const CURSOR_TAG: &str = "o";
