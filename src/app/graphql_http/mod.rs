//! GraphQL over HTTP, per the GraphQL-over-HTTP specification: POST with a
//! JSON body (single operation or a bounded batch), GET for queries only,
//! `Accept` negotiation, and HTTP status codes that tell request errors apart.

mod negotiate;
mod operation;
mod response;

use std::{collections::HashMap, net::IpAddr};

use async_graphql::{
    BatchRequest, BatchResponse, Request, Response, Variables, parser::types::OperationType,
};
use axum::{
    body::Body,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response as HttpResponse},
};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use self::{
    negotiate::ResponseType,
    response::{Public, Reply},
};
use super::{
    Http, client, graphiql,
    graphql_ws::{self, Upgrade},
    request_id::RequestId,
};
use crate::{
    auth::{self, Viewer},
    db::StatementCounter,
    error::code,
    graphql::{Loaders, RequestMeta},
};

/// POST /graphql
pub async fn post(
    State(http): State<Http>,
    RequestId(request_id): RequestId,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Body,
) -> HttpResponse {
    let Some(response_type) = negotiate::response_type(header_str(&headers, header::ACCEPT)) else {
        return not_acceptable(request_id);
    };
    let reply = Reply {
        request_id,
        response_type,
        statements: None,
    };
    if !negotiate::is_json_body(header_str(&headers, header::CONTENT_TYPE)) {
        return reply.refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code::BAD_REQUEST,
            "the request body must be application/json",
        );
    }
    let limit = http.state.config.body_limit_bytes;
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => {
            return reply.refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                code::PAYLOAD_TOO_LARGE,
                &format!("the request body is larger than {limit} bytes"),
            );
        }
        Err(_) => {
            return reply.refuse(
                StatusCode::BAD_REQUEST,
                code::BAD_REQUEST,
                "the request body could not be read",
            );
        }
    };
    let batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(batch) => batch,
        Err(_) => {
            return reply.refuse(
                StatusCode::BAD_REQUEST,
                code::BAD_REQUEST,
                "the request body is not a GraphQL request in JSON",
            );
        }
    };
    let requests = match &batch {
        BatchRequest::Single(request) => std::slice::from_ref(request),
        BatchRequest::Batch(requests) => requests.as_slice(),
    };
    let batch_limit = http.state.config.batch_limit;
    if requests.is_empty() || requests.len() > batch_limit {
        return reply.refuse(
            StatusCode::BAD_REQUEST,
            code::BAD_REQUEST,
            &format!("a batch must hold 1 to {batch_limit} operations"),
        );
    }
    let persisted = |r: &Request| r.extensions.0.contains_key("persistedQuery");
    if requests
        .iter()
        .any(|r| r.query.trim().is_empty() && !persisted(r))
    {
        return reply.refuse(
            StatusCode::BAD_REQUEST,
            code::BAD_REQUEST,
            "`query` is required",
        );
    }
    execute(&http, reply, &headers, peer, Via::Post, batch).await
}

/// The query-string parameters of GET /graphql.
#[derive(serde::Deserialize)]
pub struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// GET /graphql: GraphiQL for browsers, queries (never mutations) for clients.
pub async fn get(
    State(http): State<Http>,
    RequestId(request_id): RequestId,
    Peer(peer): Peer,
    Upgrade(upgrade): Upgrade,
    headers: HeaderMap,
    params: Result<Query<GetParams>, axum::extract::rejection::QueryRejection>,
) -> HttpResponse {
    if let Some((ws, protocol)) = upgrade {
        let client_ip = client::client_ip(peer, &headers, &http.state.config.trusted_proxies);
        return graphql_ws::upgrade(http, ws, protocol, request_id, client_ip);
    }
    let accept = header_str(&headers, header::ACCEPT);
    let query_given = params.as_ref().is_ok_and(|p| p.query.is_some());
    if negotiate::wants_html(accept) && !query_given && http.state.config.graphiql {
        return graphiql::page().into_response();
    }
    let Some(response_type) = negotiate::response_type(accept) else {
        return not_acceptable(request_id);
    };
    let reply = Reply {
        request_id,
        response_type,
        statements: None,
    };
    let request = match params
        .map_err(|_| ())
        .and_then(|Query(p)| request_from_params(p))
    {
        Ok(request) => request,
        Err(()) => {
            return reply.refuse(
                StatusCode::BAD_REQUEST,
                code::BAD_REQUEST,
                "a GET request needs `query`, and `variables` and `extensions` must be JSON objects",
            );
        }
    };
    execute(
        &http,
        reply,
        &headers,
        peer,
        Via::Get,
        BatchRequest::Single(request),
    )
    .await
}

fn request_from_params(params: GetParams) -> Result<Request, ()> {
    let mut request = Request::new(params.query.unwrap_or_default());
    request.operation_name = params.operation_name.filter(|n| !n.is_empty());
    if let Some(raw) = params.variables.filter(|v| !v.is_empty()) {
        let value: serde_json::Value = serde_json::from_str(&raw).map_err(|_| ())?;
        if !value.is_object() && !value.is_null() {
            return Err(());
        }
        request.variables = Variables::from_json(value);
    }
    if let Some(raw) = params.extensions.filter(|e| !e.is_empty()) {
        request.extensions = async_graphql::Extensions(
            serde_json::from_str::<HashMap<String, async_graphql::Value>>(&raw).map_err(|_| ())?,
        );
    }
    if request.query.trim().is_empty() && !request.extensions.0.contains_key("persistedQuery") {
        return Err(());
    }
    Ok(request)
}

/// How the operations came.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    Get,
    Post,
}

/// Whether the request runs a query (a document that does not parse is left
/// for execution to report).
fn is_query(request: &mut Request) -> bool {
    let name = request.operation_name.clone();
    match request.parsed_query() {
        Ok(document) => selected_operation_type(document, name.as_deref())
            .is_none_or(|t| t == OperationType::Query),
        Err(_) => true,
    }
}

/// GET cannot change anything: 405, allowing POST.
fn only_queries_over_get(reply: &Reply) -> HttpResponse {
    let mut refused = reply.refuse(
        StatusCode::METHOD_NOT_ALLOWED,
        code::BAD_REQUEST,
        "only queries may be sent with GET; use POST",
    );
    refused
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
    refused
}

/// The type of the operation a request would run, if it can be told.
fn selected_operation_type(
    document: &async_graphql::parser::types::ExecutableDocument,
    name: Option<&str>,
) -> Option<OperationType> {
    use async_graphql::parser::types::DocumentOperations;
    match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| op.node.ty)
        }
        _ => None,
    }
}

/// Runs the operations as the request's viewer, with per-operation loaders,
/// counting SQL statements; public catalog answers come from, and go to, the
/// response cache.
async fn execute(
    http: &Http,
    mut reply: Reply,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    via: Via,
    batch: BatchRequest,
) -> HttpResponse {
    let state = &http.state;
    // The session check behind a token is cached (one query per session and
    // second), so it is not counted against the operation.
    let viewer = auth::authenticate(
        &state.keys,
        &state.sessions,
        &state.db,
        header_str(headers, header::AUTHORIZATION),
    )
    .await;
    let anonymous = viewer == Viewer::Anonymous;
    let meta = RequestMeta {
        request_id: reply.request_id.clone(),
        viewer,
        client_ip: client::client_ip(peer, headers, &state.config.trusted_proxies),
    };
    let counter = StatementCounter::default();
    let run = |request: Request| {
        let request = request.data(meta.clone()).data(Loaders::new(
            &state.db,
            &state.caches.entities,
            &counter,
        ));
        counter.scope(http.schema.execute(request))
    };
    let response = match batch {
        BatchRequest::Single(request) => {
            let mut prepared = match operation::prepare(&state.caches, request, anonymous).await {
                Ok(prepared) => prepared,
                Err(error) => {
                    return reply
                        .executed(BatchResponse::Single(Response::from_errors(vec![error])));
                }
            };
            if via == Via::Get && !is_query(&mut prepared.request) {
                return only_queries_over_get(&reply);
            }
            let responses = &state.caches.responses;
            let max_age = responses.max_age();
            if let Some(body) = prepared.public_key.and_then(|key| responses.get(&key)) {
                let body = String::from_utf8_lossy(&body).into_owned();
                return reply.public(body, Public::Hit { max_age });
            }
            let response = run(prepared.request).await;
            reply.statements = state.config.expose_sql_count.then(|| counter.get());
            if let Some(key) = prepared.public_key.filter(|_| response.errors.is_empty()) {
                let body = reply.public_body(&response);
                responses.put(key, body.clone().into());
                return reply.public(body, Public::Miss { max_age });
            }
            BatchResponse::Single(response)
        }
        BatchRequest::Batch(requests) => {
            let mut responses = Vec::with_capacity(requests.len());
            for request in requests {
                responses.push(
                    match operation::prepare(&state.caches, request, false).await {
                        Ok(prepared) => run(prepared.request).await,
                        Err(error) => Response::from_errors(vec![error]),
                    },
                );
            }
            reply.statements = state.config.expose_sql_count.then(|| counter.get());
            BatchResponse::Batch(responses)
        }
    };
    reply.executed(response)
}

/// The socket peer of the request, when known.
pub struct Peer(Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(client::peer(parts)))
    }
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn not_acceptable(request_id: String) -> HttpResponse {
    Reply {
        request_id,
        response_type: ResponseType::Json,
        statements: None,
    }
    .refuse(
        StatusCode::NOT_ACCEPTABLE,
        code::BAD_REQUEST,
        "acceptable response types are application/graphql-response+json and application/json",
    )
}
