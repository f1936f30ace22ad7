//! Short-lived cache of anonymous public catalog responses, keyed by the
//! normalized document, the operation name and the variables. Only
//! operations that select nothing but `product`/`products` and what hangs off
//! them, minus the private fields, qualify; catalog writes clear it.
//!
//! An answer computed while a write was committing may be stored after the
//! write cleared the cache. Every answer is therefore stored with the
//! cache's generation from before it was computed, each write moves the
//! generation on, and only answers of the current generation are served.
//! While this instance may be missing other instances' writes
//! ([`Coherence`]), nothing is served or stored.

use std::{
    sync::{
        Arc, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use async_graphql::{
    Positioned, Variables,
    parser::types::{ExecutableDocument, Field, OperationType, Selection, SelectionSet},
};
use moka::sync::Cache;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::{Coherence, gzip::CompressedStart};
use crate::{config::CacheConfig, limits::analysis::operation, telemetry::metrics};

/// Root fields whose answers are public.
const PUBLIC_ROOTS: &[&str] = &["product", "products", "__typename"];
/// Fields reachable from the catalog that are private (User.email, User.orders).
const PRIVATE_FIELDS: &[&str] = &["email", "orders"];
/// Fragment spreads followed at most this deep (cycles are a validation error anyway).
const MAX_FRAGMENT_DEPTH: usize = 16;

/// Public responses; absent when response caching is off.
#[derive(Clone)]
pub struct ResponseCache {
    cache: Option<Cache<[u8; 32], Stored>>,
    generation: Arc<AtomicU64>,
    ttl: Duration,
    coherence: Coherence,
}

/// The cache's generation, taken before an answer is computed.
#[derive(Clone, Copy, Debug)]
pub struct Generation(u64);

/// A public answer, shared by every request it is served to.
pub type Answer = Arc<PublicAnswer>;

/// A public answer's `data`, as JSON, serialized once; the cost computing
/// it took, which every request it is served to is charged; and the body's
/// start compressed once, the first time it is served gzipped.
pub struct PublicAnswer {
    data: Box<RawValue>,
    cost: u64,
    gzipped: OnceLock<Option<CompressedStart>>,
}

impl PublicAnswer {
    pub fn new(data: Box<RawValue>, cost: u64) -> Answer {
        Arc::new(Self {
            data,
            cost,
            gzipped: OnceLock::new(),
        })
    }

    pub fn data(&self) -> &RawValue {
        &self.data
    }

    /// The actual cost of computing the answer.
    pub fn cost(&self) -> u64 {
        self.cost
    }

    /// The start of every body of this answer, which `start` writes,
    /// compressed: the first call compresses it, the others share it.
    pub fn gzipped(&self, start: impl FnOnce(&RawValue) -> String) -> Option<&CompressedStart> {
        self.gzipped
            .get_or_init(|| CompressedStart::new(start(&self.data).as_bytes()))
            .as_ref()
    }
}

#[derive(Clone)]
struct Stored {
    body: Answer,
    generation: u64,
}

impl ResponseCache {
    pub fn new(config: &CacheConfig, coherence: Coherence) -> Self {
        Self {
            cache: config.responses.then(|| {
                Cache::builder()
                    .max_capacity(config.response_capacity)
                    .time_to_live(config.response_ttl)
                    .build()
            }),
            generation: Arc::default(),
            ttl: config.response_ttl,
            coherence,
        }
    }

    /// Seconds a public response may be kept (its `max-age`).
    pub fn max_age(&self) -> u64 {
        self.ttl.as_secs()
    }

    pub fn enabled(&self) -> bool {
        self.cache.is_some()
    }

    /// The cache key of an operation, from its document's normalized
    /// digest (`documents::Parsed::normalized_digest`).
    pub fn key(
        document: &[u8; 32],
        operation_name: Option<&str>,
        variables: &Variables,
    ) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(document);
        hasher.update([0]);
        hasher.update(operation_name.unwrap_or_default().as_bytes());
        hasher.update([0]);
        // Variables is a BTreeMap: its JSON is canonical.
        hasher.update(serde_json::to_vec(variables).unwrap_or_default());
        hasher.finalize().into()
    }

    /// The generation to store an answer about to be computed with.
    pub fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::SeqCst))
    }

    /// The answer stored under `key`, unless a write has cleared the cache
    /// since it was computed.
    pub fn get(&self, key: &[u8; 32]) -> Option<Answer> {
        let current = self.generation.load(Ordering::SeqCst);
        let answer = self
            .live()?
            .get(key)
            .filter(|stored| stored.generation == current)
            .map(|stored| stored.body);
        metrics::cache("response", answer.is_some().into(), answer.is_none().into());
        answer
    }

    /// Stores an answer computed from `generation` on.
    pub fn put(&self, key: [u8; 32], body: Answer, generation: Generation) {
        if let Some(cache) = self.live() {
            let generation = generation.0;
            cache.insert(key, Stored { body, generation });
        }
    }

    /// The cache, unless this instance may be missing writes.
    fn live(&self) -> Option<&Cache<[u8; 32], Stored>> {
        self.cache.as_ref().filter(|_| self.coherence.holds())
    }

    /// After a committed catalog write: every stored answer is stale.
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(cache) = &self.cache {
            cache.invalidate_all();
        }
    }
}

/// Whether the operation `name` of `document` reads only public catalog data.
pub fn is_public(document: &ExecutableDocument, name: Option<&str>) -> bool {
    let Some(operation) = operation(document, name) else {
        return false;
    };
    operation.node.ty == OperationType::Query
        && root_fields_are_public(document, &operation.node.selection_set, 0)
        && no_private_field(document, &operation.node.selection_set, 0)
}

fn root_fields_are_public(
    document: &ExecutableDocument,
    set: &Positioned<SelectionSet>,
    depth: usize,
) -> bool {
    every_field(document, set, depth, &|field, _| {
        PUBLIC_ROOTS.contains(&field.node.name.node.as_str())
    })
}

fn no_private_field(
    document: &ExecutableDocument,
    set: &Positioned<SelectionSet>,
    depth: usize,
) -> bool {
    every_field(document, set, depth, &|field, depth| {
        !PRIVATE_FIELDS.contains(&field.node.name.node.as_str())
            && no_private_field(document, &field.node.selection_set, depth + 1)
    })
}

/// Whether `ok` holds for every field of `set`, looking through inline
/// fragments and fragment spreads (to a bounded depth).
fn every_field(
    document: &ExecutableDocument,
    set: &Positioned<SelectionSet>,
    depth: usize,
    ok: &dyn Fn(&Positioned<Field>, usize) -> bool,
) -> bool {
    depth < MAX_FRAGMENT_DEPTH
        && set.node.items.iter().all(|item| match &item.node {
            Selection::Field(field) => ok(field, depth),
            Selection::InlineFragment(inline) => {
                every_field(document, &inline.node.selection_set, depth + 1, ok)
            }
            Selection::FragmentSpread(spread) => document
                .fragments
                .get(&spread.node.fragment_name.node)
                .is_some_and(|f| every_field(document, &f.node.selection_set, depth + 1, ok)),
        })
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The document with comments, commas and insignificant whitespace dropped
/// (one space kept between two names or numbers), string literals left as
/// they are: two spellings of one operation get one cache key.
pub fn normalize(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut chars = query.chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' || c == '\r' {
                        break;
                    }
                }
                pending_space = true;
            }
            c if c.is_whitespace() || c == ',' || c == '\u{feff}' => pending_space = true,
            '"' => {
                pending_space = false;
                out.push('"');
                let block = chars.peek() == Some(&'"') && {
                    let mut look = chars.clone();
                    look.next();
                    look.peek() == Some(&'"')
                };
                if block {
                    out.push_str("\"\"");
                    chars.next();
                    chars.next();
                    let mut quotes = 0;
                    for c in chars.by_ref() {
                        out.push(c);
                        quotes = if c == '"' { quotes + 1 } else { 0 };
                        if quotes == 3 {
                            break;
                        }
                    }
                } else {
                    let mut escaped = false;
                    for c in chars.by_ref() {
                        out.push(c);
                        if escaped {
                            escaped = false;
                        } else if c == '\\' {
                            escaped = true;
                        } else if c == '"' {
                            break;
                        }
                    }
                }
            }
            c => {
                // A space matters only between two names or numbers.
                if pending_space && is_word(c) && out.chars().next_back().is_some_and(is_word) {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;
    use crate::cache::test_config;

    #[test]
    fn spellings_of_one_document_normalize_alike_but_strings_are_kept() {
        let a = "query  Q { products(first: 3, filter: {search: \"a  b\"}) { edges { cursor } } }";
        let b = "query Q {\n  # the catalog\n  products(first: 3 filter: {search: \"a  b\"}) {\n    edges { cursor }\n  }\n}";
        assert_eq!(normalize(a), normalize(b));
        assert!(normalize(a).contains("\"a  b\""));
        assert_ne!(normalize(a), normalize(&a.replace("a  b", "a b")));
        assert_eq!(
            normalize("{ x(s: \"\"\"a,  b\"\"\") }"),
            "{x(s:\"\"\"a,  b\"\"\")}"
        );
        assert_eq!(
            normalize("query Q ($n: Int) { a(n: $n) { b c } }"),
            "query Q($n:Int){a(n:$n){b c}}"
        );
    }

    #[test]
    fn an_answer_computed_before_a_write_is_not_served_after_it() {
        let cache = ResponseCache::new(&test_config(), Coherence::always());
        let key = ResponseCache::key(&[7; 32], None, &Variables::default());
        let before = cache.generation();
        cache.put(key, answer("\"fresh\""), before);
        assert_eq!(
            cache
                .get(&key)
                .map(|a| a.data().get().to_owned())
                .as_deref(),
            Some("\"fresh\"")
        );

        // An answer is computed, a write commits and clears the cache, and
        // only then is the answer stored.
        let during = cache.generation();
        cache.clear();
        cache.put(key, answer("\"stale\""), during);
        assert!(
            cache.get(&key).is_none(),
            "an answer older than the write was served"
        );

        cache.put(key, answer("\"new\""), cache.generation());
        assert_eq!(
            cache
                .get(&key)
                .map(|a| a.data().get().to_owned())
                .as_deref(),
            Some("\"new\"")
        );
    }

    fn answer(json: &str) -> Answer {
        PublicAnswer::new(RawValue::from_string(json.to_owned()).unwrap(), 1)
    }

    #[test]
    fn only_public_catalog_queries_qualify() {
        let public = [
            "{ products { edges { node { name reviews { edges { node { author { displayName } } } } } } } }",
            "query($id: ID!) { product(id: $id) { ...P } } fragment P on Product { sku averageRating }",
        ];
        for query in public {
            assert!(is_public(&parse_query(query).unwrap(), None), "{query}");
        }
        let private = [
            "{ viewer { id } }",
            "{ products { edges { node { reviews { edges { node { author { email } } } } } } } }",
            "{ product(id: \"x\") { ...A } } fragment A on Product { reviews { edges { node { author { orders { edges { cursor } } } } } } }",
            "{ products { edges { cursor } } orders { edges { cursor } } }",
            "mutation { logout(refreshToken: \"x\") }",
        ];
        for query in private {
            assert!(!is_public(&parse_query(query).unwrap(), None), "{query}");
        }
    }
}
