//! The router and its middleware stack.

use axum::{
    Router,
    http::{HeaderName, HeaderValue, StatusCode, header},
    middleware,
    routing::{get, post},
};
use tower::ServiceBuilder;
use tower_http::{
    compression::CompressionLayer, decompression::RequestDecompressionLayer,
    set_header::SetResponseHeaderLayer, timeout::TimeoutLayer,
};

use super::{Http, graphiql, graphql_http, health, request_id};

/// All routes with their middleware; tests drive it without a socket.
pub fn router(http: Http) -> Router {
    let timeout = http.state.config.request_timeout;
    let baseline = http.state.config.bench_baseline_bytes;
    let mut routes = Router::new();
    if let Some(bytes) = baseline {
        routes = routes.route("/bench/baseline", post(health::baseline(bytes)));
    }
    routes
        .route("/graphql", get(graphql_http::get).post(graphql_http::post))
        .route("/graphiql/assets/{file}", get(graphiql::asset))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(http)
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn(request_id::assign))
                .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .layer(security_header(header::REFERRER_POLICY, "no-referrer"))
                .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
                .layer(security_header(
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; frame-ancestors 'none'",
                ))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::SERVICE_UNAVAILABLE,
                    timeout,
                ))
                .layer(CompressionLayer::new())
                .layer(RequestDecompressionLayer::new()),
        )
}

/// Sets a header on every response that does not set it itself (the GraphiQL
/// page brings its own Content-Security-Policy).
fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}
