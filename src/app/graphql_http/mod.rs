//! GraphQL over HTTP, per the GraphQL-over-HTTP specification: POST with a
//! JSON body (single operation or a bounded batch), GET for queries only,
//! `Accept` negotiation, and HTTP status codes that tell request errors apart;
//! and, for clients that accept `text/event-stream`, the same requests
//! answered as graphql-sse event streams (`sse`).

mod body;
mod execute;
mod incoming;
mod negotiate;
mod operation;
mod response;
mod sse;

use std::net::IpAddr;

use axum::{
    Extension,
    body::Body,
    extract::{FromRequestParts, Query, State},
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::{IntoResponse, Response as HttpResponse},
};

use self::{
    execute::{Origin, Via, execute},
    incoming::{GetParams, Incoming},
};
pub use self::{negotiate::ResponseType, response::Reply};
use super::{
    Http, client, graphiql,
    graphql_ws::{self, Upgrade},
    request_id::RequestId,
};
use crate::{error::AppError, limits::ip_rate::RateDue, telemetry::metrics};

/// POST /graphql
pub async fn post(
    State(http): State<Http>,
    RequestId(request_id): RequestId,
    Peer(peer): Peer,
    rate: Option<Extension<RateDue>>,
    headers: HeaderMap,
    body: Body,
) -> HttpResponse {
    let reply = match negotiated(request_id, &headers) {
        Ok(reply) => reply,
        Err(request_id) => return not_acceptable(request_id),
    };
    if !negotiate::is_json_body(header_str(&headers, header::CONTENT_TYPE)) {
        return reply.refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::BadRequest("the request body must be application/json".into()),
        );
    }
    let limit = http.state.config.http.body_limit_bytes;
    let bytes = match body::read(body, limit).await {
        Ok(bytes) => bytes,
        Err(body::Unread::TooLarge) => return body::too_large(&reply, limit),
        Err(body::Unread::Broken) => {
            return reply.refuse(
                StatusCode::BAD_REQUEST,
                AppError::BadRequest("the request body could not be read".into()),
            );
        }
    };
    let (operations, batched) = match serde_json::from_slice(&bytes) {
        Ok(incoming::Body::Single(one)) => (vec![*one], false),
        Ok(incoming::Body::Batch(many)) => (many, true),
        Err(_) => {
            let message = "the request body is not a GraphQL request in JSON";
            return reply.refuse(
                StatusCode::BAD_REQUEST,
                AppError::BadRequest(message.into()),
            );
        }
    };
    let batch_limit = http.state.config.http.batch_limit;
    if operations.is_empty() || operations.len() > batch_limit {
        metrics::refusal("batch");
        let message = format!("a batch must hold 1 to {batch_limit} operations");
        return reply.refuse(StatusCode::BAD_REQUEST, AppError::BadRequest(message));
    }
    if batched && reply.event_stream {
        let message = "a batch cannot be answered with an event stream; send one operation";
        return reply.refuse(
            StatusCode::BAD_REQUEST,
            AppError::BadRequest(message.into()),
        );
    }
    if !operations.iter().all(Incoming::names_a_document) {
        return reply.refuse(
            StatusCode::BAD_REQUEST,
            AppError::BadRequest("`query` is required".into()),
        );
    }
    execute(
        &http,
        reply,
        &headers,
        Origin::new(peer, rate),
        Via::Post,
        operations,
        batched,
    )
    .await
}

/// GET /graphql: GraphiQL for browsers, WebSocket upgrades for
/// subscriptions, queries (never mutations) for clients.
pub async fn get(
    State(http): State<Http>,
    RequestId(request_id): RequestId,
    Peer(peer): Peer,
    Upgrade(upgrade): Upgrade,
    rate: Option<Extension<RateDue>>,
    headers: HeaderMap,
    params: Result<Query<GetParams>, axum::extract::rejection::QueryRejection>,
) -> HttpResponse {
    if let Some((ws, protocol)) = upgrade {
        let client_ip = client::client_ip(peer, &headers, &http.state.config.http.trusted_proxies);
        return graphql_ws::upgrade(http, ws, protocol, request_id, client_ip);
    }
    let accept = header_str(&headers, header::ACCEPT);
    let wants_page = negotiate::wants_html(accept) && params.as_ref().is_ok_and(|p| p.0.is_empty());
    if wants_page && http.state.config.http.graphiql {
        return graphiql::page().into_response();
    }
    let reply = match negotiated(request_id, &headers) {
        Ok(reply) => reply,
        Err(request_id) => return not_acceptable(request_id),
    };
    let Some(incoming) = params.ok().and_then(|Query(p)| p.into_incoming()) else {
        let message =
            "a GET request needs `query`, and `variables` and `extensions` must be JSON objects";
        return reply.refuse(
            StatusCode::BAD_REQUEST,
            AppError::BadRequest(message.into()),
        );
    };
    execute(
        &http,
        reply,
        &headers,
        Origin::new(peer, rate),
        Via::Get,
        vec![incoming],
        false,
    )
    .await
}

/// The socket peer of the request, when known.
pub struct Peer(Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(client::peer(parts)))
    }
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// How the request is answered, from its `Accept` header: a GraphQL response
/// in JSON, or a graphql-sse event stream; the request id back when neither
/// will do. `Accept-Encoding` says whether public answers go out gzipped.
fn negotiated(request_id: String, headers: &HeaderMap) -> Result<Reply, String> {
    let accept = header_str(headers, header::ACCEPT);
    let event_stream = negotiate::wants_event_stream(accept);
    let response_type = if event_stream {
        Some(ResponseType::Json)
    } else {
        negotiate::response_type(accept)
    };
    match response_type {
        Some(response_type) => Ok(Reply {
            request_id,
            response_type,
            statements: None,
            event_stream,
            gzip: negotiate::takes_gzip(header_str(headers, header::ACCEPT_ENCODING)),
        }),
        None => Err(request_id),
    }
}

fn not_acceptable(request_id: String) -> HttpResponse {
    Reply {
        request_id,
        response_type: ResponseType::Json,
        statements: None,
        event_stream: false,
        gzip: false,
    }
    .refuse(
        StatusCode::NOT_ACCEPTABLE,
        AppError::BadRequest(
            "acceptable response types are application/graphql-response+json, application/json and text/event-stream"
                .into(),
        ),
    )
}
