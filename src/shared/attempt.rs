//! Commands on the request path (shared limits): they either answer fast or
//! not at all, and the caller then decides alone (per instance). A request
//! never fails, nor waits long, because Redis cannot be reached.

use std::{future::Future, time::Duration};

use redis::{RedisResult, aio::ConnectionManager};

use super::Shared;
use crate::telemetry::metrics;

/// How long a request waits for Redis before deciding without it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_millis(100);

impl Shared {
    /// Runs `command` on the shared connection; `None`, counted as a Redis
    /// error of `operation`, when Redis did not answer within
    /// `REQUEST_TIMEOUT` (100 ms) or is known to be unreachable (`/readyz`
    /// says degraded), which is then not even tried.
    pub async fn attempt<T, F>(
        &self,
        operation: &'static str,
        command: impl FnOnce(ConnectionManager) -> F,
    ) -> Option<T>
    where
        F: Future<Output = RedisResult<T>> + Send + 'static,
        T: Send + 'static,
    {
        if !self.is_up() {
            metrics::redis_error(operation);
            return None;
        }
        match tokio::time::timeout(REQUEST_TIMEOUT, self.redis().run(command)).await {
            Ok(Ok(answer)) => Some(answer),
            Ok(Err(err)) => {
                metrics::redis_error(operation);
                tracing::debug!(operation, "redis: {err}; deciding on this instance alone");
                None
            }
            Err(_) => {
                metrics::redis_error(operation);
                tracing::debug!(
                    operation,
                    "redis: no answer in time; deciding on this instance alone"
                );
                None
            }
        }
    }
}
