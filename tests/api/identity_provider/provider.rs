//! A stand-in identity provider: its key set served over HTTP by the test
//! itself (counting the fetches), and tokens signed with the fixed test keys.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use axum::{Json, Router, extract::State, routing::get};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use super::keys::{EC_A, EcKey, RSA_DER_LINES, RSA_E, RSA_N};

pub const ISSUER: &str = "https://idp.test/";
pub const AUDIENCE: &str = "tollgate-api";

/// A signing key of the provider, named by its `kid`.
pub struct SigningKey {
    pub kid: &'static str,
    alg: Algorithm,
    private_der: Vec<u8>,
    jwk: Value,
}

impl SigningKey {
    pub fn ec(kid: &'static str, key: &EcKey) -> Self {
        Self {
            kid,
            alg: Algorithm::ES256,
            private_der: STANDARD.decode(key.private_der).unwrap(),
            jwk: json!({ "kty": "EC", "crv": "P-256", "use": "sig", "kid": kid,
                         "x": key.x, "y": key.y }),
        }
    }

    pub fn rsa(kid: &'static str) -> Self {
        Self {
            kid,
            alg: Algorithm::RS256,
            private_der: STANDARD.decode(RSA_DER_LINES.concat()).unwrap(),
            jwk: json!({ "kty": "RSA", "alg": "RS256", "kid": kid, "n": RSA_N, "e": RSA_E }),
        }
    }

    pub fn jwk(&self) -> Value {
        self.jwk.clone()
    }

    /// A token with these claims, signed with this key under `alg`.
    pub fn sign_as(&self, alg: Algorithm, claims: &Value) -> String {
        let mut header = Header::new(alg);
        header.kid = Some(self.kid.to_owned());
        let key = match self.alg {
            Algorithm::RS256 => EncodingKey::from_rsa_der(&self.private_der),
            _ => EncodingKey::from_ec_der(&self.private_der),
        };
        encode(&header, claims, &key).unwrap()
    }

    pub fn sign(&self, claims: &Value) -> String {
        self.sign_as(self.alg, claims)
    }
}

/// The claims of a valid token of the provider for `sub`; `extra` adds to or
/// replaces them.
pub fn claims(sub: &str, email: &str, extra: Value) -> Value {
    let now = Utc::now().timestamp();
    let mut claims = json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "email": email,
        "iat": now, "nbf": now, "exp": now + 300,
    });
    for (name, value) in extra.as_object().unwrap() {
        claims[name] = value.clone();
    }
    claims
}

/// The provider's JWKS endpoint.
#[derive(Clone)]
pub struct Provider {
    keys: Arc<Mutex<Vec<Value>>>,
    hits: Arc<AtomicUsize>,
    pub url: String,
}

impl Provider {
    /// Serves a key set holding `keys`.
    pub async fn serve(keys: &[&SigningKey]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let provider = Self {
            keys: Arc::new(Mutex::new(keys.iter().map(|k| k.jwk()).collect())),
            hits: Arc::default(),
            url: format!(
                "http://{}/.well-known/jwks.json",
                listener.local_addr().unwrap()
            ),
        };
        let router = Router::new()
            .route("/.well-known/jwks.json", get(jwks))
            .with_state(provider.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        provider
    }

    /// Replaces the key set (the provider rotated its keys).
    pub fn publish(&self, keys: &[&SigningKey]) {
        *self.keys.lock().unwrap() = keys.iter().map(|k| k.jwk()).collect();
    }

    /// How many times the key set was fetched.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn jwks(State(provider): State<Provider>) -> Json<Value> {
    provider.hits.fetch_add(1, Ordering::SeqCst);
    let keys = provider.keys.lock().unwrap().clone();
    Json(json!({ "keys": keys }))
}

/// The default key of the provider.
pub fn key_a() -> SigningKey {
    SigningKey::ec("key-a", &EC_A)
}
