//! Cost budgets shared through Redis. Each take is one script call, atomic
//! on Redis, so a client spreading its operations over several instances
//! drains one bucket; it counts the request against its client's rate too,
//! when the request's count is due (`RateDue`). What operations did not
//! spend goes back a moment later (`GIVE_BACK_AFTER`), everything this
//! instance owes by then in one call per `GIVE_BACK_BATCH` clients, rather
//! than in a round trip of each operation's own. When Redis does not answer
//! in time, this instance's own buckets decide (per instance until Redis is
//! back).

use std::{
    collections::HashMap,
    mem,
    sync::{Arc, LazyLock, Mutex},
    time::Duration,
};

use redis::Script;

use super::{
    budget::{BucketStore, BudgetConfig, MemoryBuckets, Taken, ThrottleStatus},
    ip_rate::RateCount,
    rate::{GCRA, waited},
};
use crate::shared::Shared;

static BUDGET: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{GCRA}{}", include_str!("budget.lua"))));

/// How long points owed wait to be given back with the others owed by then:
/// until then a client's bucket holds less than it should. Those owed when
/// the instance stops are not given back (the buckets refill at their
/// rate).
const GIVE_BACK_AFTER: Duration = Duration::from_millis(50);

/// Buckets given back to in one script call at the most.
const GIVE_BACK_BATCH: usize = 256;

/// Buckets on Redis, with this instance's as the fallback.
pub struct SharedBuckets {
    shared: Shared,
    here: Arc<MemoryBuckets>,
    /// Points owed to clients' buckets, to be given back together.
    owed: Arc<Mutex<Owed>>,
    config: BudgetConfig,
}

impl SharedBuckets {
    pub fn new(shared: Shared, config: BudgetConfig) -> Self {
        Self {
            shared,
            here: Arc::new(MemoryBuckets::new(config)),
            owed: Arc::default(),
            config,
        }
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
    async fn take(&self, client: &str, points: u64, rate: Option<&RateCount<'_>>) -> Taken {
        let config = self.config;
        let mut invocation = BUDGET.key(self.shared.name(&format!("limits:budget:{client}")));
        invocation
            .arg(config.size)
            .arg(config.restore_rate)
            .arg("take")
            .arg(points);
        if let Some(rate) = rate {
            rate.count_in(&mut invocation);
        }
        let taken: Option<(u64, u64, u64, u64)> = self
            .shared
            .attempt("budget", |mut redis| async move {
                invocation.invoke_async(&mut redis).await
            })
            .await;
        match taken {
            Some((_, _, _, wait)) if wait > 0 => Taken::RateLimited {
                retry_after: waited(wait).unwrap_or(1),
            },
            Some((1, available, _, _)) => Taken::Granted(status(available, config)),
            Some((_, available, retry_after, _)) => Taken::Refused {
                retry_after,
                status: status(available, config),
            },
            None => self.here.take(client, points, rate).await,
        }
    }

    async fn give_back(&self, client: &str, points: u64, after: ThrottleStatus) -> ThrottleStatus {
        let config = self.config;
        let schedule = {
            let mut owed = self.owed.lock().unwrap_or_else(|e| e.into_inner());
            *owed.points.entry(client.to_owned()).or_default() += points;
            !mem::replace(&mut owed.scheduled, true)
        };
        if schedule {
            let (shared, here) = (self.shared.clone(), self.here.clone());
            let pending = Pending(Some(self.owed.clone()));
            tokio::spawn(async move {
                tokio::time::sleep(GIVE_BACK_AFTER).await;
                let owed = pending.take();
                give_back_owed(&shared, &here, owed, config).await;
            });
        }
        let available = (after.currently_available + points).min(config.size);
        status(available, config)
    }
}

/// Points owed to clients' buckets, and whether a task is to give them back.
#[derive(Default)]
struct Owed {
    points: HashMap<String, u64>,
    scheduled: bool,
}

/// The owed points a scheduled task is to give back. Should the task be
/// dropped before it takes them (its worker's runtime stopping), the next
/// give-back schedules another instead of leaving them queued for good.
struct Pending(Option<Arc<Mutex<Owed>>>);

impl Pending {
    /// Takes every point owed, for this task to give back.
    fn take(mut self) -> Vec<(String, u64)> {
        let Some(owed) = self.0.take() else {
            return Vec::new();
        };
        let mut owed = owed.lock().unwrap_or_else(|e| e.into_inner());
        owed.scheduled = false;
        mem::take(&mut owed.points).into_iter().collect()
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(owed) = self.0.take() {
            owed.lock().unwrap_or_else(|e| e.into_inner()).scheduled = false;
        }
    }
}

/// Gives back `owed`: to the shared buckets, or to this instance's when
/// Redis does not answer.
async fn give_back_owed(
    shared: &Shared,
    here: &MemoryBuckets,
    owed: Vec<(String, u64)>,
    config: BudgetConfig,
) {
    for batch in owed.chunks(GIVE_BACK_BATCH) {
        let mut invocation = BUDGET.prepare_invoke();
        for (client, _) in batch {
            invocation.key(shared.name(&format!("limits:budget:{client}")));
        }
        invocation
            .arg(config.size)
            .arg(config.restore_rate)
            .arg("give");
        for (_, points) in batch {
            invocation.arg(*points);
        }
        let given: Option<(u64, u64, u64, u64)> = shared
            .attempt("budget", |mut redis| async move {
                invocation.invoke_async(&mut redis).await
            })
            .await;
        if given.is_none() {
            for (client, points) in batch {
                here.give_back(client, *points, status(0, config)).await;
            }
        }
    }
}
