//! The product catalog: reading products with their reviews and ratings.

pub mod loaders;
pub mod prime;
mod query;
pub mod service;
mod types;

pub use query::CatalogQuery;
pub use types::{Product, ProductFilter, ProductOrder};
