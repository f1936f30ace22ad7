//! GraphQL documents: the automatic persisted query store (Apollo's APQ,
//! behind [`DocumentStore`] so a shared store can replace the in-process one)
//! and a cache of parsed documents, so hot operations are not parsed again on
//! every request.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use async_graphql::{
    ServerError,
    parser::{
        parse_query,
        types::{DocumentOperations, ExecutableDocument},
    },
};
use moka::sync::Cache;
use sha2::{Digest, Sha256};

use super::responses::{self, normalize};
use crate::{
    config::CacheConfig, error::AppError, limits::analysis::operation, telemetry::metrics,
};

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
    /// By their text: hashing it for the map costs a fraction of a digest.
    parsed: Cache<Arc<str>, Arc<Parsed>>,
    max_cached_len: usize,
}

/// A parsed document, and what is worked out from it once for every
/// request that sends it.
pub struct Parsed {
    pub document: Arc<ExecutableDocument>,
    /// The SHA-256 of the normalized text: the document's part of a
    /// response-cache key.
    normalized: OnceLock<[u8; 32]>,
    /// Whether an operation reads only public catalog data, by the name
    /// that selects it (`None` for a document's only operation): at most one
    /// entry per operation.
    public: Mutex<Vec<(Option<String>, bool)>>,
}

impl Parsed {
    fn new(document: ExecutableDocument) -> Self {
        Self {
            document: Arc::new(document),
            normalized: OnceLock::new(),
            public: Mutex::default(),
        }
    }

    /// The digest of the normalized `query`, the text this was parsed from:
    /// two spellings of one operation share it.
    pub fn normalized_digest(&self, query: &str) -> [u8; 32] {
        *self
            .normalized
            .get_or_init(|| Sha256::digest(normalize(query).as_bytes()).into())
    }

    /// Whether the operation `name` reads only public catalog data.
    pub fn is_public(&self, name: Option<&str>) -> bool {
        let name = match &self.document.operations {
            DocumentOperations::Single(_) => None,
            DocumentOperations::Multiple(_) => name,
        };
        let mut known = self.public.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, public)) = known.iter().find(|(known, _)| known.as_deref() == name) {
            return *public;
        }
        let public = responses::is_public(&self.document, name);
        // Only names of operations are kept: any other is not public.
        if operation(&self.document, name).is_some() {
            known.push((name.map(String::from), public));
        }
        public
    }
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
    /// before (long documents are parsed every time). A document that is
    /// not cached passes `before_parsing` first, as every cached one did.
    pub fn parsed(
        &self,
        query: &str,
        before_parsing: impl FnOnce() -> Result<(), Vec<ServerError>>,
    ) -> Result<Arc<Parsed>, Vec<ServerError>> {
        if query.len() > self.max_cached_len {
            before_parsing()?;
            return parse(query);
        }
        let cached = self.parsed.get(query);
        metrics::cache("document", cached.is_some().into(), cached.is_none().into());
        if let Some(parsed) = cached {
            return Ok(parsed);
        }
        before_parsing()?;
        let parsed = parse(query)?;
        self.parsed.insert(query.into(), parsed.clone());
        Ok(parsed)
    }
}

fn parse(query: &str) -> Result<Arc<Parsed>, Vec<ServerError>> {
    match parse_query(query) {
        Ok(document) => Ok(Arc::new(Parsed::new(document))),
        Err(err) => {
            let pos = err.positions().next();
            Err(vec![
                AppError::ParseFailed(err.to_string()).to_server_error(pos),
            ])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publicness_is_worked_out_once_per_operation_and_unknown_names_are_not_kept() {
        let parsed =
            parse("query Catalog { products { edges { cursor } } } query Mine { viewer { id } }")
                .unwrap();
        for _ in 0..2 {
            assert!(parsed.is_public(Some("Catalog")));
            assert!(!parsed.is_public(Some("Mine")));
            assert!(!parsed.is_public(None), "two operations and no name");
            assert!(!parsed.is_public(Some("Elsewhere")));
        }
        let known = parsed.public.lock().unwrap().len();
        assert_eq!(known, 2, "one entry per operation");

        let single = parse("{ products { edges { cursor } } }").unwrap();
        for name in [None, Some("A"), Some("B")] {
            assert!(single.is_public(name));
        }
        assert_eq!(single.public.lock().unwrap().len(), 1);
    }

    #[test]
    fn spellings_of_one_document_share_their_normalized_digest() {
        let a = "{ products(first: 3) { edges { cursor } } }";
        let b = "{\n  products(first: 3) {\n    edges { cursor }\n  }\n}";
        let (pa, pb) = (parse(a).unwrap(), parse(b).unwrap());
        assert_eq!(pa.normalized_digest(a), pb.normalized_digest(b));
        let c = "{ products(first: 4) { edges { cursor } } }";
        let pc = parse(c).unwrap();
        assert_ne!(pa.normalized_digest(a), pc.normalized_digest(c));
    }
}
