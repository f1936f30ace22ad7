//! The per-IP request rate shared through Redis, on Redis's clock, with the
//! same GCRA, burst and `Retry-After` as the in-process limiter, so a client
//! spreading its requests over several instances gets the rate it would get
//! from one.
//!
//! A GraphQL request is counted by the script that takes its first
//! operation's cost from the client's budget (`budget.lua`), in the same
//! round trip, before any operation runs (its body has been read and its
//! documents parsed by then); a request no operation of which reached the
//! budget (refused before, a WebSocket handshake, or dropped unanswered),
//! and a request on any other route, by a script call of its own
//! (`rate.lua`).

use std::{net::IpAddr, sync::LazyLock};

use redis::{Script, ScriptInvocation};

use crate::shared::Shared;

/// The GCRA both scripts count with.
pub const GCRA: &str = include_str!("gcra.lua");

static RATE: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{GCRA}{}", include_str!("rate.lua"))));

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

    /// Adds the key and arguments of `ip`'s count to a budget script call
    /// (KEYS[2], ARGV[5] and ARGV[6] of `budget.lua`).
    pub fn count_in(&self, ip: IpAddr, invocation: &mut ScriptInvocation<'_>) {
        invocation.key(self.key(ip));
        invocation.arg(self.interval).arg(self.tolerance);
    }

    fn key(&self, ip: IpAddr) -> String {
        self.shared.name(&format!("limits:rate:{ip}"))
    }

    /// `Some(None)` when `ip` may go on, `Some(Some(seconds))` to wait, and
    /// `None` when Redis did not answer (the caller decides alone).
    pub async fn check(&self, ip: IpAddr) -> Option<Option<u64>> {
        let key = self.key(ip);
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
        Some(waited(wait))
    }
}

/// The seconds to wait, from the microseconds a script answered (0: none).
pub fn waited(micros: u64) -> Option<u64> {
    (micros > 0).then(|| micros.div_ceil(1_000_000).max(1))
}
