//! Login and registration counters shared through Redis: each hit is one
//! atomic script call (increment, and open the window on the first), so
//! attempts spread over several instances count as on one. When Redis does
//! not answer in time, this instance's own counters decide.

use std::{sync::LazyLock, time::Duration};

use redis::Script;

use super::throttle::{Count, CounterStore, MemoryCounters};
use crate::shared::Shared;

static COUNTERS: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("counters.lua")));

/// Counters on Redis, with this instance's as the fallback.
pub struct SharedCounters {
    shared: Shared,
    here: MemoryCounters,
}

impl SharedCounters {
    pub fn new(shared: Shared, longest_window: Duration) -> Self {
        Self {
            shared,
            here: MemoryCounters::new(longest_window),
        }
    }

    fn key(&self, key: &str) -> String {
        self.shared.name(&format!("limits:{key}"))
    }

    /// Runs the script on `key` in `mode`.
    async fn run(&self, key: &str, mode: &'static str, window: Duration) -> Option<Count> {
        let key = self.key(key);
        let window = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
        let (value, resets_in): (u64, u64) = self
            .shared
            .attempt("throttle", |mut redis| async move {
                COUNTERS
                    .key(key)
                    .arg(mode)
                    .arg(window)
                    .invoke_async(&mut redis)
                    .await
            })
            .await?;
        Some(Count {
            value: u32::try_from(value).unwrap_or(u32::MAX),
            resets_in: Duration::from_millis(resets_in),
        })
    }
}

#[async_trait::async_trait]
impl CounterStore for SharedCounters {
    async fn hit(&self, key: &str, window: Duration) -> Count {
        match self.run(key, "hit", window).await {
            Some(count) => count,
            None => self.here.hit(key, window).await,
        }
    }

    async fn peek(&self, key: &str) -> Count {
        match self.run(key, "peek", Duration::ZERO).await {
            Some(count) => count,
            None => self.here.peek(key).await,
        }
    }

    /// Forgets `key` on Redis and here (where failures counted during an
    /// outage may linger).
    async fn reset(&self, key: &str) {
        let shared = self.key(key);
        self.shared
            .attempt("throttle", |mut redis| async move {
                redis::cmd("DEL").arg(shared).exec_async(&mut redis).await
            })
            .await;
        self.here.reset(key).await;
    }
}
