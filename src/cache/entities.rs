//! Products and users by id, bounded in size and time. Loaders read through
//! it and query only the misses; writes drop exactly the entries they change.

use std::collections::HashMap;

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
    products: Option<Cache<Uuid, products::Model>>,
    users: Option<Cache<Uuid, users::Model>>,
}

fn cache<V: Clone + Send + Sync + 'static>(config: &CacheConfig) -> Option<Cache<Uuid, V>> {
    config.entities.then(|| {
        Cache::builder()
            .max_capacity(config.entity_capacity)
            .time_to_live(config.entity_ttl)
            .build()
    })
}

/// Looks `ids` up in `cache`: the hits, and the ids to load.
async fn split<V: Clone + Send + Sync + 'static>(
    cache: Option<&Cache<Uuid, V>>,
    ids: &[Uuid],
) -> (HashMap<Uuid, V>, Vec<Uuid>) {
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

async fn store<V: Clone + Send + Sync + 'static>(
    cache: Option<&Cache<Uuid, V>>,
    values: &HashMap<Uuid, V>,
) {
    if let Some(cache) = cache {
        for (id, value) in values {
            cache.insert(*id, value.clone()).await;
        }
    }
}

impl EntityCache {
    pub fn new(config: &CacheConfig) -> Self {
        Self {
            products: cache(config),
            users: cache(config),
        }
    }

    /// Cached products of `ids`, and the ids that must be loaded.
    pub async fn products(&self, ids: &[Uuid]) -> (HashMap<Uuid, products::Model>, Vec<Uuid>) {
        split(self.products.as_ref(), ids).await
    }

    /// One product, loaded by `load` on a miss; concurrent misses of one id
    /// share a single load (`try_get_with`). A product that does not exist is
    /// not cached.
    pub async fn product<F>(
        &self,
        id: Uuid,
        load: F,
    ) -> Result<Option<products::Model>, sea_orm::DbErr>
    where
        F: Future<Output = Result<Option<products::Model>, sea_orm::DbErr>> + Send,
    {
        let Some(cache) = &self.products else {
            return load.await;
        };
        let found = cache
            .try_get_with(id, async move { load.await?.ok_or(Missing::Row) })
            .await;
        match found {
            Ok(product) => Ok(Some(product)),
            Err(error) => match error.as_ref() {
                Missing::Row => Ok(None),
                Missing::Db(message) => Err(sea_orm::DbErr::Custom(message.clone())),
            },
        }
    }

    pub async fn store_products(&self, loaded: &HashMap<Uuid, products::Model>) {
        store(self.products.as_ref(), loaded).await;
    }

    /// Cached users of `ids`, and the ids that must be loaded.
    pub async fn users(&self, ids: &[Uuid]) -> (HashMap<Uuid, users::Model>, Vec<Uuid>) {
        split(self.users.as_ref(), ids).await
    }

    pub async fn store_users(&self, loaded: &HashMap<Uuid, users::Model>) {
        store(self.users.as_ref(), loaded).await;
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
