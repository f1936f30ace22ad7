//! The per-IP request rate shared through Redis: one script call per
//! request, on Redis's clock, with the same GCRA, burst and `Retry-After`
//! as the in-process limiter, so a client spreading its requests over
//! several instances gets the rate it would get from one.
//!
//! It stays a call of its own, apart from the cost budget's: the rate is
//! checked before a request's body is read, on every route. Folding it into
//! the budget's script would save a round trip per GraphQL operation, but a
//! client over its rate would then have its documents read and parsed
//! before being refused.

use std::{net::IpAddr, sync::LazyLock};

use redis::Script;

use crate::shared::Shared;

static RATE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("rate.lua")));

/// The request rates of all clients, on Redis.
#[derive(Clone)]
pub struct SharedRate {
    shared: Shared,
    /// Microseconds between two requests at the steady rate.
    interval: f64,
    /// How far ahead of the steady rate a burst may run, in microseconds.
    tolerance: f64,
}

impl SharedRate {
    pub fn new(shared: Shared, per_second: u32, burst: u32) -> Self {
        let interval = 1_000_000.0 / f64::from(per_second.max(1));
        Self {
            shared,
            interval,
            tolerance: interval * f64::from(burst.max(1) - 1),
        }
    }

    /// `Some(None)` when `ip` may go on, `Some(Some(seconds))` to wait, and
    /// `None` when Redis did not answer (the caller decides alone).
    pub async fn check(&self, ip: IpAddr) -> Option<Option<u64>> {
        let key = self.shared.name(&format!("limits:rate:{ip}"));
        let (interval, tolerance) = (self.interval, self.tolerance);
        let wait: u64 = self
            .shared
            .attempt("rate_limit", |mut redis| async move {
                RATE.key(key)
                    .arg(interval)
                    .arg(tolerance)
                    .invoke_async(&mut redis)
                    .await
            })
            .await?;
        Some((wait > 0).then(|| wait.div_ceil(1_000_000).max(1)))
    }
}
