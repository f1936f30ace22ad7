//! The request rate limit per client IP
//! ([`IpRateLimit`](crate::limits::ip_rate::IpRateLimit)) as middleware, on
//! every route but the health probes. A refused request is HTTP 429 with
//! `Retry-After`.

use super::{
    Http, client,
    graphql_http::{Reply, ResponseType},
    request_id::RequestId,
};
use crate::{error::AppError, telemetry::metrics};
use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::Response,
};

/// Middleware: refuses clients over their rate.
pub async fn limit(State(http): State<Http>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path == "/healthz" || path == "/readyz" {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let ip = client::client_ip(
        client::peer(&parts),
        &parts.headers,
        &http.state.config.http.trusted_proxies,
    );
    if let Some(retry_after) = http.state.rate_limit.check(ip).await {
        metrics::refusal("rate");
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        let reply = Reply {
            request_id,
            response_type: ResponseType::Json,
            statements: None,
            event_stream: false,
            gzip: false,
        };
        return reply.refuse(
            StatusCode::TOO_MANY_REQUESTS,
            AppError::RateLimited { retry_after },
        );
    }
    next.run(Request::from_parts(parts, body)).await
}
