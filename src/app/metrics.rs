//! GET /metrics in the Prometheus text format, on a listener of its own
//! (`METRICS_ADDR`), so that it is never exposed with the API.

use axum::{Router, http::header, response::IntoResponse, routing::get};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;

use crate::telemetry::metrics;

/// The metrics routes.
pub fn router(handle: &'static PrometheusHandle) -> Router {
    Router::new().route(
        "/metrics",
        get(move || async move {
            (
                [(
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                metrics::render(handle),
            )
                .into_response()
        }),
    )
}

/// Serves the metrics on `listener` for as long as the process lives, and
/// keeps the histograms' memory bounded between scrapes.
pub fn spawn(listener: std::net::TcpListener, handle: &'static PrometheusHandle) {
    tokio::spawn(async move {
        let mut upkeep = tokio::time::interval(metrics::UPKEEP_INTERVAL);
        loop {
            upkeep.tick().await;
            metrics::upkeep(handle);
        }
    });
    tokio::spawn(async move {
        let served = match TcpListener::from_std(listener) {
            Ok(listener) => axum::serve(listener, router(handle)).await,
            Err(err) => Err(err),
        };
        if let Err(err) = served {
            tracing::error!("the metrics listener failed: {err}");
        }
    });
}
