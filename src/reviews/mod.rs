//! Reviews: a rating and text per author and product.

pub mod loaders;
pub mod prime;
pub mod service;
mod types;

pub use types::Review;

/// Cursor tag of a product's reviews (newest first).
pub const CURSOR_TAG: &str = "rp";
