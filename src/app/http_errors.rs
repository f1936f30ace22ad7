//! Errors the middleware raises without a body (an unknown route or method,
//! an unsupported `Content-Encoding`, a request over its time limit) get the
//! same JSON error body as every other error, built from [`AppError`], with
//! the request id.

use axum::{
    extract::Request,
    http::{StatusCode, header},
    middleware::Next,
    response::Response,
};

use super::{
    graphql_http::{Reply, ResponseType},
    request_id::RequestId,
};
use crate::error::AppError;

/// Middleware: gives a body to error responses that have none.
pub async fn with_bodies(request: Request, next: Next) -> Response {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    let bodiless = !response.headers().contains_key(header::CONTENT_TYPE);
    if !bodiless || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let error = match status {
        StatusCode::NOT_FOUND => AppError::NotFound("route"),
        StatusCode::METHOD_NOT_ALLOWED => AppError::BadRequest(format!(
            "{method} is not allowed here; GraphQL takes GET and POST on /graphql"
        )),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::BadRequest(
            "the request's Content-Encoding is not supported; use gzip, br or identity".into(),
        ),
        StatusCode::SERVICE_UNAVAILABLE => AppError::unavailable(),
        other if other.is_client_error() => {
            AppError::BadRequest(other.canonical_reason().unwrap_or("bad request").into())
        }
        other => AppError::Internal(anyhow::anyhow!("HTTP {other} raised by the middleware")),
    };
    let reply = Reply {
        request_id,
        response_type: ResponseType::Json,
        statements: None,
        event_stream: false,
        gzip: false,
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let refused = reply.refuse(status, error);
    for (name, value) in refused.headers() {
        parts.headers.insert(name, value.clone());
    }
    Response::from_parts(parts, refused.into_body())
}
