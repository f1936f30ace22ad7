//! GraphQL documents: the automatic persisted query store (Apollo's APQ,
//! behind [`DocumentStore`] so a shared store can replace the in-process one)
//! and a cache of parsed documents, so hot operations are not parsed again on
//! every request.

use std::sync::Arc;

use async_graphql::parser::{parse_query, types::ExecutableDocument};
use moka::sync::Cache;
use sha2::{Digest, Sha256};

use crate::{config::CacheConfig, telemetry::metrics};

/// Where persisted documents live, by the lower-case hex SHA-256 of their text.
#[async_trait::async_trait]
pub trait DocumentStore: Send + Sync {
    async fn get(&self, hash: &str) -> Option<Arc<str>>;
    async fn put(&self, hash: String, document: Arc<str>);
}

/// Persisted documents in this process, bounded in number.
pub struct MemoryDocuments {
    cache: Cache<String, Arc<str>>,
}

impl MemoryDocuments {
    pub fn new(capacity: u64) -> Self {
        Self {
            cache: Cache::builder().max_capacity(capacity).build(),
        }
    }
}

#[async_trait::async_trait]
impl DocumentStore for MemoryDocuments {
    async fn get(&self, hash: &str) -> Option<Arc<str>> {
        let document = self.cache.get(hash);
        metrics::cache("apq", document.is_some().into(), document.is_none().into());
        document
    }

    async fn put(&self, hash: String, document: Arc<str>) {
        self.cache.insert(hash, document);
    }
}

/// Persisted and parsed documents.
#[derive(Clone)]
pub struct Documents {
    pub persisted: Arc<dyn DocumentStore>,
    parsed: Cache<[u8; 32], Arc<ExecutableDocument>>,
    max_cached_len: usize,
}

impl Documents {
    pub fn new(config: &CacheConfig, persisted: Arc<dyn DocumentStore>) -> Self {
        Self {
            persisted,
            parsed: Cache::builder()
                .max_capacity(config.documents_capacity)
                .build(),
            max_cached_len: config.max_cached_document_len,
        }
    }

    /// The parsed document of `query`, from the cache when it was parsed
    /// before (long documents are parsed every time).
    pub fn parsed(
        &self,
        query: &str,
    ) -> Result<Arc<ExecutableDocument>, async_graphql::parser::Error> {
        if query.len() > self.max_cached_len {
            return parse_query(query).map(Arc::new);
        }
        let key: [u8; 32] = Sha256::digest(query.as_bytes()).into();
        let cached = self.parsed.get(&key);
        metrics::cache("document", cached.is_some().into(), cached.is_none().into());
        if let Some(document) = cached {
            return Ok(document);
        }
        let document = Arc::new(parse_query(query)?);
        self.parsed.insert(key, document.clone());
        Ok(document)
    }
}
