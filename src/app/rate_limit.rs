//! The request rate limit per client IP
//! ([`IpRateLimit`](crate::limits::ip_rate::IpRateLimit)) as middleware, on
//! every route but the health probes. A refused request is HTTP 429 with
//! `Retry-After`.

use super::{
    Http, client,
    graphql_http::{Reply, ResponseType},
    request_id::RequestId,
};
use crate::{limits::ip_rate::RateDue, telemetry::metrics};
use axum::{
    extract::{Request, State},
    http::request::Parts,
    middleware::Next,
    response::Response,
};

/// Middleware: refuses clients over their rate. With the rate shared, a
/// GraphQL request's count is left to its first operation's take from the
/// client's budget ([`RateDue`]), which runs nothing when the rate refuses;
/// a request that took nothing (refused before any operation ran, or a
/// WebSocket handshake) is counted here once answered, and its answer
/// replaced by the refusal when over the rate.
pub async fn limit(State(http): State<Http>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path == "/healthz" || path == "/readyz" {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let ip = client::client_ip(
        client::peer(&parts),
        &parts.headers,
        &http.state.config.http.trusted_proxies,
    );
    let limit = &http.state.rate_limit;
    let request_id = |parts: &Parts| parts.extensions.get::<RequestId>().cloned();
    if !(limit.is_shared() && parts.uri.path() == "/graphql") {
        if let Some(retry_after) = limit.check(ip).await {
            return refusal(request_id(&parts), retry_after);
        }
        return next.run(Request::from_parts(parts, body)).await;
    }
    let request_id = request_id(&parts);
    let due = RateDue::new(limit.clone(), ip);
    parts.extensions.insert(due.clone());
    let response = next.run(Request::from_parts(parts, body)).await;
    if due.is_due()
        && let Some(retry_after) = limit.check(ip).await
    {
        return refusal(request_id, retry_after);
    }
    response
}

/// HTTP 429 with `Retry-After`.
fn refusal(request_id: Option<RequestId>, retry_after: u64) -> Response {
    metrics::refusal("rate");
    let reply = Reply {
        request_id: request_id.map(|r| r.0).unwrap_or_default(),
        response_type: ResponseType::Json,
        statements: None,
        event_stream: false,
        gzip: false,
    };
    reply.rate_limited(retry_after)
}
