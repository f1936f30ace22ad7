//! The outermost middleware: every request runs in a span of its own (the
//! child of the caller's trace when it sends `traceparent`), and is counted
//! by route and status once answered.

use axum::{
    extract::{MatchedPath, Request},
    middleware::Next,
    response::Response,
};
use tracing::{Instrument, field::Empty};

use crate::telemetry::{metrics, traces};

/// Middleware: the request's span and metrics.
pub async fn observe(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned());
    let method = request.method().clone();
    let span = tracing::info_span!(
        "request",
        otel.name = Empty,
        otel.kind = "server",
        http.request.method = %method,
        http.route = route.as_deref(),
        url.path = request.uri().path(),
        http.response.status_code = Empty,
        request_id = Empty,
        trace_id = Empty,
    );
    traces::continue_trace(&span, &method, route.as_deref(), request.headers());
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    traces::failed(&span, status);
    metrics::http_request(route.as_deref(), status);
    response
}
