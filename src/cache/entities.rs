//! Products and users by id, bounded in size and time. Loaders read through
//! it and query only the misses; writes drop exactly the entries they change.
//! Rows are shared (`Arc`): a hit costs a reference count, not a copy.
//!
//! A read that starts after a write has finished never sees the row as it
//! was before the write, even when a load that began before the write stores
//! its row after the write dropped the entry (a race no `invalidate` can
//! close: moka does not cancel a load in flight). Each id belongs to one of
//! [`STRIPES`] change counters; a write bumps its id's counter after its
//! transaction commits, and every entry keeps the counter as it was before its
//! row was read. An entry whose counter has moved since is not served.
//! Another instance's write, heard through Redis, bumps the same counter.
//!
//! While this instance may be missing other instances' writes
//! ([`Coherence`]), reads go to the database and nothing is stored.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use entity::{products, users};
use moka::future::Cache;
use uuid::Uuid;

use super::Coherence;
use crate::{config::CacheConfig, telemetry::metrics};

/// Why a single-flight load produced nothing to cache.
#[derive(Debug)]
enum Missing {
    /// No such row, as of the stripe counter read before looking.
    Row(u64),
    Db(String),
}

impl From<sea_orm::DbErr> for Missing {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Db(err.to_string())
    }
}

/// Change counters per id stripe. Ids sharing a stripe only cost each other
/// a reload now and then.
const STRIPES: usize = 4096;

/// Counts the writes of one kind of entity, by id stripe.
struct Versions(Box<[AtomicU64]>);

impl Versions {
    fn new() -> Self {
        Self((0..STRIPES).map(|_| AtomicU64::new(0)).collect())
    }

    fn stripe(&self, id: &Uuid) -> &AtomicU64 {
        // The low half of a v7 (or v4) id is random.
        &self.0[id.as_u64_pair().1 as usize % STRIPES]
    }

    /// The counter of `id`'s stripe; read before a row is read.
    fn of(&self, id: &Uuid) -> u64 {
        self.stripe(id).load(Ordering::SeqCst)
    }

    /// Records a committed write of `id`.
    fn bump(&self, id: &Uuid) {
        self.stripe(id).fetch_add(1, Ordering::SeqCst);
    }

    /// Records that any id may have been written.
    fn bump_all(&self) {
        for stripe in &self.0 {
            stripe.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// A cached row, with its stripe's counter from before it was read.
struct Entry<V> {
    row: Arc<V>,
    version: u64,
}

impl<V> Clone for Entry<V> {
    fn clone(&self) -> Self {
        Self {
            row: self.row.clone(),
            version: self.version,
        }
    }
}

/// One kind of entity by id, with the counters that tell stale entries.
struct Rows<V> {
    /// The `cache` label of its metrics.
    name: &'static str,
    cache: Cache<Uuid, Entry<V>>,
    versions: Versions,
}

impl<V: Send + Sync + 'static> Rows<V> {
    fn new(name: &'static str, config: &CacheConfig) -> Self {
        Self {
            name,
            cache: Cache::builder()
                .max_capacity(config.entity_capacity)
                .time_to_live(config.entity_ttl)
                .build(),
            versions: Versions::new(),
        }
    }

    /// The row of `id` if it is cached and no write of its stripe has
    /// finished since it was read.
    async fn get(&self, id: &Uuid) -> Option<Arc<V>> {
        let current = self.versions.of(id);
        self.cache
            .get(id)
            .await
            .filter(|entry| entry.version == current)
            .map(|entry| entry.row)
    }

    /// Caches `row` of `id`, read after its stripe's counter was `version`.
    async fn put(&self, id: Uuid, row: Arc<V>, version: u64) {
        self.cache.insert(id, Entry { row, version }).await;
    }

    /// Records a committed write of `id` and drops its entry.
    async fn forget(&self, id: &Uuid) {
        self.versions.bump(id);
        self.cache.invalidate(id).await;
    }

    /// Drops every entry, and every load in flight is not trusted.
    fn forget_all(&self) {
        self.versions.bump_all();
        self.cache.invalidate_all();
    }
}

/// Hot entities; both caches are absent when entity caching is off.
#[derive(Clone)]
pub struct EntityCache {
    products: Option<Arc<Rows<products::Model>>>,
    users: Option<Arc<Rows<users::Profile>>>,
    coherence: Coherence,
}

fn rows<V: Send + Sync + 'static>(
    name: &'static str,
    config: &CacheConfig,
) -> Option<Arc<Rows<V>>> {
    config.entities.then(|| Arc::new(Rows::new(name, config)))
}

/// Looks `ids` up in `rows`: the hits, and the ids to load.
async fn split<V: Send + Sync + 'static>(
    rows: Option<&Rows<V>>,
    ids: &[Uuid],
) -> (HashMap<Uuid, Arc<V>>, Vec<Uuid>) {
    let Some(rows) = rows else {
        return (HashMap::new(), ids.to_vec());
    };
    let mut hits = HashMap::with_capacity(ids.len());
    let mut misses = Vec::new();
    for id in ids {
        match rows.get(id).await {
            Some(row) => {
                hits.insert(*id, row);
            }
            None => misses.push(*id),
        }
    }
    metrics::cache(rows.name, hits.len() as u64, misses.len() as u64);
    (hits, misses)
}

/// The values of `ids`: cached ones from `rows`, the rest from one call to
/// `load`, which are then cached.
async fn read_through<V, F, Fut, E>(
    rows: Option<&Rows<V>>,
    ids: &[Uuid],
    load: F,
    id_of: impl Fn(&V) -> Uuid,
) -> Result<HashMap<Uuid, Arc<V>>, E>
where
    V: Send + Sync + 'static,
    F: FnOnce(Vec<Uuid>) -> Fut,
    Fut: Future<Output = Result<Vec<V>, E>>,
{
    let (mut found, misses) = split(rows, ids).await;
    if misses.is_empty() {
        return Ok(found);
    }
    let versions: HashMap<Uuid, u64> = match rows {
        Some(rows) => misses
            .iter()
            .map(|id| (*id, rows.versions.of(id)))
            .collect(),
        None => HashMap::new(),
    };
    let loaded: HashMap<Uuid, Arc<V>> = load(misses)
        .await?
        .into_iter()
        .map(|v| (id_of(&v), Arc::new(v)))
        .collect();
    if let Some(rows) = rows {
        for (id, row) in &loaded {
            rows.put(*id, row.clone(), versions[id]).await;
        }
    }
    found.extend(loaded);
    Ok(found)
}

impl EntityCache {
    /// Products by id, the misses loaded by `load`.
    pub async fn products_through<F, Fut, E>(
        &self,
        ids: &[Uuid],
        load: F,
    ) -> Result<HashMap<Uuid, Arc<products::Model>>, E>
    where
        F: FnOnce(Vec<Uuid>) -> Fut,
        Fut: Future<Output = Result<Vec<products::Model>, E>>,
    {
        read_through(self.live(&self.products), ids, load, |p| p.id).await
    }

    /// Users by id, the misses loaded by `load`.
    pub async fn users_through<F, Fut, E>(
        &self,
        ids: &[Uuid],
        load: F,
    ) -> Result<HashMap<Uuid, Arc<users::Profile>>, E>
    where
        F: FnOnce(Vec<Uuid>) -> Fut,
        Fut: Future<Output = Result<Vec<users::Profile>, E>>,
    {
        read_through(self.live(&self.users), ids, load, |u| u.id).await
    }

    /// Whether products are cached (else every read goes to the database).
    pub fn holds_products(&self) -> bool {
        self.products.is_some()
    }

    /// Whether users are cached (else every read goes to the database).
    pub fn holds_users(&self) -> bool {
        self.users.is_some()
    }

    pub fn new(config: &CacheConfig, coherence: Coherence) -> Self {
        Self {
            products: rows("products", config),
            users: rows("users", config),
            coherence,
        }
    }

    /// The rows of one kind to read through, unless this instance may be
    /// missing writes: then none, and every read goes to the database.
    fn live<'a, V>(&self, rows: &'a Option<Arc<Rows<V>>>) -> Option<&'a Rows<V>> {
        rows.as_deref().filter(|_| self.coherence.holds())
    }

    /// One product, loaded by `load` on a miss; concurrent misses of one id
    /// share a single load (`try_get_with`). A product that does not exist is
    /// not cached. A shared load that began before a write of the product
    /// finished is not trusted: the product is read again.
    pub async fn product<F, Fut>(
        &self,
        id: Uuid,
        load: F,
    ) -> Result<Option<Arc<products::Model>>, sea_orm::DbErr>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Option<products::Model>, sea_orm::DbErr>> + Send,
    {
        let Some(rows) = self.live(&self.products) else {
            return Ok(load().await?.map(Arc::new));
        };
        let current = rows.versions.of(&id);
        let loaded = AtomicBool::new(false);
        let shared = async {
            loaded.store(true, Ordering::Relaxed);
            let version = rows.versions.of(&id);
            match load().await? {
                Some(row) => Ok(Entry {
                    row: Arc::new(row),
                    version,
                }),
                None => Err(Missing::Row(version)),
            }
        };
        let found = rows.cache.try_get_with(id, shared).await;
        let loaded = loaded.load(Ordering::Relaxed);
        metrics::cache(rows.name, (!loaded).into(), loaded.into());
        match found {
            Ok(entry) if entry.version == current => return Ok(Some(entry.row)),
            Err(error) => match error.as_ref() {
                Missing::Row(version) if *version == current => return Ok(None),
                Missing::Db(message) => return Err(sea_orm::DbErr::Custom(message.clone())),
                Missing::Row(_) => {}
            },
            Ok(_) => {}
        }
        // The shared load began before a write of the product that has
        // finished since: read it again.
        let version = rows.versions.of(&id);
        match load().await? {
            Some(row) => {
                let row = Arc::new(row);
                rows.put(id, row.clone(), version).await;
                Ok(Some(row))
            }
            None => {
                rows.cache.invalidate(&id).await;
                Ok(None)
            }
        }
    }

    /// After a committed write of product `id`: its cached row is stale.
    pub async fn forget_product(&self, id: Uuid) {
        if let Some(rows) = &self.products {
            rows.forget(&id).await;
        }
    }

    /// After a committed write of user `id`: its cached row is stale.
    pub async fn forget_user(&self, id: Uuid) {
        if let Some(rows) = &self.users {
            rows.forget(&id).await;
        }
    }

    /// After writes that may not have been heard: every cached row is stale.
    pub fn forget_all(&self) {
        if let Some(rows) = &self.products {
            rows.forget_all();
        }
        if let Some(rows) = &self.users {
            rows.forget_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::Utc;
    use tokio::sync::oneshot;

    use super::*;
    use crate::cache::test_config;

    fn product(id: Uuid, stock: i32) -> products::Model {
        products::Model {
            id,
            sku: "SKU-1".into(),
            name: "Kettle".into(),
            description: String::new(),
            price_cents: 1000,
            currency: "EUR".into(),
            stock,
            active: true,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    /// A load that says when it has begun, then waits to be let go before
    /// it returns `row` (read before the write the test makes meanwhile).
    fn slow(
        row: Option<products::Model>,
    ) -> (
        oneshot::Receiver<()>,
        oneshot::Sender<()>,
        impl Future<Output = Option<products::Model>>,
    ) {
        let (began, began_rx) = oneshot::channel();
        let (release, release_rx) = oneshot::channel::<()>();
        let load = async move {
            let _ = began.send(());
            let _ = release_rx.await;
            row
        };
        (began_rx, release, load)
    }

    #[tokio::test]
    async fn a_batch_read_before_a_write_is_not_served_after_the_write() {
        let cache = EntityCache::new(&test_config(), Coherence::always());
        let id = Uuid::now_v7();
        let (began, release, old) = slow(Some(product(id, 5)));
        let reader = cache.clone();
        let before = tokio::spawn(async move {
            let load = |_| async { Ok::<_, ()>(old.await.into_iter().collect()) };
            reader.products_through(&[id], load).await
        });
        began.await.unwrap();
        // The write commits and drops the entry while the old row is in flight.
        cache.forget_product(id).await;
        release.send(()).unwrap();
        assert_eq!(before.await.unwrap().unwrap()[&id].stock, 5);

        let load = |_| async { Ok::<_, ()>(vec![product(id, 4)]) };
        let after = cache.products_through(&[id], load).await.unwrap();
        assert_eq!(
            after[&id].stock, 4,
            "the row read before the write was served"
        );
        let cached = cache
            .products_through(&[id], |_| async { Ok::<_, ()>(vec![]) })
            .await
            .unwrap();
        assert_eq!(
            cached[&id].stock, 4,
            "the row read after the write is cached"
        );
    }

    /// A single-flight lookup of `id` whose load reads `before` and returns
    /// it only after a write of `id` has finished, and a lookup that starts
    /// after the write (joining the load in flight) whose own load would read
    /// `after`: what each lookup answers.
    async fn lookups_around_a_write(
        cache: &EntityCache,
        id: Uuid,
        before: Option<products::Model>,
        after: Option<products::Model>,
    ) -> (Option<Arc<products::Model>>, Option<Arc<products::Model>>) {
        let (began, release, before) = slow(before);
        let before = std::sync::Mutex::new(Some(before));
        let first = cache.clone();
        let first = tokio::spawn(async move {
            let load = || {
                let before = before.lock().unwrap().take().expect("loaded once");
                async move { Ok(before.await) }
            };
            first.product(id, load).await
        });
        began.await.unwrap();
        cache.forget_product(id).await;
        let second = cache.clone();
        let second = tokio::spawn(async move {
            let load = || {
                let after = after.clone();
                async move { Ok(after) }
            };
            second.product(id, load).await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        release.send(()).unwrap();
        (
            first.await.unwrap().unwrap(),
            second.await.unwrap().unwrap(),
        )
    }

    #[tokio::test]
    async fn a_shared_load_begun_before_a_write_is_not_trusted_after_it() {
        let cache = EntityCache::new(&test_config(), Coherence::always());
        let id = Uuid::now_v7();
        let (first, second) =
            lookups_around_a_write(&cache, id, Some(product(id, 5)), Some(product(id, 4))).await;
        assert_eq!(first.map(|p| p.stock), Some(5));
        assert_eq!(
            second.map(|p| p.stock),
            Some(4),
            "the row read before the write was served"
        );
        let cached = cache.product(id, || async { Ok(None) }).await.unwrap();
        assert_eq!(
            cached.map(|p| p.stock),
            Some(4),
            "the row read after the write is cached"
        );
    }

    #[tokio::test]
    async fn a_product_created_while_a_lookup_was_in_flight_is_found_after_it() {
        let cache = EntityCache::new(&test_config(), Coherence::always());
        let id = Uuid::now_v7();
        let (first, second) = lookups_around_a_write(&cache, id, None, Some(product(id, 7))).await;
        assert!(first.is_none());
        assert_eq!(
            second.map(|p| p.stock),
            Some(7),
            "the new product was not found"
        );
    }
}
