//! Persisted queries (APQ) shared between instances: a document registered
//! on one instance is found by its hash on every other. Each is kept in
//! Redis under `{prefix}:apq:{sha256}` for `APQ_TTL_SECS` (`SET … EX`, set
//! again by every registration), and in this instance's own cache in front,
//! so that a hot document costs no round trip. Registering never waits on
//! Redis: a task writes what has queued up.
//!
//! While the link to Redis is down (the caches are not coherent), Redis is
//! not asked: a hash this instance does not hold is unknown, and the client
//! sends the text again (`PersistedQueryNotFound`), which registers it here.
//! A document read from Redis is used only if it matches its hash.

use std::{sync::Arc, time::Duration};

use moka::sync::Cache;
use redis::{AsyncCommands, aio::ConnectionManager};

use super::thread::Redis;
use tokio::sync::mpsc;

use crate::{
    cache::{Coherence, DocumentStore},
    digest::sha256_hex,
    telemetry::metrics,
};

/// Registrations waiting to be written; more are kept here only.
const QUEUE: usize = 1024;

/// Persisted documents in Redis, behind a cache of this instance's own.
pub struct SharedDocuments {
    local: Cache<String, Arc<str>>,
    redis: Redis,
    /// `{prefix}:apq:`, the start of every key.
    keys: String,
    /// Whether Redis is reachable, as far as the link knows.
    linked: Coherence,
    /// Longest document shared; longer ones are kept here only.
    max_len: usize,
    writes: mpsc::Sender<(String, Arc<str>)>,
}

/// What a [`SharedDocuments`] hands its writer.
pub struct Writes(mpsc::Receiver<(String, Arc<str>)>);

/// How a [`SharedDocuments`] is set up.
pub struct Settings {
    pub keys: String,
    pub ttl: Duration,
    pub capacity: u64,
    pub max_len: usize,
}

/// A store and the end its writer reads.
pub fn store(settings: &Settings, redis: Redis, linked: Coherence) -> (SharedDocuments, Writes) {
    let (writes, queued) = mpsc::channel(QUEUE);
    let store = SharedDocuments {
        local: Cache::builder()
            .max_capacity(settings.capacity)
            .time_to_live(settings.ttl)
            .build(),
        redis,
        keys: settings.keys.clone(),
        linked,
        max_len: settings.max_len,
        writes,
    };
    (store, Writes(queued))
}

#[async_trait::async_trait]
impl DocumentStore for SharedDocuments {
    async fn get(&self, hash: &str) -> Option<Arc<str>> {
        let document = match self.local.get(hash) {
            Some(document) => Some(document),
            None => self.fetch(hash).await,
        };
        metrics::cache("apq", document.is_some().into(), document.is_none().into());
        document
    }

    async fn put(&self, hash: String, document: Arc<str>) {
        self.local.insert(hash.clone(), document.clone());
        if document.len() <= self.max_len && self.writes.try_send((hash, document)).is_err() {
            metrics::redis_error("apq_set");
        }
    }
}

impl SharedDocuments {
    /// The document another instance registered under `hash`, kept here
    /// from now on.
    async fn fetch(&self, hash: &str) -> Option<Arc<str>> {
        if !self.linked.holds() {
            metrics::redis_error("apq_get");
            return None;
        }
        let key = format!("{}{hash}", self.keys);
        let found = self
            .redis
            .run({
                let key = key.clone();
                |mut redis| async move { redis.get::<_, Option<String>>(key).await }
            })
            .await;
        match found {
            Ok(Some(text)) if sha256_hex(&text) == hash => {
                let document: Arc<str> = Arc::from(text);
                self.local.insert(hash.to_owned(), document.clone());
                Some(document)
            }
            Ok(Some(_)) => {
                metrics::redis_error("decode");
                tracing::warn!(%key, "redis: a persisted query does not match its hash");
                None
            }
            Ok(None) => None,
            Err(err) => {
                metrics::redis_error("apq_get");
                tracing::debug!(error = %err, "redis: a persisted query could not be read");
                None
            }
        }
    }
}

/// Writes what `writes` receives, each key for `ttl`, until the store is gone.
pub async fn write(mut writes: Writes, mut redis: ConnectionManager, keys: String, ttl: Duration) {
    let mut failing = false;
    let ttl = ttl.as_secs().max(1);
    while let Some((hash, document)) = writes.0.recv().await {
        let set = redis::cmd("SET")
            .arg(format!("{keys}{hash}"))
            .arg(&*document)
            .arg("EX")
            .arg(ttl)
            .exec_async(&mut redis)
            .await;
        match set {
            Ok(()) => failing = false,
            Err(err) => {
                metrics::redis_error("apq_set");
                if !failing {
                    tracing::warn!(
                        error = %err,
                        "redis: a persisted query could not be shared; it is kept on this instance"
                    );
                    failing = true;
                }
            }
        }
    }
}
