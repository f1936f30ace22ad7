//! The DataLoaders of one request.
//!
//! Loaders are built per request and never stored on the schema. They cache
//! for the request's lifetime, which is what lets list resolvers prime them:
//! a list resolver looks ahead at its selection, loads each selected relation
//! for all its rows with one query (or reads it with the rows that point at
//! it, in a join), and feeds the results in (rows by id go to a plain map,
//! see [`ById`]), so nested resolvers find their values at once instead of
//! racing DataLoader's batch window (which splits batches under load).
//!
//! Object types therefore resolve their fields one after another
//! (`#[Object(serial)]`): with the relations primed nothing waits, and each
//! object is spared a `FuturesUnordered` (7 % of Q1's instructions). A
//! relation that does go to a DataLoader still batches across the objects of
//! a list, which resolve concurrently.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Arc, PoisonError, RwLock, RwLockReadGuard},
};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::products;
use sea_orm::{DatabaseConnection, DbErr};
use tracing::Instrument;
use uuid::Uuid;

use crate::{
    accounts::loaders::UserLoader,
    cache::EntityCache,
    catalog::loaders::{ProductLoader, RatingLoader},
    db::StatementCounter,
    error::AppError,
    graphql::paged::Paged,
    orders::loaders::{OrderItemsLoader, OrderLoader, OrdersByUser},
    payments::loaders::PaymentsByOrderLoader,
    reviews::loaders::{ReviewsByAuthor, ReviewsByProduct},
    telemetry::traces,
};

pub type Cached<T> = DataLoader<T, HashMapCache>;

/// Every relation's loader, for one request.
pub struct Loaders {
    /// Products by id, whatever their status.
    pub products: ById<ProductLoader>,
    /// What order lines show of their products, read with the lines when
    /// nothing more is selected (the rest of a product loads its row).
    pub product_summaries: Primed<Arc<products::Summary>>,
    /// Average rating by product id.
    pub ratings: Cached<RatingLoader>,
    /// A page of a product's reviews.
    pub reviews_by_product: Cached<Paged<ReviewsByProduct>>,
    /// A page of an author's reviews.
    pub reviews_by_author: Cached<Paged<ReviewsByAuthor>>,
    /// Users by id.
    pub users: ById<UserLoader>,
    /// Orders by id.
    pub orders: Cached<OrderLoader>,
    /// An order's lines.
    pub order_items: ById<OrderItemsLoader>,
    /// An order's payments.
    pub order_payments: Cached<PaymentsByOrderLoader>,
    /// A page of a user's orders.
    pub orders_by_user: Cached<Paged<OrdersByUser>>,
}

impl Loaders {
    pub fn new(
        db: &DatabaseConnection,
        entities: &EntityCache,
        counter: &StatementCounter,
    ) -> Self {
        Self {
            products: ById::new(cached(
                ProductLoader {
                    db: db.clone(),
                    cache: entities.clone(),
                },
                counter,
            )),
            product_summaries: Primed::default(),
            ratings: cached(RatingLoader(db.clone()), counter),
            reviews_by_product: cached(Paged::new(db.clone()), counter),
            reviews_by_author: cached(Paged::new(db.clone()), counter),
            users: ById::new(cached(
                UserLoader {
                    db: db.clone(),
                    cache: entities.clone(),
                },
                counter,
            )),
            orders: cached(OrderLoader(db.clone()), counter),
            order_items: ById::new(cached(OrderItemsLoader(db.clone()), counter)),
            order_payments: cached(PaymentsByOrderLoader(db.clone()), counter),
            orders_by_user: cached(Paged::new(db.clone()), counter),
        }
    }
}

impl Loaders {
    /// Loaders that never cache, for long-lived subscriptions whose events
    /// must see current rows.
    pub fn uncached(
        db: &DatabaseConnection,
        entities: &EntityCache,
        counter: &StatementCounter,
    ) -> Self {
        let mut loaders = Self::new(db, entities, counter);
        loaders.products.forgetful();
        loaders.product_summaries.forgetful();
        loaders.users.forgetful();
        loaders.ratings.enable_all_cache(false);
        loaders.reviews_by_product.enable_all_cache(false);
        loaders.reviews_by_author.enable_all_cache(false);
        loaders.orders.enable_all_cache(false);
        loaders.order_items.forgetful();
        loaders.order_payments.enable_all_cache(false);
        loaders.orders_by_user.enable_all_cache(false);
        loaders
    }
}

/// A cached loader whose batches count their statements against the request
/// that started them, and run in its spans, although on a task of their own.
fn cached<T>(loader: T, counter: &StatementCounter) -> Cached<T>
where
    T: Send + Sync + 'static,
{
    let counter = counter.clone();
    DataLoader::with_cache(
        loader,
        move |fut| {
            let counter = counter.clone();
            // In the spans of the operation that started it: its log
            // span, and its trace's (carried by `traces::inherit`).
            let span = tracing::Span::current();
            tokio::spawn(traces::inherit(async move { counter.scope(fut).await }).instrument(span))
        },
        HashMapCache::default(),
    )
}

/// Loads the value of `key`, which must exist (a foreign key points at it).
pub async fn one<T, K>(loader: &Cached<T>, key: K, what: &'static str) -> Result<T::Value, AppError>
where
    T: Loader<K, Error = Arc<DbErr>>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    // Boxed: DataLoader's future is large, and every field future that holds
    // it inline is moved around by the executor.
    Box::pin(loader.load_one(key))
        .await?
        .ok_or(AppError::NotFound(what))
}

/// Loads the rows of a to-many relation of `key` (none when absent).
pub async fn many<T, K, V>(loader: &Cached<T>, key: K) -> Result<Vec<V>, AppError>
where
    T: Loader<K, Value = Vec<V>, Error = Arc<DbErr>>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
{
    Ok(Box::pin(loader.load_one(key)).await?.unwrap_or_default())
}

/// Primes `loader` with `keys`: one query, straight to the loader (no batch
/// window to wait for), and the results fed into the request's cache.
pub async fn prime<T, K>(loader: &Cached<T>, keys: &[K]) -> Result<HashMap<K, T::Value>, AppError>
where
    T: Loader<K, Error = Arc<DbErr>>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    let values = loader.loader().load(keys).await?;
    loader
        .feed_many(values.iter().map(|(k, v)| (k.clone(), v.clone())))
        .await;
    Ok(values)
}

/// Rows loaded by id (or a parent's rows, by the parent's id), for one
/// request: the DataLoader for whatever arrives unannounced, and a plain map
/// of the rows a list resolver primed or read in a join. Most relations of a
/// list are primed, and a map lookup costs a fraction of a DataLoader round
/// (locks, a batch map and a copy of the key per call).
pub struct ById<L: Loader<Uuid>> {
    loader: Cached<L>,
    primed: Primed<L::Value>,
}

impl<L> ById<L>
where
    L: Loader<Uuid, Error = Arc<DbErr>>,
{
    fn new(loader: Cached<L>) -> Self {
        Self {
            loader,
            primed: Primed::default(),
        }
    }

    /// Keeps nothing between loads, for loaders that must see current rows.
    fn forgetful(&mut self) {
        self.loader.enable_all_cache(false);
        self.primed.forgetful();
    }

    /// The row `id`, if it exists.
    pub async fn find(&self, id: Uuid) -> Result<Option<L::Value>, AppError> {
        match self.held(id) {
            Some(row) => Ok(Some(row)),
            // Boxed: DataLoader's future is large, and every field future
            // that held it inline would be moved around by the executor.
            None => Ok(Box::pin(self.loader.load_one(id)).await?),
        }
    }

    /// The row `id` if a list primed it or read it in a join; never loads.
    pub fn held(&self, id: Uuid) -> Option<L::Value> {
        self.primed.get(id)
    }

    /// The row `id`, which must exist (a foreign key points at it).
    pub async fn one(&self, id: Uuid, what: &'static str) -> Result<L::Value, AppError> {
        self.find(id).await?.ok_or(AppError::NotFound(what))
    }

    /// The rows of `ids`: those not held yet are loaded with one query and
    /// kept for `find` and `one`. Held rows are as fresh as the operation:
    /// loaders live for one operation, and only queries prime. Two lists
    /// priming the same ids at once may both load them; the later rows win.
    pub async fn prime(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, L::Value>, AppError> {
        let (mut rows, missing) = self.primed.held(ids);
        if !missing.is_empty() {
            let loaded = self.loader.loader().load(&missing).await?;
            self.put(loaded.iter().map(|(id, row)| (*id, row.clone())));
            rows.extend(loaded);
        }
        Ok(rows)
    }

    /// Keeps rows another statement loaded (a join) for `find` and `one`.
    pub fn put(&self, rows: impl IntoIterator<Item = (Uuid, L::Value)>) {
        self.primed.put(rows);
    }
}

/// Values by id that a list resolver primed or read in a join, for one
/// request (or for none: see [`Loaders::uncached`]).
pub struct Primed<V> {
    values: RwLock<HashMap<Uuid, V>>,
    remember: bool,
}

impl<V> Default for Primed<V> {
    fn default() -> Self {
        Self {
            values: RwLock::default(),
            remember: true,
        }
    }
}

impl<V: Clone> Primed<V> {
    fn forgetful(&mut self) {
        self.remember = false;
    }

    /// The value of `id`, if held.
    pub fn get(&self, id: Uuid) -> Option<V> {
        self.read().get(&id).cloned()
    }

    /// The values of `ids` held, and the ids of those not held.
    fn held(&self, ids: &[Uuid]) -> (HashMap<Uuid, V>, Vec<Uuid>) {
        let held = self.read();
        let mut values = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in ids {
            match held.get(id) {
                Some(value) => drop(values.insert(*id, value.clone())),
                None => missing.push(*id),
            }
        }
        (values, missing)
    }

    /// Keeps `values` for `get` (unless forgetful).
    pub fn put(&self, values: impl IntoIterator<Item = (Uuid, V)>) {
        if self.remember {
            let mut held = self.values.write().unwrap_or_else(PoisonError::into_inner);
            held.extend(values);
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<Uuid, V>> {
        self.values.read().unwrap_or_else(PoisonError::into_inner)
    }
}
