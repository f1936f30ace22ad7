//! The outermost middleware: every request runs in a span of its own (the
//! child of the caller's trace when it sends `traceparent`), and is counted
//! by route and status once answered.

use axum::{
    extract::{MatchedPath, Request},
    middleware::Next,
    response::Response,
};
use opentelemetry::KeyValue;
use tracing::{Instrument, field::Empty};

use crate::telemetry::{metrics, traces::Traced};

/// Middleware: the request's spans (the log's and the exported one) and
/// metrics.
pub async fn observe(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    let method = request.method();
    let span = tracing::info_span!(
        "request",
        http.request.method = %method,
        http.route = route.as_deref(),
        url.path = request.uri().path(),
        http.response.status_code = Empty,
        request_id = Empty,
        trace_id = Empty,
    );
    let traced = Traced::request(
        method,
        route.as_deref(),
        request.uri().path(),
        request.headers(),
    );
    if let Some(trace_id) = traced.trace_id().filter(|_| !span.is_disabled()) {
        // Every log line of the request carries it.
        span.record("trace_id", tracing::field::display(trace_id));
    }
    let response = traced.run(next.run(request)).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    traced.set(KeyValue::new(
        "http.response.status_code",
        i64::from(status),
    ));
    if status >= 500 {
        traced.fail(format!("HTTP {status}"));
    }
    traced.end();
    metrics::http_request(route.as_deref(), status);
    response
}
