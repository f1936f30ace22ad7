//! Request rate limit per client IP (GCRA, from governor), on every route but
//! the health probes. A refused request is HTTP 429 with `Retry-After`. With
//! `REDIS_URL` the rate is shared by every instance ([`SharedRate`]); a
//! request Redis does not answer in time is judged by this instance alone.

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use super::{
    Http, client,
    graphql_http::{Reply, ResponseType},
    request_id::RequestId,
};
use crate::{error::AppError, limits::rate::SharedRate, shared::Shared, telemetry::metrics};
use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::Response,
};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};

/// Checks between two sweeps of idle clients from the limiter's memory.
const SWEEP_EVERY: u64 = 10_000;

/// The per-IP limiter.
#[derive(Clone)]
pub struct IpRateLimit {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    checks: Arc<AtomicU64>,
    /// The rate shared with the other instances, with `REDIS_URL`.
    shared: Option<SharedRate>,
}

impl IpRateLimit {
    /// `per_second` with bursts of `burst`; shared through `shared` when given.
    pub fn new(per_second: u32, burst: u32, shared: Option<&Shared>) -> Self {
        let per_second = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(per_second);
        Self {
            limiter: Arc::new(RateLimiter::keyed(
                Quota::per_second(per_second).allow_burst(burst),
            )),
            checks: Arc::new(AtomicU64::new(0)),
            shared: shared
                .map(|shared| SharedRate::new(shared.clone(), per_second.get(), burst.get())),
        }
    }

    /// `None` when `ip` may go on, else the seconds to wait: as all
    /// instances count, or this one alone when Redis does not answer.
    async fn check(&self, ip: IpAddr) -> Option<u64> {
        if let Some(shared) = &self.shared
            && let Some(decision) = shared.check(ip).await
        {
            return decision;
        }
        self.check_here(ip)
    }

    /// `None` when `ip` may go on, else the seconds to wait, counting the
    /// requests of this instance.
    fn check_here(&self, ip: IpAddr) -> Option<u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&ip).err().map(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            wait.as_secs_f64().ceil().max(1.0) as u64
        })
    }
}

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
        &http.state.config.trusted_proxies,
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
