//! The HTTP application: state, router, and the server's life cycle.

mod client;
mod graphiql;
mod graphql_http;
mod graphql_ws;
mod health;
mod http_errors;
mod linger;
mod metrics;
mod observe;
mod rate_limit;
mod request_id;
mod router;
mod serve;
pub mod shutdown;
mod workers;
mod ws_drain;
mod ws_refusals;

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::{
    accounts::password::Passwords,
    auth::{external::ExternalTokens, throttle::Throttle, tokens::KeySet},
    cache::Caches,
    config::Config,
    db,
    events::{EventBus, LocalBus},
    graphql::trusted::TrustedDocuments,
    graphql::{AppSchema, build_schema},
    limits::budget::Budgets,
    shared::Shared,
};

pub use router::router;

use self::{rate_limit::IpRateLimit, shutdown::Shutdown};

/// Everything a request handler or resolver needs, shared by all requests.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// Validated configuration.
    pub config: Arc<Config>,
    /// Argon2id hashing, bounded to the number of cores.
    pub passwords: Passwords,
    /// Keys that sign and verify access tokens.
    pub keys: Arc<KeySet>,
    /// The external identity provider's tokens, when one is configured.
    pub identity_provider: Option<Arc<ExternalTokens>>,
    /// Limits on login failures and registrations.
    pub throttle: Throttle,
    /// Domain events for subscriptions.
    pub events: Arc<dyn EventBus>,
    /// Entity, response, session and document caches.
    pub caches: Caches,
    /// The link to the other instances, with `REDIS_URL`.
    pub shared: Option<Shared>,
    /// The trusted-documents manifest.
    pub trusted: Arc<TrustedDocuments>,
    /// Per-client cost budgets.
    pub budgets: Budgets,
    /// Requests per second per client IP.
    pub rate_limit: IpRateLimit,
    /// Set on SIGTERM: readiness fails and connections drain.
    pub shutdown: Shutdown,
}

impl AppState {
    /// The state of an instance; with `REDIS_URL`, linked to the others
    /// (which needs a Tokio runtime).
    pub fn new(db: DatabaseConnection, config: Config) -> anyhow::Result<Self> {
        let (caches, shared) = Shared::start(&config.cache, config.redis.as_ref())?;
        // With `REDIS_URL` the limits count on Redis, shared by every instance.
        let throttle = Throttle::for_instance(config.throttle.clone(), shared.as_ref());
        let budgets = Budgets::for_instance(config.budget, shared.as_ref());
        let (per_second, burst) = config.rate_limit;
        let rate_limit = IpRateLimit::new(per_second, burst, shared.as_ref());
        Ok(Self {
            db,
            passwords: Passwords::default(),
            keys: Arc::new(KeySet::new(&config.tokens)),
            identity_provider: config
                .identity_provider
                .clone()
                .map(ExternalTokens::new)
                .transpose()?
                .map(Arc::new),
            throttle,
            events: shared.as_ref().map_or_else(
                || Arc::new(LocalBus::default()) as Arc<dyn EventBus>,
                Shared::events,
            ),
            caches,
            shared,
            trusted: Arc::clone(&config.trusted),
            budgets,
            rate_limit,
            shutdown: Shutdown::default(),
            config: Arc::new(config),
        })
    }
}

/// The state the HTTP layer holds: the application state and the schema built on it.
#[derive(Clone)]
pub struct Http {
    pub state: AppState,
    pub schema: AppSchema,
}

impl Http {
    pub fn new(state: AppState) -> Self {
        let schema = build_schema(state.clone());
        Self { state, schema }
    }
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: std::net::TcpListener,
    /// Where GET /metrics is served, when it is.
    metrics: Option<(std::net::TcpListener, &'static PrometheusHandle)>,
    http: Http,
}

impl Application {
    /// Connects to the database, applies migrations and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        // Recording starts before the pools open, so that they are watched.
        let metrics = bind_metrics(&config).await?;
        let db = db::connect(&config).await?;
        db::migrate(&db).await?;
        let listener = TcpListener::bind(config.bind_addr)
            .await
            .with_context(|| format!("BIND_ADDR: cannot listen on {}", config.bind_addr))?
            .into_std()?;
        Ok(Self {
            listener,
            metrics,
            http: Http::new(AppState::new(db, config)?),
        })
    }

    /// Serves `state` on a listener bound already (tests bind port 0 and
    /// share one state between the router and the server).
    pub fn on_listener(listener: std::net::TcpListener, state: AppState) -> Self {
        Self {
            listener,
            metrics: None,
            http: Http::new(state),
        }
    }

    /// The application state, e.g. to seed the database before serving.
    pub fn state(&self) -> &AppState {
        &self.http.state
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Where GET /metrics is served, when it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref()?.0.local_addr().ok()
    }

    pub fn port(&self) -> anyhow::Result<u16> {
        Ok(self.local_addr()?.port())
    }

    /// Serves until the process receives Ctrl-C or SIGTERM, which it
    /// listens for from this call on.
    pub fn run_until_stopped(self) -> impl Future<Output = anyhow::Result<()>> {
        self.run_until(shutdown_signal())
    }

    /// Serves on `WORKERS` workers until `stop` completes (or the state's
    /// shutdown begins), then drains: open requests and WebSockets finish
    /// within `SHUTDOWN_GRACE_SECS`; with `REDIS_URL` it then says goodbye
    /// to the other instances.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        if let Some((listener, handle)) = self.metrics {
            metrics::spawn(listener, handle);
        }
        let shared = self.http.state.shared.clone();
        let served = workers::serve(self.listener, self.http, stop).await;
        if let Some(shared) = shared {
            shared.farewell().await;
        }
        served
    }
}

/// Binds `METRICS_ADDR` and starts recording. Development's default
/// address may be held by another server on the machine: then metrics are
/// off, with a warning.
async fn bind_metrics(
    config: &Config,
) -> anyhow::Result<Option<(std::net::TcpListener, &'static PrometheusHandle)>> {
    let telemetry = &config.telemetry;
    let Some(addr) = telemetry.metrics_addr else {
        return Ok(None);
    };
    match TcpListener::bind(addr).await {
        Ok(listener) => {
            let handle = crate::telemetry::metrics::install()
                .context("METRICS_ADDR: another metrics recorder is installed")?;
            Ok(Some((listener.into_std()?, handle)))
        }
        Err(err) if telemetry.metrics_addr_is_default => {
            tracing::warn!("metrics are off: cannot listen on {addr}: {err}");
            Ok(None)
        }
        Err(err) => Err(err).with_context(|| format!("METRICS_ADDR: cannot listen on {addr}")),
    }
}

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is
/// called, not when first polled: a signal that arrived in between would
/// otherwise kill the process at once, undrained.
fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        [SignalKind::terminate(), SignalKind::interrupt()].map(|kind| signal(kind).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let [terminate, interrupt] = signals;
            tokio::select! {
                () = received(terminate) => {},
                () = received(interrupt) => {},
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    }
}

#[cfg(unix)]
async fn received(signal: Option<tokio::signal::unix::Signal>) {
    match signal {
        Some(mut signal) => {
            signal.recv().await;
        }
        None => std::future::pending().await,
    }
}
