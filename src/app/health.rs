//! Liveness and readiness probes.

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::json;

use super::Http;
use crate::db;

/// The process is alive.
pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// The process can serve: it is not shutting down, and the database answers.
/// Draining answers 503 at once, so load balancers stop sending requests.
/// With `REDIS_URL`, `redis` says whether this instance's own link shares
/// invalidations (`ok`) or not (`degraded`, the caches are bypassed), and
/// `peers` whether every other instance heard before is still heard (`ok`)
/// or one has gone silent (`silent`, the caches are bypassed): still ready
/// either way, as answers stay right.
pub async fn readyz(State(http): State<Http>) -> impl IntoResponse {
    if http.state.shutdown.is_draining() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "shutting down" })),
        )
    } else if db::ping(&http.state.db).await {
        let mut body = json!({ "status": "ready", "database": "ok" });
        if let Some(shared) = &http.state.shared {
            let redis = if shared.is_up() { "ok" } else { "degraded" };
            body["redis"] = redis.into();
            let peers = if shared.silent_peers() == 0 {
                "ok"
            } else {
                "silent"
            };
            body["peers"] = peers.into();
        }
        (StatusCode::OK, Json(body))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "database": "unreachable" })),
        )
    }
}
