//! Reviews: a rating and text per author and product.

pub mod loaders;
pub mod prime;
pub mod service;
mod types;
pub mod write;

pub use types::Review;
pub use write::{AddReviewInput, ReviewsMutation};

/// Cursor tag of a product's reviews (newest first).
pub const CURSOR_TAG: &str = "rp";
/// Cursor tag of an author's reviews (newest first).
pub const AUTHOR_CURSOR_TAG: &str = "ra";
