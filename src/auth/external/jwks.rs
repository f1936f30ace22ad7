//! The provider's signing keys, by `kid`. The set is fetched on first use
//! and again when a token names a `kid` it does not hold (the provider
//! rotated its keys) or when it is an hour old, never more often than once
//! per refresh interval: concurrent requests that need a fetch wait for the
//! one in flight instead of starting their own. Keys that are not for
//! signatures, and symmetric keys, are ignored: a public key set can never
//! make an HS256 token valid.

use std::{
    collections::HashMap,
    sync::{Arc, PoisonError, RwLock},
    time::{Duration, Instant},
};

use jsonwebtoken::{
    Algorithm, DecodingKey,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse},
};
use tokio::sync::Mutex;

use super::fetch::Fetcher;

/// Keys older than this are fetched anew when next used (a key the provider
/// withdrew stops verifying within the hour); until the new set arrives,
/// and when the provider cannot be reached, the old keys keep verifying.
const MAX_AGE: Duration = Duration::from_secs(3600);

/// A signing key and the algorithms it may verify.
pub struct VerifyingKey {
    pub key: DecodingKey,
    pub algorithms: Vec<Algorithm>,
}

/// What is known of a `kid`.
pub enum Lookup {
    Found(Arc<VerifyingKey>),
    /// The provider's current set has no such key.
    Unknown,
    /// The set could not be fetched, so whether the key exists is unknown.
    Unavailable,
}

#[derive(Default)]
struct Fetches {
    /// When the set was last asked for, successfully or not.
    last_attempt: Option<Instant>,
    /// When the keys held were fetched.
    fetched_at: Option<Instant>,
    last_failed: bool,
}

/// The cached key set of one provider.
pub struct Jwks {
    fetcher: Fetcher,
    interval: Duration,
    keys: RwLock<Arc<HashMap<String, Arc<VerifyingKey>>>>,
    fetches: Mutex<Fetches>,
}

impl Jwks {
    pub fn new(fetcher: Fetcher, interval: Duration) -> Self {
        Self {
            fetcher,
            interval,
            keys: RwLock::default(),
            fetches: Mutex::default(),
        }
    }

    fn held(&self, kid: &str) -> Option<Arc<VerifyingKey>> {
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        keys.get(kid).cloned()
    }

    /// The key named `kid`, fetching the set when needed and allowed.
    pub async fn key(&self, kid: &str) -> Lookup {
        if let Some(key) = self.held(kid) {
            // A fresh set, or an old one being fetched anew by another request.
            let Ok(mut fetches) = self.fetches.try_lock() else {
                return Lookup::Found(key);
            };
            if fetches.fetched_at.is_some_and(|at| at.elapsed() >= MAX_AGE) {
                self.refresh(&mut fetches).await;
            }
            return Lookup::Found(self.held(kid).unwrap_or(key));
        }
        let mut fetches = self.fetches.lock().await;
        // Another request may have fetched the set while this one waited.
        if self.held(kid).is_none() {
            self.refresh(&mut fetches).await;
        }
        match self.held(kid) {
            Some(key) => Lookup::Found(key),
            None if fetches.last_failed => Lookup::Unavailable,
            None => Lookup::Unknown,
        }
    }

    /// Fetches the set, unless it was asked for less than an interval ago.
    async fn refresh(&self, fetches: &mut Fetches) {
        if fetches
            .last_attempt
            .is_some_and(|at| at.elapsed() < self.interval)
        {
            return;
        }
        fetches.last_attempt = Some(Instant::now());
        match self.fetcher.get().await.and_then(|body| parse(&body)) {
            Ok(keys) => {
                tracing::info!(keys = keys.len(), "fetched the identity provider's keys");
                *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
                fetches.fetched_at = Some(Instant::now());
                fetches.last_failed = false;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot fetch the identity provider's keys");
                fetches.last_failed = true;
            }
        }
    }
}

/// The usable keys of a JWKS document. A key this server cannot use (an
/// encryption key, an unknown type, no `kid`) is skipped, not an error.
fn parse(body: &[u8]) -> anyhow::Result<HashMap<String, Arc<VerifyingKey>>> {
    #[derive(serde::Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let document: Document = serde_json::from_slice(body)?;
    Ok(document
        .keys
        .into_iter()
        .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            Some((kid, Arc::new(verifying_key(&jwk)?)))
        })
        .collect())
}

fn verifying_key(jwk: &Jwk) -> Option<VerifyingKey> {
    if matches!(&jwk.common.public_key_use, Some(u) if *u != PublicKeyUse::Signature) {
        return None;
    }
    let by_type = algorithms_of(&jwk.algorithm);
    // A key that names its algorithm verifies that one only.
    let algorithms = match jwk.common.key_algorithm {
        Some(named) => by_type
            .into_iter()
            .filter(|a| Some(*a) == algorithm(named))
            .collect(),
        None => by_type,
    };
    if algorithms.is_empty() {
        return None;
    }
    Some(VerifyingKey {
        key: DecodingKey::from_jwk(jwk).ok()?,
        algorithms,
    })
}

/// The asymmetric algorithms a key of this type and curve can verify.
fn algorithms_of(parameters: &AlgorithmParameters) -> Vec<Algorithm> {
    use Algorithm::*;
    match parameters {
        AlgorithmParameters::RSA(_) => vec![RS256, RS384, RS512, PS256, PS384, PS512],
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => vec![ES256],
            EllipticCurve::P384 => vec![ES384],
            _ => vec![],
        },
        AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
            vec![EdDSA]
        }
        _ => vec![],
    }
}

fn algorithm(named: KeyAlgorithm) -> Option<Algorithm> {
    use Algorithm::*;
    Some(match named {
        KeyAlgorithm::RS256 => RS256,
        KeyAlgorithm::RS384 => RS384,
        KeyAlgorithm::RS512 => RS512,
        KeyAlgorithm::PS256 => PS256,
        KeyAlgorithm::PS384 => PS384,
        KeyAlgorithm::PS512 => PS512,
        KeyAlgorithm::ES256 => ES256,
        KeyAlgorithm::ES384 => ES384,
        KeyAlgorithm::EdDSA => EdDSA,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_encryption_and_unnamed_keys_are_skipped() {
        let body = serde_json::json!({ "keys": [
            { "kty": "oct", "kid": "hs", "k": "c2VjcmV0", "alg": "HS256" },
            { "kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB" },
            { "kty": "RSA", "n": "AQAB", "e": "AQAB" },
            { "kty": "RSA", "kid": "rs", "alg": "RS256", "n": "AQAB", "e": "AQAB" },
            { "kty": "unknown", "kid": "x" },
        ]});
        let keys = parse(body.to_string().as_bytes()).unwrap();
        assert_eq!(keys.keys().collect::<Vec<_>>(), vec!["rs"]);
        assert_eq!(keys["rs"].algorithms, vec![Algorithm::RS256]);
    }
}
