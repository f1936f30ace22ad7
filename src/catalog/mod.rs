//! The product catalog: products with their reviews and ratings, managed by
//! STAFF and ADMIN.

pub mod input;
pub mod loaders;
mod mutation;
pub mod prime;
mod query;
pub mod service;
mod subscription;
mod types;
pub mod write;

pub use mutation::CatalogMutation;
pub use query::CatalogQuery;
pub use subscription::CatalogSubscription;
pub use types::{CreateProductInput, Product, ProductFilter, ProductOrder, UpdateProductInput};
