//! Throttling of logins (failures per account and per client IP) and of
//! registrations (per client IP), in fixed windows. Counters live behind
//! [`CounterStore`]; the in-process store is the default, and with
//! `REDIS_URL` a shared store (Redis) takes its place so that
//! several instances count together.

use std::{
    net::IpAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use moka::future::Cache;

use super::shared_counters::SharedCounters;
use crate::{
    config::ThrottleConfig,
    error::{AppError, Result},
    shared::Shared,
    telemetry::metrics,
};

/// A counter's value in its current window.
#[derive(Clone, Copy, Debug)]
pub struct Count {
    pub value: u32,
    /// Time until the window ends and the counter starts again from zero.
    pub resets_in: Duration,
}

/// Fixed-window counters by key.
#[async_trait::async_trait]
pub trait CounterStore: Send + Sync {
    /// Adds one to `key`, opening a window of `window` if none is open.
    async fn hit(&self, key: &str, window: Duration) -> Count;
    /// The current count of `key`.
    async fn peek(&self, key: &str) -> Count;
    /// Forgets `key`.
    async fn reset(&self, key: &str);
}

/// Accounts and IPs whose counts are kept at most: past it the least used
/// are forgotten, which starts them from zero.
const MAX_COUNTERS: u64 = 1_000_000;

/// Counters in this process.
pub struct MemoryCounters {
    /// Key → (count, end of its window).
    cache: Cache<String, (u32, Instant)>,
}

impl MemoryCounters {
    pub fn new(longest_window: Duration) -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(MAX_COUNTERS)
                .time_to_live(longest_window)
                .build(),
        }
    }
}

fn count((value, ends): (u32, Instant), now: Instant) -> Count {
    if ends <= now {
        Count {
            value: 0,
            resets_in: Duration::ZERO,
        }
    } else {
        Count {
            value,
            resets_in: ends - now,
        }
    }
}

#[async_trait::async_trait]
impl CounterStore for MemoryCounters {
    async fn hit(&self, key: &str, window: Duration) -> Count {
        let now = Instant::now();
        let entry = self
            .cache
            .entry(key.to_owned())
            .and_upsert_with(|current| {
                let next = match current.map(|e| *e.value()) {
                    Some((value, ends)) if ends > now => (value.saturating_add(1), ends),
                    _ => (1, now + window),
                };
                std::future::ready(next)
            })
            .await;
        count(entry.into_value(), now)
    }

    async fn peek(&self, key: &str) -> Count {
        let now = Instant::now();
        match self.cache.get(key).await {
            Some(entry) => count(entry, now),
            None => Count {
                value: 0,
                resets_in: Duration::ZERO,
            },
        }
    }

    async fn reset(&self, key: &str) {
        self.cache.invalidate(key).await;
    }
}

/// The login and registration limits.
#[derive(Clone)]
pub struct Throttle {
    store: Arc<dyn CounterStore>,
    config: ThrottleConfig,
}

/// RATE_LIMITED until `count` resets, counted as a refusal for `reason`.
fn limited(reason: &'static str, count: Count) -> AppError {
    metrics::refusal(reason);
    AppError::RateLimited {
        retry_after: count.resets_in.as_secs().max(1),
    }
}

impl Throttle {
    pub fn new(store: Arc<dyn CounterStore>, config: ThrottleConfig) -> Self {
        Self { store, config }
    }

    /// In-process counters.
    pub fn in_memory(config: ThrottleConfig) -> Self {
        let longest = config.login_window.max(config.registration_window);
        Self::new(Arc::new(MemoryCounters::new(longest)), config)
    }

    /// Counters shared by every instance through `shared` when given, else
    /// in-process ones.
    pub fn for_instance(config: ThrottleConfig, shared: Option<&Shared>) -> Self {
        let Some(shared) = shared else {
            return Self::in_memory(config);
        };
        let longest = config.login_window.max(config.registration_window);
        Self::new(
            Arc::new(SharedCounters::new(shared.clone(), longest)),
            config,
        )
    }

    fn account_key(email: &str) -> String {
        format!("login:account:{email}")
    }

    fn ip_key(prefix: &str, ip: IpAddr) -> String {
        format!("{prefix}:ip:{ip}")
    }

    /// Refuses a login attempt while the account or the IP has too many
    /// failures. Both counts are read at once (on Redis, in parallel).
    pub async fn check_login(&self, email: &str, ip: IpAddr) -> Result<()> {
        let (account_key, ip_key) = (Self::account_key(email), Self::ip_key("login", ip));
        let (account, by_ip) =
            tokio::join!(self.store.peek(&account_key), self.store.peek(&ip_key));
        if account.value >= self.config.login_failures_per_account {
            return Err(limited("login", account));
        }
        if by_ip.value >= self.config.login_failures_per_ip {
            return Err(limited("login", by_ip));
        }
        Ok(())
    }

    pub async fn login_failed(&self, email: &str, ip: IpAddr) {
        let window = self.config.login_window;
        let (account_key, ip_key) = (Self::account_key(email), Self::ip_key("login", ip));
        tokio::join!(
            self.store.hit(&account_key, window),
            self.store.hit(&ip_key, window)
        );
    }

    /// A success clears the account's failures (not the IP's).
    pub async fn login_succeeded(&self, email: &str) {
        self.store.reset(&Self::account_key(email)).await;
    }

    /// Counts a registration attempt, refusing it over the hourly limit.
    pub async fn register(&self, ip: IpAddr) -> Result<()> {
        let count = self
            .store
            .hit(
                &Self::ip_key("register", ip),
                self.config.registration_window,
            )
            .await;
        if count.value > self.config.registrations_per_ip {
            return Err(limited("registration", count));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_window_counts_hits_and_ends() {
        let store = MemoryCounters::new(Duration::from_secs(60));
        for expected in 1..=3 {
            assert_eq!(
                store.hit("k", Duration::from_millis(200)).await.value,
                expected
            );
        }
        assert_eq!(store.peek("k").await.value, 3);
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(store.peek("k").await.value, 0);
        assert_eq!(store.hit("k", Duration::from_millis(200)).await.value, 1);
        store.reset("k").await;
        assert_eq!(store.peek("k").await.value, 0);
    }
}
