//! Per-request SQL statement counting.
//!
//! SeaORM calls the connection's metric callback for every statement, on the
//! task that runs it. The request handler runs the operation inside a
//! task-local scope holding a counter, and DataLoader batches spawned on
//! other tasks carry the same counter (the request's loaders do), so the count
//! covers everything a request caused.

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

tokio::task_local! {
    static CURRENT: StatementCounter;
}

/// The SQL statements a request ran, in its HTTP response's extensions:
/// for callers inside the process (tests), never sent to a client (builds
/// with the `bench` feature can send it as `x-sql-statements`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatementCount(pub u64);

/// Number of SQL statements run inside a scope.
#[derive(Clone, Debug, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    /// Runs `fut` with this counter receiving every statement it causes.
    pub async fn scope<F: Future>(&self, fut: F) -> F::Output {
        CURRENT.scope(self.clone(), fut).await
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

pub(super) fn record() {
    let _ = CURRENT.try_with(|counter| counter.0.fetch_add(1, Ordering::Relaxed));
}
