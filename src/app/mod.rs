//! The HTTP application: router, middleware, and the server's life cycle.

#[cfg(feature = "bench")]
mod bench;
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
mod workers;
mod ws_drain;
mod ws_refusals;

use std::{future::Future, net::SocketAddr};

use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;

use crate::{
    config::Config,
    db,
    graphql::{AppSchema, build_schema},
};

use crate::state::AppState;
pub use router::router;

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
        let listener = TcpListener::bind(config.http.bind_addr)
            .await
            .with_context(|| format!("BIND_ADDR: cannot listen on {}", config.http.bind_addr))?
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
