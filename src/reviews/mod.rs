//! Reviews: a rating and text per author and product.

pub mod loaders;
mod mutation;
pub mod prime;
pub mod service;
mod types;

pub use mutation::ReviewsMutation;
pub use types::{AddReviewInput, Review};

/// Cursor tag of a product's reviews (newest first).
pub const CURSOR_TAG: &str = "rp";
/// Cursor tag of an author's reviews (newest first).
pub const AUTHOR_CURSOR_TAG: &str = "ra";
