//! Payments: idempotent on the client's key, settled by a simulated provider.

pub mod loaders;
mod mutation;
pub mod service;
mod types;

pub use mutation::PaymentsMutation;
pub use types::{PayOrderInput, Payment, PaymentStatus};
