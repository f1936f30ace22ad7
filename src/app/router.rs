//! The router and its middleware stack.

use axum::{
    Router,
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware,
    routing::get,
};
use tower::ServiceBuilder;
use tower_http::{
    CompressionLevel,
    compression::CompressionLayer,
    cors::{AllowOrigin, CorsLayer},
    decompression::RequestDecompressionLayer,
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
};

use super::{Http, graphiql, graphql_http, health, http_errors, observe, rate_limit, request_id};
use crate::config::Config;

/// All routes with their middleware; tests drive it without a socket.
pub fn router(http: Http) -> Router {
    let timeout = http.state.config.http.request_timeout;
    let config = http.state.config.clone();
    let routes = Router::new()
        .route("/graphql", get(graphql_http::get).post(graphql_http::post))
        .route("/graphiql/assets/{file}", get(graphiql::asset))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz));
    #[cfg(feature = "bench")]
    let routes = super::bench::hooks(routes, &config.bench);
    routes
        .layer(middleware::from_fn_with_state(
            http.clone(),
            rate_limit::limit,
        ))
        .with_state(http)
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn(observe::observe))
                .layer(middleware::from_fn(request_id::assign))
                .layer(middleware::from_fn(http_errors::with_bodies))
                .layer(cors(&config))
                .option_layer(config.http.hsts.then(|| {
                    security_header(
                        header::STRICT_TRANSPORT_SECURITY,
                        "max-age=31536000; includeSubDomains",
                    )
                }))
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
                // gzip at its fastest level: brotli's fastest level makes no
                // smaller JSON and costs several times the CPU.
                .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
                .layer(RequestDecompressionLayer::new()),
        )
}

/// Sets a header on every response that does not set it itself (the GraphiQL
/// page brings its own Content-Security-Policy).
fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// CORS from an allowlist of exact origins (`CORS_ORIGINS`); without one,
/// development allows any port of localhost and 127.0.0.1 and production
/// allows none. An origin not allowed is never echoed. Tokens travel in the
/// Authorization header, never in cookies, so credentials are not allowed.
fn cors(config: &Config) -> CorsLayer {
    let origins = match &config.http.cors_origins {
        Some(list) => AllowOrigin::list(list.iter().filter_map(|o| HeaderValue::from_str(o).ok())),
        None if config.is_production() => AllowOrigin::list([]),
        None => AllowOrigin::predicate(|origin, _| {
            let origin = origin.as_bytes();
            [
                b"http://localhost".as_slice(),
                b"http://127.0.0.1".as_slice(),
            ]
            .iter()
            .any(|host| {
                origin.strip_prefix(*host).is_some_and(|rest| {
                    rest.is_empty()
                        || (rest[0] == b':'
                            && rest[1..].iter().all(u8::is_ascii_digit)
                            && rest.len() > 1)
                })
            })
        }),
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::ACCEPT,
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("apollo-require-preflight"),
        ])
        .expose_headers([HeaderName::from_static("x-request-id"), header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(600))
}
