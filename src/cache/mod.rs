//! In-process caches: hot entities (products and users by id), public
//! catalog responses, session states, and GraphQL documents (persisted
//! queries and parsed documents). Every write that changes what a cache
//! holds goes through [`Caches::changed`], which drops the stale entries here
//! and hands the change to an [`InvalidationBus`] so that other instances
//! drop theirs ([`Caches::apply`], without passing it on).

mod coherence;
pub mod documents;
mod entities;
pub mod gzip;
pub mod responses;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{auth::sessions::SessionCheck, config::CacheConfig};

pub use coherence::Coherence;
pub use documents::{DocumentStore, Documents, MemoryDocuments};
pub use entities::EntityCache;
pub use responses::{ResponseCache, normalize};

/// A change that makes cached values stale. Its JSON travels between
/// instances (`shared::message`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// A product (its fields or its stock) changed.
    Product(Uuid),
    /// A user changed (a role or password among others).
    User(Uuid),
    /// A product's reviews changed.
    Reviews { product_id: Uuid },
    /// A session family ended (logout, refresh-token reuse).
    Session(Uuid),
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
    /// Whether the session behind an access token is still live.
    pub sessions: SessionCheck,
    bus: Arc<dyn InvalidationBus>,
    coherence: Coherence,
}

impl Caches {
    /// The caches of a lone instance.
    pub fn new(config: &CacheConfig) -> Self {
        Self::linked(config, Arc::new(LocalOnly), Coherence::always())
    }

    /// The caches of an instance that tells others of its changes through
    /// `bus`, and serves cached values only while `coherence` holds.
    pub fn linked(
        config: &CacheConfig,
        bus: Arc<dyn InvalidationBus>,
        coherence: Coherence,
    ) -> Self {
        Self {
            entities: EntityCache::new(config, coherence.clone()),
            responses: ResponseCache::new(config, coherence.clone()),
            documents: Documents::new(
                config,
                Arc::new(MemoryDocuments::new(config.documents_capacity)),
            ),
            sessions: SessionCheck::default(),
            bus,
            coherence,
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
            Change::User(id) => {
                self.entities.forget_user(id).await;
                self.sessions.forget_all();
            }
            Change::Reviews { .. } => {}
            Change::Session(family) => return self.sessions.forget(family).await,
        }
        // Public responses show products, ratings, reviews and display names.
        self.responses.clear();
    }

    /// Stops serving and storing entities and responses: changes made
    /// elsewhere may go unheard from now on.
    pub fn suspend(&self) {
        self.coherence.set(false);
    }

    /// Drops everything a change that went unheard could have made stale,
    /// then serves cached values again.
    pub fn resume(&self) {
        self.forget_all();
        self.coherence.set(true);
    }

    /// Drops every cached entity, response and session state; loads in
    /// flight are not trusted.
    pub fn forget_all(&self) {
        self.entities.forget_all();
        self.responses.clear();
        self.sessions.forget_all();
    }

    /// Whether cached values are served (see [`Coherence`]).
    pub fn coherent(&self) -> bool {
        self.coherence.holds()
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
