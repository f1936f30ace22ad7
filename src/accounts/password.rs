//! Password hashing with Argon2id (OWASP parameters), off the async runtime
//! and behind a semaphore sized to the cores, so a login storm cannot starve
//! the threads that serve queries.

use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher as _, PasswordVerifier as _},
};
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::{
    error::{AppError, Result},
    telemetry::traces::Traced,
};

/// m = 19 MiB, t = 2, p = 1: OWASP's Argon2id recommendation.
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

fn argon2() -> Result<Argon2<'static>> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .map_err(|e| AppError::Internal(anyhow!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes and verifies passwords on the blocking pool, a bounded number at a time.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when an email is
    /// unknown so that the answer takes as long as for a known one. Made at
    /// start-up: made lazily, the first unknown email would take twice as long.
    dummy: Arc<str>,
}

impl Default for Passwords {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let dummy = argon2()
            .and_then(|a| {
                a.hash_password(Uuid::new_v4().to_string().as_bytes())
                    .map_err(|e| AppError::Internal(anyhow!("failed to hash a password: {e}")))
            })
            .map(|h| h.to_string())
            .unwrap_or_default();
        Self {
            permits: Arc::new(Semaphore::new(cores)),
            dummy: dummy.into(),
        }
    }
}

impl Passwords {
    /// The PHC string of `password` with a fresh random salt.
    pub async fn hash(&self, password: String) -> Result<String> {
        self.run(move || {
            let hash = argon2()?
                .hash_password(password.as_bytes())
                .map_err(|e| AppError::Internal(anyhow!("failed to hash a password: {e}")))?;
            Ok(hash.to_string())
        })
        .await
    }

    /// Whether `password` matches the PHC string `hash`.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool> {
        self.run(move || {
            Ok(argon2()?
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok())
        })
        .await
    }

    /// Verifies `password` against `hash`, or against a dummy hash when there
    /// is none (unknown account), taking the same time either way.
    pub async fn verify_or_dummy(&self, password: String, hash: Option<String>) -> Result<bool> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy.to_string());
        Ok(self.verify(password, hash).await? && known)
    }

    async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .context("password hashing is shut down")?;
        let traced = Traced::child("argon2id", Vec::new());
        let done = tokio::task::spawn_blocking(work)
            .await
            .context("password hashing task failed");
        traced.end();
        done?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let passwords = Passwords::default();
        let hash = passwords
            .hash("correct horse battery".into())
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            passwords
                .verify("correct horse battery".into(), hash.clone())
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("wrong horse battery".into(), hash)
                .await
                .unwrap()
        );
    }
}
