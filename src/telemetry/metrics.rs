//! Prometheus metrics through the `metrics` facade. The recorder is
//! installed once per process when `METRICS_ADDR` is set; until then every
//! call here is a no-op, and the functions that build labels return early.

use std::{
    collections::HashSet,
    sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError, RwLock},
    time::Duration,
};

use metrics::{SharedString, counter, describe_counter, describe_gauge, describe_histogram, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseBackend, DatabaseConnection};

/// The metric names operators build dashboards on.
pub mod name {
    pub const HTTP_REQUESTS: &str = "tollgate_http_requests_total";
    pub const OPERATIONS: &str = "tollgate_graphql_operations_total";
    pub const OPERATION_DURATION: &str = "tollgate_graphql_operation_duration_seconds";
    pub const ERRORS: &str = "tollgate_graphql_errors_total";
    pub const STATEMENTS_PER_OPERATION: &str = "tollgate_db_statements_per_operation";
    pub const POOL_CONNECTIONS: &str = "tollgate_db_pool_connections";
    pub const ACQUIRE: &str = "tollgate_db_acquire_seconds";
    pub const CACHE_REQUESTS: &str = "tollgate_cache_requests_total";
    pub const LIMIT_REFUSALS: &str = "tollgate_limit_refusals_total";
    pub const SUBSCRIPTIONS_ACTIVE: &str = "tollgate_subscriptions_active";
    pub const UNTRUSTED_DOCUMENTS: &str = "tollgate_untrusted_documents_total";
    pub const BUILD_INFO: &str = "tollgate_build_info";
    pub const REDIS_UP: &str = "tollgate_redis_up";
    pub const REDIS_OUTAGES: &str = "tollgate_redis_outages_total";
    pub const REDIS_ERRORS: &str = "tollgate_redis_errors_total";
    pub const REDIS_PEERS: &str = "tollgate_redis_peers";
    pub const REDIS_SILENT_PEERS: &str = "tollgate_redis_silent_peers";
}

/// Distinct operation names labelled as themselves; later ones are `other`.
pub const MAX_OPERATION_NAMES: usize = 500;
/// Longer operation names are labelled `other`.
const MAX_OPERATION_NAME_LEN: usize = 100;

const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const STATEMENT_BUCKETS: &[f64] = &[
    0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0,
];
const ACQUIRE_BUCKETS: &[f64] = &[
    0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0, 3.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same
/// handle). `None` when another recorder was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    if let Some(handle) = HANDLE.get() {
        return Some(handle);
    }
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(name::OPERATION_DURATION.into()),
            DURATION_BUCKETS,
        )
        .and_then(|b| {
            b.set_buckets_for_metric(
                Matcher::Full(name::STATEMENTS_PER_OPERATION.into()),
                STATEMENT_BUCKETS,
            )
        })
        .and_then(|b| {
            b.set_buckets_for_metric(Matcher::Full(name::ACQUIRE.into()), ACQUIRE_BUCKETS)
        })
        .ok()?;
    let handle = builder.install_recorder().ok()?;
    describe();
    gauge!(name::BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    Some(HANDLE.get_or_init(|| handle))
}

/// Whether metrics are being recorded.
pub fn enabled() -> bool {
    HANDLE.get().is_some()
}

fn describe() {
    describe_counter!(name::HTTP_REQUESTS, "HTTP requests by route and status");
    describe_counter!(
        name::OPERATIONS,
        "GraphQL operations by name, type and outcome (ok or the first error code)"
    );
    describe_histogram!(
        name::OPERATION_DURATION,
        metrics::Unit::Seconds,
        "Time from receiving a GraphQL operation to its response"
    );
    describe_counter!(name::ERRORS, "GraphQL errors by code");
    describe_histogram!(
        name::STATEMENTS_PER_OPERATION,
        "SQL statements one GraphQL operation ran"
    );
    describe_gauge!(
        name::POOL_CONNECTIONS,
        "Pooled database connections in use and idle"
    );
    describe_histogram!(
        name::ACQUIRE,
        metrics::Unit::Seconds,
        "Time to get a pooled database connection"
    );
    describe_counter!(name::CACHE_REQUESTS, "Cache lookups by cache and result");
    describe_counter!(
        name::LIMIT_REFUSALS,
        "Requests and operations refused by a limit, by reason"
    );
    describe_gauge!(name::SUBSCRIPTIONS_ACTIVE, "Subscriptions running");
    describe_counter!(
        name::UNTRUSTED_DOCUMENTS,
        "Operations run with a document outside the trusted-documents manifest (TRUSTED_DOCUMENTS=report)"
    );
    describe_gauge!(name::BUILD_INFO, "The running build, by version");
    describe_gauge!(
        name::REDIS_UP,
        "1 while this instance's own link to Redis carries every invalidation, else 0"
    );
    describe_gauge!(
        name::REDIS_PEERS,
        "Other instances heard through Redis within the heartbeat bound"
    );
    describe_gauge!(
        name::REDIS_SILENT_PEERS,
        "Other instances gone silent (caches are bypassed while above 0)"
    );
    describe_counter!(name::REDIS_OUTAGES, "Times the Redis link was lost");
    describe_counter!(name::REDIS_ERRORS, "Failed Redis operations, by operation");
}

/// The text exposition of every metric, pool gauges sampled now.
pub fn render(handle: &PrometheusHandle) -> String {
    sample_pools();
    handle.render()
}

/// Folds recent histogram samples into their buckets: run every few
/// seconds, so that memory stays bounded between scrapes.
pub fn upkeep(handle: &PrometheusHandle) {
    handle.run_upkeep();
}

/// How often [`upkeep`] should run.
pub const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// One HTTP request answered.
pub fn http_request(route: Option<&str>, status: u16) {
    if !enabled() {
        return;
    }
    let route: SharedString = match route {
        Some(route) => route.to_owned().into(),
        None => "unmatched".into(),
    };
    counter!(name::HTTP_REQUESTS, "route" => route, "status" => status.to_string()).increment(1);
}

/// What a finished operation was.
pub struct Operation<'a> {
    pub name: Option<&'a str>,
    pub kind: &'static str,
    pub outcome: &'static str,
    pub duration: Duration,
    /// Unknown for WebSocket operations, whose loaders serve the whole connection.
    pub statements: Option<u64>,
}

/// One GraphQL operation answered.
pub fn operation(operation: &Operation<'_>) {
    if !enabled() {
        return;
    }
    let label = operation_label(operation.name);
    counter!(
        name::OPERATIONS,
        "operation" => label.clone(),
        "type" => operation.kind,
        "outcome" => operation.outcome,
    )
    .increment(1);
    metrics::histogram!(
        name::OPERATION_DURATION,
        "operation" => label,
        "type" => operation.kind,
    )
    .record(operation.duration.as_secs_f64());
    if let Some(statements) = operation.statements {
        metrics::histogram!(name::STATEMENTS_PER_OPERATION).record(statements as f64);
    }
}

/// One GraphQL error sent, by its code.
pub fn error(code: &'static str) {
    if !enabled() {
        return;
    }
    counter!(name::ERRORS, "code" => code).increment(1);
}

/// Lookups in one cache.
pub fn cache(cache: &'static str, hits: u64, misses: u64) {
    if !enabled() {
        return;
    }
    if hits > 0 {
        counter!(name::CACHE_REQUESTS, "cache" => cache, "result" => "hit").increment(hits);
    }
    if misses > 0 {
        counter!(name::CACHE_REQUESTS, "cache" => cache, "result" => "miss").increment(misses);
    }
}

/// A request or operation refused by a limit.
pub fn refusal(reason: &'static str) {
    if !enabled() {
        return;
    }
    counter!(name::LIMIT_REFUSALS, "reason" => reason).increment(1);
}

/// An operation whose document is outside the trusted-documents manifest.
pub fn untrusted_document() {
    counter!(name::UNTRUSTED_DOCUMENTS).increment(1);
}

/// A running subscription, counted until dropped.
pub struct ActiveSubscription(());

impl ActiveSubscription {
    pub fn start() -> Self {
        gauge!(name::SUBSCRIPTIONS_ACTIVE).increment(1.0);
        Self(())
    }
}

impl Drop for ActiveSubscription {
    fn drop(&mut self) {
        gauge!(name::SUBSCRIPTIONS_ACTIVE).decrement(1.0);
    }
}

/// Whether the Redis link carries every invalidation.
pub fn redis_up(up: bool) {
    gauge!(name::REDIS_UP).set(if up { 1.0 } else { 0.0 });
}

/// The other instances heard through Redis, and those gone silent.
pub fn redis_peers(heard: usize, silent: usize) {
    gauge!(name::REDIS_PEERS).set(heard as f64);
    gauge!(name::REDIS_SILENT_PEERS).set(silent as f64);
}

/// The Redis link stopped carrying every invalidation.
pub fn redis_outage() {
    counter!(name::REDIS_OUTAGES).increment(1);
}

/// A Redis operation that failed (connect, subscribe, publish, ping, decode,
/// persisted queries), or was not made because Redis is unreachable.
pub fn redis_error(operation: &'static str) {
    counter!(name::REDIS_ERRORS, "operation" => operation).increment(1);
}

/// Time spent getting a pooled connection.
pub fn acquired(seconds: f64) {
    metrics::histogram!(name::ACQUIRE).record(seconds);
}

static OPERATION_NAMES: LazyLock<RwLock<HashSet<Arc<str>>>> = LazyLock::new(Default::default);

/// The `operation` label of `name`: itself while fewer than
/// [`MAX_OPERATION_NAMES`] names have been seen, else `other`.
fn operation_label(name: Option<&str>) -> SharedString {
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return "anonymous".into();
    };
    if name.len() > MAX_OPERATION_NAME_LEN {
        return "other".into();
    }
    if let Some(known) = OPERATION_NAMES
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(name)
    {
        return Arc::clone(known).into();
    }
    let mut names = OPERATION_NAMES
        .write()
        .unwrap_or_else(PoisonError::into_inner);
    if names.len() >= MAX_OPERATION_NAMES && !names.contains(name) {
        return "other".into();
    }
    let name: Arc<str> = Arc::from(name);
    names.insert(Arc::clone(&name));
    name.into()
}

/// The pools whose connections the gauges report.
static POOLS: Mutex<Vec<DatabaseConnection>> = Mutex::new(Vec::new());

/// Reports `db`'s connections from now on (when metrics are recorded).
pub fn watch_pool(db: &DatabaseConnection) {
    if enabled() {
        POOLS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(db.clone());
    }
}

fn sample_pools() {
    let (mut total, mut idle) = (0u64, 0u64);
    for db in POOLS.lock().unwrap_or_else(PoisonError::into_inner).iter() {
        let (size, free) = match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                let pool = db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            DatabaseBackend::Sqlite => {
                let pool = db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => continue,
        };
        total += u64::from(size);
        idle += free as u64;
    }
    let in_use = total.saturating_sub(idle);
    gauge!(name::POOL_CONNECTIONS, "state" => "in_use").set(in_use as f64);
    gauge!(name::POOL_CONNECTIONS, "state" => "idle").set(idle as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_capped() {
        assert_eq!(operation_label(None).as_ref(), "anonymous");
        assert_eq!(operation_label(Some(&"x".repeat(101))).as_ref(), "other");
        for i in 0..MAX_OPERATION_NAMES + 10 {
            operation_label(Some(&format!("Op{i}")));
        }
        assert_eq!(operation_label(Some("Op3")).as_ref(), "Op3");
        assert_eq!(operation_label(Some("NeverSeenBefore")).as_ref(), "other");
    }
}
