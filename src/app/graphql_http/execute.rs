//! Running operations as the request's viewer: per-operation loaders,
//! statement counting, the client's cost budget, and the public response cache.

use async_graphql::{BatchResponse, Response, parser::types::OperationType};
use axum::{
    Extension,
    http::{StatusCode, header},
    response::Response as HttpResponse,
};

use super::{
    incoming::Incoming,
    operation::{self, Prepared, Unprepared},
    response::{Public, PublicBody, Reply},
    sse,
};
use crate::{
    app::{AppState, Http, client},
    auth::{self, Viewer},
    cache::responses::PublicAnswer,
    db::StatementCounter,
    error::{AppError, code},
    graphql::{Loaders, RequestMeta, guard},
    limits::{
        analysis,
        budget::{Taken, ThrottleStatus, actual_cost, cost_extension},
        ip_rate::RateDue,
    },
    telemetry::{Observed, metrics},
};

/// Where a request came from: its socket peer, and its count against its
/// client's rate while still due (made with its first operation's cost).
pub struct Origin {
    peer: Option<std::net::IpAddr>,
    rate: Option<RateDue>,
}

impl Origin {
    pub fn new(peer: Option<std::net::IpAddr>, rate: Option<Extension<RateDue>>) -> Self {
        Self {
            peer,
            rate: rate.map(|Extension(rate)| rate),
        }
    }
}

/// How the operations came.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Get,
    Post,
}

/// Who spends the cost budget: the user when signed in, else the client IP.
pub(super) fn budget_key(meta: &RequestMeta) -> String {
    match meta.viewer.user_id() {
        Some(id) => format!("user:{id}"),
        None => format!("ip:{}", meta.client_ip),
    }
}

/// Runs the operations of one HTTP request.
pub async fn execute(
    http: &Http,
    mut reply: Reply,
    headers: &axum::http::HeaderMap,
    origin: Origin,
    via: Via,
    operations: Vec<Incoming>,
    batched: bool,
) -> HttpResponse {
    let state = &http.state;
    // The session check behind a token is cached (one query per session and
    // second), so it is not counted against the operation.
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let (viewer, token) = auth::authenticate_keeping(state, authorization).await;
    let anonymous = viewer == Viewer::Anonymous;
    let meta = RequestMeta {
        request_id: reply.request_id.clone(),
        viewer,
        client_ip: client::client_ip(origin.peer, headers, &state.config.http.trusted_proxies),
    };
    let counter = StatementCounter::default();
    let slow = state.config.telemetry.slow_operation;
    let mut responses = Vec::with_capacity(operations.len());
    for incoming in operations {
        let mut observed = Observed::start(incoming.request.operation_name.as_deref(), slow);
        let prepared = observed
            .scope()
            .run(operation::prepare(
                state,
                incoming.request,
                incoming.document_id.as_deref(),
                anonymous && !batched,
            ))
            .await;
        let prepared = match prepared {
            Ok(prepared) => prepared,
            Err(Unprepared::Untrusted) => {
                let error = AppError::Untrusted.to_server_error(None);
                observed.finish(std::slice::from_ref(&error), 0);
                if !batched && !reply.event_stream {
                    return reply.refuse(StatusCode::BAD_REQUEST, AppError::Untrusted);
                }
                responses.push(Response::from_errors(vec![error]));
                continue;
            }
            Err(Unprepared::Error(errors)) => {
                observed.finish(&errors, 0);
                responses.push(Response::from_errors(errors));
                continue;
            }
        };
        observed.checked(&prepared.document, &prepared.request.query, prepared.cost);
        if reply.event_stream && is_subscription(&prepared) {
            observed.finish(&[], None);
            return sse::subscribe(http, reply, meta, token, prepared, origin.rate.as_ref()).await;
        }
        if via == Via::Get && !is_query(&prepared) {
            observed.refused(code::BAD_REQUEST);
            return reply.only_queries_over_get();
        }
        let before = counter.get();
        let ran = observed
            .scope()
            .run(run(
                http,
                &meta,
                &reply,
                &counter,
                prepared,
                origin.rate.as_ref(),
            ))
            .await;
        let statements = counter.get() - before;
        match ran {
            Ran::Response(response) => {
                observed.finish(&response.errors, statements);
                responses.push(response);
            }
            Ran::Refused(Refused::Budget(response)) => {
                observed.finish(&response.errors, statements);
                responses.push(*response);
            }
            Ran::Refused(Refused::Rate { retry_after }) => {
                observed.refused(code::RATE_LIMITED);
                return reply.rate_limited(retry_after);
            }
            Ran::Public(body, public) => {
                observed.finish(&[], statements);
                if !batched {
                    return reply.public(body, public);
                }
            }
        }
    }
    reply.statements = Some(counter.get());
    match responses.pop() {
        Some(one) if !batched => reply.executed(BatchResponse::Single(one)),
        last => {
            responses.extend(last);
            reply.executed(BatchResponse::Batch(responses))
        }
    }
}

enum Ran {
    Response(Response),
    Refused(Refused),
    /// A public answer's body and cache state.
    Public(PublicBody, Public),
}

/// Runs one prepared operation within the client's cost budget.
async fn run(
    http: &Http,
    meta: &RequestMeta,
    reply: &Reply,
    counter: &StatementCounter,
    prepared: Prepared,
    rate: Option<&RateDue>,
) -> Ran {
    let state = &http.state;
    let name = prepared.request.operation_name.clone();
    let document = prepared.document.clone();
    let complete = |mut response: Response| {
        guard::complete(&document, name.as_deref(), &mut response);
        response
    };
    let (cost, public_key) = (prepared.cost, prepared.public_key);
    if !state.config.bench.guardrails() {
        let request = prepared.runnable().data(meta.clone()).data(Loaders::new(
            &state.db,
            &state.caches.entities,
            counter,
        ));
        return Ran::Response(complete(counter.scope(http.schema.execute(request)).await));
    }
    let client = budget_key(meta);
    let (requested, status) = match charge(state, &client, cost, rate).await {
        Ok(charged) => charged,
        Err(refused) => return Ran::Refused(refused),
    };
    let responses = &state.caches.responses;
    let max_age = responses.max_age();
    if let Some(answer) = public_key.and_then(|key| responses.get(&key)) {
        // Charged as computing it was, so that a hit and a miss say the same.
        let actual = answer.cost().min(requested);
        let cost = settle(state, &client, requested, actual, status).await;
        return Ran::Public(reply.public_body(&answer, cost), Public::Hit { max_age });
    }
    let request = prepared.runnable().data(meta.clone()).data(Loaders::new(
        &state.db,
        &state.caches.entities,
        counter,
    ));
    let generation = responses.generation();
    let mut response = complete(counter.scope(http.schema.execute(request)).await);
    let computed = actual_cost(&response.data);
    let actual = computed.min(requested);
    let cost = settle(state, &client, requested, actual, status).await;
    if let Some(key) = public_key.filter(|_| response.errors.is_empty())
        && let Ok(answer) = serde_json::value::to_raw_value(&response.data)
    {
        let answer = PublicAnswer::new(answer, computed);
        responses.put(key, answer.clone(), generation);
        return Ran::Public(reply.public_body(&answer, cost), Public::Miss { max_age });
    }
    response.extensions.insert(
        "cost".into(),
        async_graphql::Value::from_json(cost).unwrap_or_default(),
    );
    Ran::Response(response)
}

/// Gives back what an operation took beyond its `actual` cost: its
/// `extensions.cost`.
async fn settle(
    state: &AppState,
    client: &str,
    requested: u64,
    actual: u64,
    status: ThrottleStatus,
) -> serde_json::Value {
    // Nothing to give back: the status after taking stands.
    let status = if actual < requested {
        state
            .budgets
            .give_back(client, requested - actual, status)
            .await
    } else {
        status
    };
    cost_extension(requested, actual, status)
}

/// Takes an operation's cost from the client's budget, counting the request
/// against its client's rate first when `rate` still has that due (both in
/// one round trip to Redis): the points taken and the bucket's state, or why
/// the operation is refused.
pub(super) async fn charge(
    state: &AppState,
    client: &str,
    cost: u64,
    rate: Option<&RateDue>,
) -> Result<(u64, ThrottleStatus), Refused> {
    // An operation over the cost limit is refused by the limits, not charged.
    let requested = if cost > state.config.limits.operation.cost {
        0
    } else {
        cost
    };
    let rate = rate.and_then(RateDue::claim);
    match state.budgets.take(client, requested, rate).await {
        Taken::Granted(status) => Ok((requested, status)),
        Taken::Refused {
            retry_after,
            status,
        } => {
            metrics::refusal("budget");
            let limited = AppError::RateLimited { retry_after }.to_server_error(None);
            let mut response = Response::from_errors(vec![limited]);
            let cost = cost_extension(requested, 0, status);
            response.extensions.insert(
                "cost".into(),
                async_graphql::Value::from_json(cost).unwrap_or_default(),
            );
            Err(Refused::Budget(Box::new(response)))
        }
        Taken::RateLimited { retry_after } => {
            metrics::refusal("rate");
            Err(Refused::Rate { retry_after })
        }
    }
}

/// Why an operation was not run.
pub(super) enum Refused {
    /// Over the client's cost budget: the operation's response.
    Budget(Box<Response>),
    /// The request was over its client's rate: refused as a whole, as the
    /// rate limit refuses any request.
    Rate { retry_after: u64 },
}

/// Whether the operation is a subscription.
fn is_subscription(prepared: &Prepared) -> bool {
    let name = prepared.request.operation_name.as_deref();
    analysis::operation(&prepared.document, name)
        .is_some_and(|op| op.node.ty == OperationType::Subscription)
}

/// Whether the operation is a query (a document that does not parse is left
/// for execution to report).
fn is_query(prepared: &Prepared) -> bool {
    let name = prepared.request.operation_name.as_deref();
    analysis::operation(&prepared.document, name)
        .is_none_or(|op| op.node.ty == OperationType::Query)
}
