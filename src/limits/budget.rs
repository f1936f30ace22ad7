//! Per-client cost budgets, after Shopify: each client (the user when signed
//! in, else the client IP) has a leaky bucket of points that refills at a
//! steady rate. An operation's requested cost is taken before it runs and the
//! difference to its actual cost is given back after. Buckets live behind
//! [`BucketStore`]; the in-process store is the default, and with
//! `REDIS_URL` the buckets are shared by every instance.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use moka::future::Cache;
use serde::Serialize;

use super::{ip_rate::RateCount, shared_buckets::SharedBuckets};
use crate::shared::Shared;

/// A bucket's size and refill rate.
#[derive(Clone, Copy, Debug)]
pub struct BudgetConfig {
    pub size: u64,
    /// Points restored per second.
    pub restore_rate: u64,
}

/// `extensions.cost.throttleStatus`.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleStatus {
    pub maximum_available: u64,
    pub currently_available: u64,
    pub restore_rate: u64,
}

/// What taking points from a bucket led to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Taken {
    /// The points were taken.
    Granted(ThrottleStatus),
    /// Not enough points; retry after this many seconds.
    Refused {
        retry_after: u64,
        status: ThrottleStatus,
    },
    /// The request counted with the take was over its client's rate:
    /// nothing was taken; retry after this many seconds.
    RateLimited { retry_after: u64 },
}

/// Buckets by client key.
#[async_trait::async_trait]
pub trait BucketStore: Send + Sync {
    /// Takes `points` from `client`'s bucket if it holds that many, and
    /// first counts `rate`, the request, against its client's rate.
    async fn take(&self, client: &str, points: u64, rate: Option<&RateCount<'_>>) -> Taken;
    /// Gives `points` back (never above the bucket size) to the bucket that
    /// was left as `after` when they were taken.
    async fn give_back(&self, client: &str, points: u64, after: ThrottleStatus) -> ThrottleStatus;
}

/// Clients whose buckets are kept at most (about 100 MB at the most): past
/// it the least used are forgotten, which gives them a full bucket.
const MAX_BUCKETS: u64 = 1_000_000;

/// Buckets in this process. A bucket untouched long enough to be full again
/// is forgotten.
pub struct MemoryBuckets {
    /// Client → (points available at `.1`, when).
    cache: Cache<String, (f64, Instant)>,
    config: BudgetConfig,
}

impl MemoryBuckets {
    pub fn new(config: BudgetConfig) -> Self {
        let full_after = config.size.div_ceil(config.restore_rate.max(1)) + 1;
        Self {
            cache: Cache::builder()
                .max_capacity(MAX_BUCKETS)
                .time_to_idle(Duration::from_secs(full_after))
                .build(),
            config,
        }
    }
}

fn level(entry: Option<(f64, Instant)>, config: BudgetConfig, now: Instant) -> f64 {
    match entry {
        Some((points, at)) => {
            let restored = now.duration_since(at).as_secs_f64() * config.restore_rate as f64;
            (points + restored).min(config.size as f64)
        }
        None => config.size as f64,
    }
}

fn status(points: f64, config: BudgetConfig) -> ThrottleStatus {
    ThrottleStatus {
        maximum_available: config.size,
        currently_available: points.max(0.0).floor() as u64,
        restore_rate: config.restore_rate,
    }
}

#[async_trait::async_trait]
impl BucketStore for MemoryBuckets {
    async fn take(&self, client: &str, points: u64, rate: Option<&RateCount<'_>>) -> Taken {
        let config = self.config;
        if let Some(retry_after) = rate.and_then(RateCount::here) {
            return Taken::RateLimited { retry_after };
        }
        let now = Instant::now();
        let mut outcome = None;
        self.cache
            .entry(client.to_owned())
            .and_upsert_with(|current| {
                let available = level(current.map(|e| *e.value()), config, now);
                let wanted = points as f64;
                let left = if available >= wanted {
                    outcome = Some(Taken::Granted(status(available - wanted, config)));
                    available - wanted
                } else {
                    let missing = wanted - available;
                    let retry_after = (missing / config.restore_rate.max(1) as f64)
                        .ceil()
                        .max(1.0) as u64;
                    outcome = Some(Taken::Refused {
                        retry_after,
                        status: status(available, config),
                    });
                    available
                };
                std::future::ready((left, now))
            })
            .await;
        outcome.unwrap_or(Taken::Granted(status(config.size as f64, config)))
    }

    async fn give_back(&self, client: &str, points: u64, _after: ThrottleStatus) -> ThrottleStatus {
        let config = self.config;
        let now = Instant::now();
        let entry = self
            .cache
            .entry(client.to_owned())
            .and_upsert_with(|current| {
                let available = level(current.map(|e| *e.value()), config, now);
                std::future::ready(((available + points as f64).min(config.size as f64), now))
            })
            .await;
        status(entry.into_value().0, config)
    }
}

/// The budgets of all clients.
#[derive(Clone)]
pub struct Budgets {
    store: Arc<dyn BucketStore>,
    pub config: BudgetConfig,
}

impl Budgets {
    pub fn in_memory(config: BudgetConfig) -> Self {
        Self {
            store: Arc::new(MemoryBuckets::new(config)),
            config,
        }
    }

    /// Shared by every instance through `shared` when given, else in memory.
    pub fn for_instance(config: BudgetConfig, shared: Option<&Shared>) -> Self {
        match shared {
            Some(shared) => Self {
                store: Arc::new(SharedBuckets::new(shared.clone(), config)),
                config,
            },
            None => Self::in_memory(config),
        }
    }

    /// Takes `points` from `client`'s bucket, counting `rate` first.
    pub async fn take(&self, client: &str, points: u64, rate: Option<RateCount<'_>>) -> Taken {
        self.store.take(client, points, rate.as_ref()).await
    }

    /// Gives back `points` taken from `client`'s bucket, which the take
    /// left as `after`.
    pub async fn give_back(
        &self,
        client: &str,
        points: u64,
        after: ThrottleStatus,
    ) -> ThrottleStatus {
        self.store.give_back(client, points, after).await
    }
}

/// What an answer actually cost: every object in it but the Relay wrappers
/// (`edges`, `pageInfo`) and the root, as the requested cost counts.
pub fn actual_cost(data: &async_graphql::Value) -> u64 {
    fn walk(name: &str, value: &async_graphql::Value) -> u64 {
        match value {
            async_graphql::Value::Object(fields) => {
                let own = u64::from(!super::analysis::WRAPPERS.contains(&name));
                own + fields.iter().map(|(k, v)| walk(k.as_str(), v)).sum::<u64>()
            }
            async_graphql::Value::List(items) => items.iter().map(|v| walk(name, v)).sum(),
            _ => 0,
        }
    }
    match data {
        async_graphql::Value::Object(fields) => {
            fields.iter().map(|(k, v)| walk(k.as_str(), v)).sum()
        }
        _ => 0,
    }
}

/// `extensions.cost` of a response.
pub fn cost_extension(requested: u64, actual: u64, status: ThrottleStatus) -> serde_json::Value {
    serde_json::json!({
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_bucket_empties_refuses_and_refills() {
        let config = BudgetConfig {
            size: 100,
            restore_rate: 1000,
        };
        let budgets = Budgets::in_memory(config);
        assert!(
            matches!(budgets.take("a", 60, None).await, Taken::Granted(s) if s.currently_available == 40)
        );
        match budgets.take("a", 60, None).await {
            Taken::Refused {
                retry_after,
                status,
            } => {
                assert_eq!(retry_after, 1);
                assert!(status.currently_available < 60);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(budgets.take("b", 60, None).await, Taken::Granted(_)),
            "buckets are per client"
        );
        let emptied = status(0.0, config);
        assert_eq!(
            budgets
                .give_back("a", 1000, emptied)
                .await
                .currently_available,
            100
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(matches!(
            budgets.take("a", 100, None).await,
            Taken::Granted(_)
        ));
    }
}
