//! Request rate limit per client IP (GCRA, from governor). With
//! `REDIS_URL` the rate is shared by every instance ([`SharedRate`]); a
//! request Redis does not answer in time is judged by this instance alone.
//! The middleware that applies it is `app::rate_limit`; it leaves a GraphQL
//! request's count to its first operation's budget ([`RateDue`]).

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};

use super::rate::SharedRate;
use crate::shared::Shared;

/// Checks between two sweeps of idle clients from the limiter's memory.
const SWEEP_EVERY: u64 = 10_000;

/// The per-IP limiter.
#[derive(Clone)]
pub struct IpRateLimit {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    checks: Arc<AtomicU64>,
    /// The rate shared with the other instances, with `REDIS_URL`.
    shared: Option<SharedRate>,
}

impl IpRateLimit {
    /// `per_second` with bursts of `burst`; shared through `shared` when given.
    pub fn new(per_second: u32, burst: u32, shared: Option<&Shared>) -> Self {
        let per_second = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(per_second);
        Self {
            limiter: Arc::new(RateLimiter::keyed(
                Quota::per_second(per_second).allow_burst(burst),
            )),
            checks: Arc::new(AtomicU64::new(0)),
            shared: shared
                .map(|shared| SharedRate::new(shared.clone(), per_second.get(), burst.get())),
        }
    }

    /// Whether the rate is shared with other instances.
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// `None` when `ip` may go on, else the seconds to wait: as all
    /// instances count, or this one alone when Redis does not answer.
    pub async fn check(&self, ip: IpAddr) -> Option<u64> {
        if let Some(shared) = &self.shared
            && let Some(decision) = shared.check(ip).await
        {
            return decision;
        }
        self.check_here(ip)
    }

    /// `None` when `ip` may go on, else the seconds to wait, counting the
    /// requests of this instance.
    pub fn check_here(&self, ip: IpAddr) -> Option<u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&ip).err().map(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            wait.as_secs_f64().ceil().max(1.0) as u64
        })
    }
}

/// A request's count against the shared rate, left for the budget's script
/// to make with its first operation's cost, in the same round trip. Whoever
/// claims it counts it; the middleware counts a request nobody claimed.
#[derive(Clone)]
pub struct RateDue {
    limit: IpRateLimit,
    ip: IpAddr,
    due: Arc<AtomicBool>,
}

impl RateDue {
    pub fn new(limit: IpRateLimit, ip: IpAddr) -> Self {
        Self {
            limit,
            ip,
            due: Arc::new(AtomicBool::new(true)),
        }
    }

    /// The count to make, the first time only.
    pub fn claim(&self) -> Option<RateCount<'_>> {
        self.due
            .swap(false, Ordering::AcqRel)
            .then_some(RateCount(self))
    }

    /// Whether nobody has claimed the count.
    pub fn is_due(&self) -> bool {
        self.due.load(Ordering::Acquire)
    }

    /// Counts the request unless it has been: `None` when it may go on (or
    /// was counted already), else the seconds to wait.
    pub async fn count(&self) -> Option<u64> {
        if !self.due.swap(false, Ordering::AcqRel) {
            return None;
        }
        self.limit.check(self.ip).await
    }
}

/// A claimed count of a request against its client's rate.
pub struct RateCount<'a>(&'a RateDue);

impl RateCount<'_> {
    /// Adds the count to a budget script call, with the rate shared.
    pub fn count_in(&self, invocation: &mut redis::ScriptInvocation<'_>) {
        if let Some(shared) = &self.0.limit.shared {
            shared.count_in(self.0.ip, invocation);
        }
    }

    /// Counts the request on this instance alone: `None` when it may go
    /// on, else the seconds to wait.
    pub fn here(&self) -> Option<u64> {
        self.0.limit.check_here(self.0.ip)
    }
}
