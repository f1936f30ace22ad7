//! Products and users by id, bounded in size and time. Loaders read through
//! it and query only the misses; writes drop exactly the entries they change.
//! Rows are shared (`Arc`): a hit costs a reference count, not a copy.

use std::{collections::HashMap, sync::Arc};

use entity::{products, users};
use moka::future::Cache;
use uuid::Uuid;

use crate::config::CacheConfig;

/// Why a single-flight load produced nothing to cache.
#[derive(Debug)]
enum Missing {
    Row,
    Db(String),
}

impl From<sea_orm::DbErr> for Missing {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Db(err.to_string())
    }
}

/// Hot entities; both caches are absent when entity caching is off.
#[derive(Clone)]
pub struct EntityCache {
    products: Option<Cache<Uuid, Arc<products::Model>>>,
    users: Option<Cache<Uuid, Arc<users::Profile>>>,
}

fn cache<V: Send + Sync + 'static>(config: &CacheConfig) -> Option<Cache<Uuid, Arc<V>>> {
    config.entities.then(|| {
        Cache::builder()
            .max_capacity(config.entity_capacity)
            .time_to_live(config.entity_ttl)
            .build()
    })
}

/// Looks `ids` up in `cache`: the hits, and the ids to load.
async fn split<V: Send + Sync + 'static>(
    cache: Option<&Cache<Uuid, Arc<V>>>,
    ids: &[Uuid],
) -> (HashMap<Uuid, Arc<V>>, Vec<Uuid>) {
    let Some(cache) = cache else {
        return (HashMap::new(), ids.to_vec());
    };
    let mut hits = HashMap::with_capacity(ids.len());
    let mut misses = Vec::new();
    for id in ids {
        match cache.get(id).await {
            Some(value) => {
                hits.insert(*id, value);
            }
            None => misses.push(*id),
        }
    }
    (hits, misses)
}

async fn store<V: Send + Sync + 'static>(
    cache: Option<&Cache<Uuid, Arc<V>>>,
    values: &HashMap<Uuid, Arc<V>>,
) {
    if let Some(cache) = cache {
        for (id, value) in values {
            cache.insert(*id, value.clone()).await;
        }
    }
}

/// The values of `ids`: cached ones from `cache`, the rest from one call to
/// `load`, which are then cached.
async fn read_through<V, F, Fut, E>(
    cache: Option<&Cache<Uuid, Arc<V>>>,
    ids: &[Uuid],
    load: F,
    id_of: impl Fn(&V) -> Uuid,
) -> Result<HashMap<Uuid, Arc<V>>, E>
where
    V: Send + Sync + 'static,
    F: FnOnce(Vec<Uuid>) -> Fut,
    Fut: Future<Output = Result<Vec<V>, E>>,
{
    let (mut found, misses) = split(cache, ids).await;
    if misses.is_empty() {
        return Ok(found);
    }
    let loaded: HashMap<Uuid, Arc<V>> = load(misses)
        .await?
        .into_iter()
        .map(|v| (id_of(&v), Arc::new(v)))
        .collect();
    store(cache, &loaded).await;
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
        read_through(self.products.as_ref(), ids, load, |p| p.id).await
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
        read_through(self.users.as_ref(), ids, load, |u| u.id).await
    }

    /// Whether products are cached (else every read goes to the database).
    pub fn holds_products(&self) -> bool {
        self.products.is_some()
    }

    /// Whether users are cached (else every read goes to the database).
    pub fn holds_users(&self) -> bool {
        self.users.is_some()
    }

    pub fn new(config: &CacheConfig) -> Self {
        Self {
            products: cache(config),
            users: cache(config),
        }
    }

    /// One product, loaded by `load` on a miss; concurrent misses of one id
    /// share a single load (`try_get_with`). A product that does not exist is
    /// not cached.
    pub async fn product<F>(
        &self,
        id: Uuid,
        load: F,
    ) -> Result<Option<Arc<products::Model>>, sea_orm::DbErr>
    where
        F: Future<Output = Result<Option<products::Model>, sea_orm::DbErr>> + Send,
    {
        let Some(cache) = &self.products else {
            return Ok(load.await?.map(Arc::new));
        };
        let found = cache
            .try_get_with(
                id,
                async move { load.await?.map(Arc::new).ok_or(Missing::Row) },
            )
            .await;
        match found {
            Ok(product) => Ok(Some(product)),
            Err(error) => match error.as_ref() {
                Missing::Row => Ok(None),
                Missing::Db(message) => Err(sea_orm::DbErr::Custom(message.clone())),
            },
        }
    }

    pub async fn forget_product(&self, id: Uuid) {
        if let Some(cache) = &self.products {
            cache.invalidate(&id).await;
        }
    }

    pub async fn forget_user(&self, id: Uuid) {
        if let Some(cache) = &self.users {
            cache.invalidate(&id).await;
        }
    }
}
