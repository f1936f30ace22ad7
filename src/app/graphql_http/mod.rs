//! GraphQL over HTTP, per the GraphQL-over-HTTP specification: POST with a
//! JSON body (single operation or a bounded batch), GET for queries only,
//! `Accept` negotiation, and HTTP status codes that tell request errors apart.

mod negotiate;
mod response;

use std::{collections::HashMap, net::IpAddr};

use async_graphql::{BatchRequest, Request, Variables, parser::types::OperationType};
use axum::{
    body::Body,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response as HttpResponse},
};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use self::{negotiate::ResponseType, response::Reply};
use super::{
    Http, client, graphiql,
    graphql_ws::{self, Upgrade},
    request_id::RequestId,
};
use crate::{
    auth,
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
    if requests.iter().any(|r| r.query.trim().is_empty()) {
        return reply.refuse(
            StatusCode::BAD_REQUEST,
            code::BAD_REQUEST,
            "`query` is required",
        );
    }
    execute(&http, reply, &headers, peer, batch).await
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
    let mut request = request;
    let operation_name = request.operation_name.clone();
    if let Ok(document) = request.parsed_query() {
        let operation_type = selected_operation_type(document, operation_name.as_deref());
        if operation_type.is_some_and(|t| t != OperationType::Query) {
            let mut refused = reply.refuse(
                StatusCode::METHOD_NOT_ALLOWED,
                code::BAD_REQUEST,
                "only queries may be sent with GET; use POST",
            );
            refused
                .headers_mut()
                .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
            return refused;
        }
    }
    execute(&http, reply, &headers, peer, BatchRequest::Single(request)).await
}

fn request_from_params(params: GetParams) -> Result<Request, ()> {
    let query = params.query.filter(|q| !q.trim().is_empty()).ok_or(())?;
    let mut request = Request::new(query);
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
    Ok(request)
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
/// counting SQL statements.
async fn execute(
    http: &Http,
    mut reply: Reply,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
    batch: BatchRequest,
) -> HttpResponse {
    let state = &http.state;
    let db = &state.db;
    // The session check behind a token is cached (one query per session and
    // second), so it is not counted against the operation.
    let viewer = auth::authenticate(
        &state.keys,
        &state.sessions,
        db,
        header_str(headers, header::AUTHORIZATION),
    )
    .await;
    let counter = StatementCounter::default();
    let meta = RequestMeta {
        request_id: reply.request_id.clone(),
        viewer,
        client_ip: client::client_ip(peer, headers, &state.config.trusted_proxies),
    };
    let prepare = |request: Request| request.data(meta.clone()).data(Loaders::new(db, &counter));
    let batch = match batch {
        BatchRequest::Single(request) => BatchRequest::Single(prepare(request)),
        BatchRequest::Batch(requests) => {
            BatchRequest::Batch(requests.into_iter().map(prepare).collect())
        }
    };
    let response = counter.scope(http.schema.execute_batch(batch)).await;
    if http.state.config.expose_sql_count {
        reply.statements = Some(counter.get());
    }
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
