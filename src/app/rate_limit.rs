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
/// client's budget ([`RateDue`]), which runs nothing when the rate refuses
/// the request; a request that took nothing (refused before any operation
/// ran, or a WebSocket handshake) is counted here once answered, and its
/// answer replaced by the refusal when over the rate; one dropped
/// unanswered (its client gone, or out of time) is counted all the same.
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
    // Operations run without a budget when the guardrails are off (a
    // benchmark build): the rate is counted first, as on other routes.
    let left_to_budget =
        limit.is_shared() && parts.uri.path() == "/graphql" && http.state.config.bench.guardrails();
    if !left_to_budget {
        if let Some(retry_after) = limit.check(ip).await {
            return refusal(request_id(&parts), retry_after);
        }
        return next.run(Request::from_parts(parts, body)).await;
    }
    let request_id = request_id(&parts);
    let due = CountIfDropped(RateDue::new(limit.clone(), ip));
    parts.extensions.insert(due.0.clone());
    let response = next.run(Request::from_parts(parts, body)).await;
    match due.0.count().await {
        Some(retry_after) => refusal(request_id, retry_after),
        None => response,
    }
}

/// A request's count against the rate, made in the background should the
/// request be dropped before anyone made it.
struct CountIfDropped(RateDue);

impl Drop for CountIfDropped {
    fn drop(&mut self) {
        if self.0.is_due()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let due = self.0.clone();
            runtime.spawn(async move { due.count().await });
        }
    }
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
