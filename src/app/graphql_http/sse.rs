//! GraphQL over Server-Sent Events, in graphql-sse's distinct-connections
//! mode: a GraphQL-over-HTTP request with `Accept: text/event-stream` is
//! answered with an event stream, one `next` event per result and then
//! `complete`.
//!
//! The request itself (media types, body, batch, rate limit) is checked as
//! for JSON and refused with the same HTTP errors; what concerns its
//! operation (document, limits, trusted documents, cost budget, viewer)
//! answers in the stream, as the protocol requires, so that the client sees
//! the GraphQL errors. A subscription runs until the client closes the
//! connection. On shutdown its stream ends without `complete`, which
//! graphql-sse clients take for a lost connection and resubscribe, to
//! another instance, as WebSocket clients do after 1001. When the viewer's
//! access token expires, it ends with an UNAUTHENTICATED error and
//! `complete`, as the next event would have.

use std::{convert::Infallible, pin::Pin, time::Duration};

use async_graphql::{BatchResponse, Response};
use axum::{
    http::HeaderValue,
    response::{
        IntoResponse, Response as HttpResponse,
        sse::{Event, KeepAlive, Sse},
    },
};
use chrono::Utc;
use futures_util::{
    Stream, StreamExt,
    future::{self, BoxFuture, FutureExt},
    stream::{self, BoxStream},
};
use tokio::time::{Instant, sleep_until};

use super::{
    execute::{Refused, budget_key, charge},
    operation::Prepared,
    response::Reply,
};
use crate::{
    app::Http,
    auth::ConnectionToken,
    db::{StatementCount, StatementCounter},
    error::AppError,
    graphql::{Loaders, RequestMeta, guard},
    limits::ip_rate::RateDue,
    shutdown::Shutdown,
    telemetry::metrics::ActiveSubscription,
};

/// How often an idle stream gets a comment, so that proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// A one-off answer: a `next` event for each JSON body, then `complete`.
pub fn answer(bodies: Vec<String>, statements: Option<u64>) -> HttpResponse {
    let events = bodies
        .into_iter()
        .map(next)
        .chain(std::iter::once(complete()))
        .map(Ok::<_, Infallible>);
    let mut response = respond(stream::iter(events));
    if let Some(count) = statements {
        response.extensions_mut().insert(StatementCount(count));
    }
    response
}

/// Starts a subscription that passed every check, within the client's cost
/// budget like any operation over HTTP (charged once, when it starts), as
/// `meta`'s viewer; its events are streamed until it ends, the client
/// leaves, shutdown begins or the access token expires.
pub async fn subscribe(
    http: &Http,
    reply: Reply,
    meta: RequestMeta,
    token: Option<ConnectionToken>,
    prepared: Prepared,
    rate: Option<&RateDue>,
) -> HttpResponse {
    let state = &http.state;
    if state.config.bench.guardrails()
        && let Err(refused) = charge(state, &budget_key(&meta), prepared.cost, rate).await
    {
        return match refused {
            Refused::Budget(response) => reply.executed(BatchResponse::Single(*response)),
            Refused::Rate { retry_after } => reply.rate_limited(retry_after),
        };
    }
    let expires_at = token.as_ref().map(|t| {
        let remaining = (t.expires_at() - Utc::now().timestamp()).max(0) as u64;
        Instant::now() + Duration::from_secs(remaining)
    });
    let name = prepared.request.operation_name.clone();
    let document = prepared.document.clone();
    let mut request = prepared.runnable().data(meta).data(Loaders::uncached(
        &state.db,
        &state.caches.entities,
        &StatementCounter::default(),
    ));
    if let Some(token) = token {
        request = request.data(token);
    }
    let to_json = reply.clone();
    let results = http
        .schema
        .execute_stream(request)
        .map(move |mut response| {
            guard::complete(&document, name.as_deref(), &mut response);
            to_json.to_json(response)
        });
    let stop = stop(&state.shutdown, expires_at);
    respond(events(reply, results.boxed(), stop))
}

/// Why a subscription stops before it ends, when it does.
fn stop(shutdown: &Shutdown, expires_at: Option<Instant>) -> BoxFuture<'static, Stop> {
    let shutdown = shutdown.begun();
    async move {
        tokio::select! {
            () = shutdown => Stop::Shutdown,
            () = expiry(expires_at) => Stop::Expired,
        }
    }
    .boxed()
}

/// The events of a subscription's results (JSON bodies), counted as a
/// running subscription until the stream is dropped.
fn events(
    reply: Reply,
    results: BoxStream<'static, String>,
    stop: BoxFuture<'static, Stop>,
) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
    let running = Running {
        reply,
        results,
        stop,
        _active: ActiveSubscription::start(),
    };
    stream::unfold(Phase::Starting(Box::new(running)), step).map(Ok)
}

/// A subscription in progress.
struct Running {
    reply: Reply,
    /// Each result as its JSON body.
    results: BoxStream<'static, String>,
    /// Why it must stop before it ends.
    stop: BoxFuture<'static, Stop>,
    _active: ActiveSubscription,
}

enum Stop {
    Shutdown,
    Expired,
}

enum Phase {
    /// Not polled yet.
    Starting(Box<Running>),
    Running(Box<Running>),
    /// Its last result was sent: `complete` follows.
    Completing,
    Done,
}

async fn step(phase: Phase) -> Option<(Event, Phase)> {
    let mut running = match phase {
        // Polled once, the subscription listens: the first bytes sent, a
        // comment when it has nothing yet, tell the client so (and browsers
        // that wait for a byte of the body hand the response over).
        Phase::Starting(mut running) => {
            return match running.results.next().now_or_never() {
                Some(Some(body)) => Some((next(body), Phase::Running(running))),
                Some(None) => Some((complete(), Phase::Done)),
                None => Some((Event::DEFAULT_KEEP_ALIVE, Phase::Running(running))),
            };
        }
        Phase::Running(running) => running,
        Phase::Completing => return Some((complete(), Phase::Done)),
        Phase::Done => return None,
    };
    let stop = Pin::new(&mut running.stop);
    tokio::select! {
        biased;
        stopped = stop => match stopped {
            Stop::Shutdown => None,
            Stop::Expired => {
                let expired = AppError::Unauthenticated("the access token expired".into());
                let response = Response::from_errors(vec![expired.to_server_error(None)]);
                let body = running.reply.to_json(response);
                Some((next(body), Phase::Completing))
            }
        },
        result = running.results.next() => match result {
            Some(body) => Some((next(body), Phase::Running(running))),
            None => Some((complete(), Phase::Done)),
        },
    }
}

/// Completes when `at` has passed; never without one.
async fn expiry(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => future::pending().await,
    }
}

fn next(body: String) -> Event {
    Event::default().event("next").data(body)
}

fn complete() -> Event {
    Event::default().event("complete")
}

/// The event stream, with keep-alive comments, and unbuffered by nginx.
fn respond<S>(events: S) -> HttpResponse
where
    S: Stream<Item = Result<Event, Infallible>> + Send + 'static,
{
    let mut response = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}
