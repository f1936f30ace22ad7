//! Cache sizes and lifetimes; each cache can be switched off.

use std::time::Duration;

use super::{
    ConfigArgs, ConfigError, defaults,
    parse::{parse_bool, parse_positive},
};

/// Public responses kept at most: each is one anonymous catalog operation
/// with its variables, so a few thousand cover a shop's public pages.
pub const RESPONSE_CACHE_CAPACITY: u64 = 10_000;
/// Longest document whose parse is cached (the default `MAX_DOCUMENT_BYTES`):
/// longer ones are parsed every time rather than fill the cache.
pub const MAX_CACHED_DOCUMENT_BYTES: usize = 16 * 1024;

/// Cache sizes and lifetimes; each cache can be switched off.
#[derive(Clone, Debug)]
pub struct CacheConfig {
    pub entities: bool,
    pub entity_ttl: Duration,
    pub entity_capacity: u64,
    pub responses: bool,
    pub response_ttl: Duration,
    pub response_capacity: u64,
    pub documents_capacity: u64,
    /// Longer documents are parsed every time rather than cached.
    pub max_cached_document_len: usize,
}

impl CacheConfig {
    pub fn from_args(args: &ConfigArgs) -> Result<Self, ConfigError> {
        Ok(Self {
            entities: parse_bool(
                "ENTITY_CACHE",
                args.entity_cache.as_deref(),
                defaults::ENTITY_CACHE,
            )?,
            entity_ttl: Duration::from_secs(parse_positive(
                "ENTITY_CACHE_TTL_SECS",
                &args.entity_cache_ttl_secs,
                defaults::ENTITY_CACHE_TTL_SECS,
            )?),
            entity_capacity: parse_positive(
                "ENTITY_CACHE_CAPACITY",
                &args.entity_cache_capacity,
                defaults::ENTITY_CACHE_CAPACITY,
            )?,
            responses: parse_bool(
                "RESPONSE_CACHE",
                args.response_cache.as_deref(),
                defaults::RESPONSE_CACHE,
            )?,
            response_ttl: Duration::from_secs(parse_positive(
                "RESPONSE_CACHE_TTL_SECS",
                &args.response_cache_ttl_secs,
                defaults::RESPONSE_CACHE_TTL_SECS,
            )?),
            response_capacity: RESPONSE_CACHE_CAPACITY,
            documents_capacity: parse_positive(
                "DOCUMENT_CACHE_CAPACITY",
                &args.document_cache_capacity,
                defaults::DOCUMENT_CACHE_CAPACITY,
            )?,
            max_cached_document_len: MAX_CACHED_DOCUMENT_BYTES,
        })
    }
}
