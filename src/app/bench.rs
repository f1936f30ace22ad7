//! The benchmark's hooks, built only with the `bench` feature
//! (bench/README.md, `config::bench`): `POST /bench/baseline`, and the
//! `x-sql-statements` header, copied from the statement count every GraphQL
//! response carries inside the process ([`StatementCount`]).

use axum::{
    Router,
    http::HeaderValue,
    middleware,
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::json;

use super::Http;
use crate::{config::bench::BenchConfig, db::StatementCount};

/// `routes` with the hooks `config` switches on.
pub fn hooks(mut routes: Router<Http>, config: &BenchConfig) -> Router<Http> {
    if config.expose_sql_count() {
        routes = routes.layer(middleware::map_response(expose_statements));
    }
    if let Some(bytes) = config.baseline_bytes() {
        routes = routes.route("/bench/baseline", post(baseline(bytes)));
    }
    routes
}

/// Sends a response's statement count as `x-sql-statements`.
async fn expose_statements(mut response: Response) -> Response {
    if let Some(StatementCount(count)) = response.extensions().get::<StatementCount>().copied() {
        response
            .headers_mut()
            .insert("x-sql-statements", HeaderValue::from(count));
    }
    response
}

/// A handler answering a fixed GraphQL-shaped JSON body of about `bytes`
/// bytes: the floor the benchmark compares GraphQL requests with.
pub fn baseline(bytes: usize) -> impl Fn() -> std::future::Ready<Response> + Clone {
    let body = bytes::Bytes::from(
        json!({ "data": { "padding": "x".repeat(bytes.saturating_sub(24)) } }).to_string(),
    );
    move || {
        let body = body.clone();
        std::future::ready(
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response(),
        )
    }
}
