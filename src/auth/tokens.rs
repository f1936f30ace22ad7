//! Access tokens: short-lived HS256 JWTs signed by the current key of a key
//! set, each key named by a `kid` so that keys can rotate (the current key
//! signs; previous keys still verify). Only HS256 is accepted, and `exp`,
//! `nbf`, `iss`, `aud` and the token type are always checked.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Role;
use crate::{
    config::{Secret, TokenConfig},
    digest::sha256_hex,
};

/// The `typ` claim of access tokens, so no other token can pass for one.
const ACCESS: &str = "access";
/// Tolerated clock skew when checking `exp` and `nbf`.
const LEEWAY_SECS: u64 = 5;

/// What an access token says.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user.
    pub sub: Uuid,
    /// The user's role when the token was issued.
    pub role: Role,
    /// The refresh-token family (session) the token belongs to.
    pub sid: Uuid,
    pub typ: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: Uuid,
}

struct Key {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Key {
    fn new(secret: &[u8]) -> Self {
        let mut kid = sha256_hex(secret);
        kid.truncate(16);
        Self {
            kid,
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }
}

/// The signing key and the keys that still verify.
pub struct KeySet {
    current: Key,
    previous: Vec<Key>,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl KeySet {
    /// Builds the key set; without a configured secret (development only) an
    /// ephemeral one is made, so tokens do not survive a restart.
    pub fn new(config: &TokenConfig) -> Self {
        let current = match &config.secret {
            Some(secret) => Key::new(secret.expose().as_bytes()),
            None => {
                tracing::warn!(
                    "JWT_SECRET is not set: using an ephemeral key; tokens end with this process"
                );
                let mut bytes = [0u8; 32];
                rand::rng().fill(&mut bytes);
                Key::new(&bytes)
            }
        };
        let previous = config
            .previous_secrets
            .iter()
            .map(Secret::expose)
            .map(|s| Key::new(s.as_bytes()))
            .collect();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        Self {
            current,
            previous,
            validation,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            ttl: config.access_ttl,
        }
    }

    /// Lifetime of new access tokens.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Signs an access token for `user` in session `sid`.
    pub fn issue(&self, user: Uuid, role: Role, sid: Uuid) -> anyhow::Result<String> {
        let now = Utc::now().timestamp();
        let claims = AccessClaims {
            sub: user,
            role,
            sid,
            typ: ACCESS.to_owned(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + self.ttl.as_secs() as i64,
            jti: Uuid::now_v7(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.current.kid.clone());
        Ok(encode(&header, &claims, &self.current.encoding)?)
    }

    /// The claims of a valid access token; `None` for anything else: a bad
    /// signature, an unknown `kid`, another algorithm, a token that expired or
    /// is not valid yet, another issuer or audience, another token type.
    pub fn verify(&self, token: &str) -> Option<AccessClaims> {
        let header = decode_header(token).ok()?;
        if header.alg != Algorithm::HS256 {
            return None;
        }
        let kid = header.kid?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.kid == kid)?;
        let claims = decode::<AccessClaims>(token, &key.decoding, &self.validation)
            .ok()?
            .claims;
        (claims.typ == ACCESS).then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(secret: &str, previous: &[&str]) -> TokenConfig {
        TokenConfig {
            secret: Some(Secret::new(secret)),
            previous_secrets: previous.iter().map(|s| Secret::new(*s)).collect(),
            issuer: "tollgate".into(),
            audience: "tollgate-api".into(),
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(86_400),
        }
    }

    #[test]
    fn a_token_round_trips_with_its_claims() {
        let keys = KeySet::new(&config("a-secret-of-at-least-32-bytes-long!", &[]));
        let (user, sid) = (Uuid::now_v7(), Uuid::now_v7());
        let token = keys.issue(user, Role::Staff, sid).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!(
            (claims.sub, claims.role, claims.sid),
            (user, Role::Staff, sid)
        );
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn a_token_of_a_previous_key_verifies_and_one_of_an_unknown_key_does_not() {
        let old = KeySet::new(&config("the-old-secret-of-at-least-32-bytes", &[]));
        let token = old
            .issue(Uuid::now_v7(), Role::Customer, Uuid::now_v7())
            .unwrap();
        let rotated = KeySet::new(&config(
            "the-new-secret-of-at-least-32-bytes",
            &["the-old-secret-of-at-least-32-bytes"],
        ));
        assert!(rotated.verify(&token).is_some());
        let forgotten = KeySet::new(&config("the-new-secret-of-at-least-32-bytes", &[]));
        assert!(forgotten.verify(&token).is_none());
    }
}
