//! The DataLoaders of one request.
//!
//! Loaders are built per request and never stored on the schema. They cache
//! for the request's lifetime, which is what lets list resolvers prime them:
//! a list resolver looks ahead at its selection, loads each selected relation
//! for all its rows with one query, and feeds the results in, so nested
//! resolvers find their values at once instead of racing DataLoader's batch
//! window (which splits batches under load).

use async_graphql::dataloader::{DataLoader, HashMapCache};
use sea_orm::DatabaseConnection;

use crate::{
    accounts::loaders::UserLoader,
    catalog::loaders::{ProductLoader, RatingLoader},
    db::StatementCounter,
    reviews::loaders::ReviewsByProductLoader,
};

pub type Cached<T> = DataLoader<T, HashMapCache>;

/// Every relation's loader, for one request.
pub struct Loaders {
    /// Products by id, whatever their status.
    pub products: Cached<ProductLoader>,
    /// Average rating by product id.
    pub ratings: Cached<RatingLoader>,
    /// A page of a product's reviews.
    pub reviews_by_product: Cached<ReviewsByProductLoader>,
    /// Users by id.
    pub users: Cached<UserLoader>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection, counter: &StatementCounter) -> Self {
        Self {
            products: cached(ProductLoader(db.clone()), counter),
            ratings: cached(RatingLoader(db.clone()), counter),
            reviews_by_product: cached(ReviewsByProductLoader(db.clone()), counter),
            users: cached(UserLoader(db.clone()), counter),
        }
    }
}

/// A cached loader whose batches count their statements against the request
/// that started them, although they run on a task of their own.
fn cached<T>(loader: T, counter: &StatementCounter) -> Cached<T>
where
    T: Send + Sync + 'static,
{
    let counter = counter.clone();
    DataLoader::with_cache(
        loader,
        move |fut| {
            let counter = counter.clone();
            tokio::spawn(async move { counter.scope(fut).await })
        },
        HashMapCache::default(),
    )
}
