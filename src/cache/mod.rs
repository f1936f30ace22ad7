//! In-process caches: hot entities (products and users by id), public
//! catalog responses, and GraphQL documents (persisted queries and parsed
//! documents). Every write that changes what a cache holds goes through
//! [`Caches::changed`], which drops the stale entries here and hands the
//! change to an [`InvalidationBus`] so that other instances drop theirs.

pub mod documents;
mod entities;
pub mod responses;

use std::sync::Arc;

use uuid::Uuid;

use crate::config::CacheConfig;

pub use documents::{DocumentStore, Documents, MemoryDocuments};
pub use entities::EntityCache;
pub use responses::{ResponseCache, normalize};

/// A change that makes cached values stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A product (its fields or its stock) changed.
    Product(Uuid),
    /// A user changed.
    User(Uuid),
    /// A product's reviews changed.
    Reviews { product_id: Uuid },
}

/// Carries changes to the other instances. The default does nothing: with a
/// single instance there is nobody to tell.
pub trait InvalidationBus: Send + Sync {
    fn broadcast(&self, change: Change);
}

/// The invalidation bus of a lone instance.
pub struct LocalOnly;

impl InvalidationBus for LocalOnly {
    fn broadcast(&self, _: Change) {}
}

/// Every cache of the process.
#[derive(Clone)]
pub struct Caches {
    /// Products and users by id.
    pub entities: EntityCache,
    /// Anonymous public catalog responses.
    pub responses: ResponseCache,
    /// Persisted queries and parsed documents.
    pub documents: Documents,
    bus: Arc<dyn InvalidationBus>,
}

impl Caches {
    pub fn new(config: &CacheConfig) -> Self {
        Self {
            entities: EntityCache::new(config),
            responses: ResponseCache::new(config),
            documents: Documents::new(
                config,
                Arc::new(MemoryDocuments::new(config.documents_capacity)),
            ),
            bus: Arc::new(LocalOnly),
        }
    }

    /// Records that `change` happened (after its transaction committed).
    pub async fn changed(&self, change: Change) {
        self.apply(change).await;
        self.bus.broadcast(change);
    }

    /// Drops what `change` made stale in this instance.
    pub async fn apply(&self, change: Change) {
        match change {
            Change::Product(id) => self.entities.forget_product(id).await,
            Change::User(id) => self.entities.forget_user(id).await,
            Change::Reviews { .. } => {}
        }
        // Public responses show products, ratings, reviews and display names.
        self.responses.clear();
    }
}

/// Every cache on and small, for the caches' own tests.
#[cfg(test)]
fn test_config() -> CacheConfig {
    use std::time::Duration;
    CacheConfig {
        entities: true,
        entity_ttl: Duration::from_secs(60),
        entity_capacity: 100,
        responses: true,
        response_ttl: Duration::from_secs(5),
        response_capacity: 100,
        documents_capacity: 100,
        max_cached_document_len: 1000,
    }
}
