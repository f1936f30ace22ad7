//! Cost budgets shared through Redis: each take and give-back is one script
//! call, atomic on Redis, so a client spreading its operations over several
//! instances drains one bucket. When Redis does not answer in time, this
//! instance's own buckets decide (per instance until Redis is back).

use std::sync::LazyLock;

use redis::Script;

use super::budget::{BucketStore, BudgetConfig, MemoryBuckets, Taken, ThrottleStatus};
use crate::shared::Shared;

static BUDGET: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("budget.lua")));

/// Buckets on Redis, with this instance's as the fallback.
pub struct SharedBuckets {
    shared: Shared,
    here: MemoryBuckets,
}

impl SharedBuckets {
    pub fn new(shared: Shared, config: BudgetConfig) -> Self {
        Self {
            shared,
            here: MemoryBuckets::new(config),
        }
    }

    /// Runs the script on `client`'s bucket: (taken, available, retry after).
    async fn run(
        &self,
        client: &str,
        points: u64,
        config: BudgetConfig,
        mode: &'static str,
    ) -> Option<(u64, u64, u64)> {
        let key = self.shared.name(&format!("limits:budget:{client}"));
        self.shared
            .attempt("budget", |mut redis| async move {
                BUDGET
                    .key(key)
                    .arg(config.size)
                    .arg(config.restore_rate)
                    .arg(points)
                    .arg(mode)
                    .invoke_async(&mut redis)
                    .await
            })
            .await
    }
}

fn status(available: u64, config: BudgetConfig) -> ThrottleStatus {
    ThrottleStatus {
        maximum_available: config.size,
        currently_available: available,
        restore_rate: config.restore_rate,
    }
}

#[async_trait::async_trait]
impl BucketStore for SharedBuckets {
    async fn take(&self, client: &str, points: u64, config: BudgetConfig) -> Taken {
        match self.run(client, points, config, "take").await {
            Some((1, available, _)) => Taken::Granted(status(available, config)),
            Some((_, available, retry_after)) => Taken::Refused {
                retry_after,
                status: status(available, config),
            },
            None => self.here.take(client, points, config).await,
        }
    }

    async fn give_back(&self, client: &str, points: u64, config: BudgetConfig) -> ThrottleStatus {
        match self.run(client, points, config, "give").await {
            Some((_, available, _)) => status(available, config),
            None => self.here.give_back(client, points, config).await,
        }
    }
}
