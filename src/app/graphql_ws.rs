//! GraphQL subscriptions over WebSocket on `/graphql`, in both subprotocols
//! (`graphql-transport-ws` and the legacy `graphql-ws`).
//!
//! The access token comes in the `connection_init` payload (`Authorization:
//! Bearer …`, `authorization`, or `authToken` with the bare token). No token
//! is an anonymous connection; a bad one closes the socket with 4403, and so
//! does the token's expiry while the socket is open (1013 when the session
//! cannot be checked now, 1011 when its user cannot be read). Subscriptions re-check
//! the session on every event. On shutdown the connection closes with 1001
//! once the queries and mutations it runs have answered (`ws_drain`).

use std::{
    net::IpAddr,
    sync::{Arc, Mutex},
};

use async_graphql::{
    Data, Executor, Request, Response, ServerError,
    http::{WebSocket as GraphQLWebSocket, WebSocketProtocols},
    parser::types::{ExecutableDocument, OperationType},
};
use axum::{
    extract::{
        FromRequestParts, WebSocketUpgrade,
        ws::{CloseFrame, Message, WebSocket},
    },
    http::{header, request::Parts},
    response::Response as HttpResponse,
};
use chrono::Utc;
use futures_util::{
    SinkExt, StreamExt, future,
    stream::{self, BoxStream},
};
use tokio::time::{Duration, Instant, sleep_until};

use super::{
    Http,
    ws_drain::{self, GOING_AWAY, InFlight},
    ws_refusals::{Refusals, Rewriter},
};
use crate::{
    auth::{self, Viewer},
    db::StatementCounter,
    graphql::{Loaders, RequestMeta, finalize_errors, guard},
    limits::analysis::operation,
    telemetry::{Observed, metrics::ActiveSubscription},
};

/// Close code for a refused or expired token.
const FORBIDDEN: u16 = 4403;

/// A WebSocket upgrade request for GraphQL, when the request is one, with the
/// first GraphQL subprotocol the client offers.
pub struct Upgrade(pub Option<(WebSocketUpgrade, WebSocketProtocols)>);

impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let wants = parts
            .headers
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
        if !wants {
            return Ok(Self(None));
        }
        let upgrade = WebSocketUpgrade::from_request_parts(parts, state)
            .await
            .ok();
        let protocol = parts
            .headers
            .get(header::SEC_WEBSOCKET_PROTOCOL)
            .and_then(|v| v.to_str().ok())
            .and_then(|offered| offered.split(',').find_map(|p| p.trim().parse().ok()));
        Ok(Self(upgrade.zip(protocol)))
    }
}

/// What the connection learnt at `connection_init`.
#[derive(Default)]
struct Handshake {
    /// Why the connection was refused: its close code and reason.
    refused: Option<(u16, &'static str)>,
    expires_at: Option<Instant>,
}

impl Handshake {
    fn refusal(handshake: &Mutex<Self>) -> Option<(u16, &'static str)> {
        handshake.lock().ok().and_then(|h| h.refused)
    }
}

/// Close code for a token that could not be checked because the database
/// is unavailable ("try again later"): the client keeps its token.
const TRY_AGAIN_LATER: u16 = 1013;
/// Close code for a token whose user cannot be read (a stored value this
/// version does not know): the server's fault, not the token's.
const INTERNAL_ERROR: u16 = 1011;

/// Accepts the upgrade and serves the connection.
pub fn upgrade(
    http: Http,
    ws: WebSocketUpgrade,
    protocol: WebSocketProtocols,
    request_id: String,
    client_ip: IpAddr,
) -> HttpResponse {
    let limit = http.state.config.http.body_limit_bytes;
    ws.protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| serve(http, socket, protocol, request_id, client_ip))
}

async fn serve(
    http: Http,
    socket: WebSocket,
    protocol: WebSocketProtocols,
    request_id: String,
    client_ip: IpAddr,
) {
    let handshake = Arc::new(Mutex::new(Handshake::default()));
    let (mut sink, stream) = socket.split();
    let refusals = (protocol == WebSocketProtocols::GraphQLWS).then(Refusals::default);
    let mut rewriter = Rewriter::new(refusals.clone());
    let shutdown = http.state.shutdown.clone();
    let in_flight = InFlight::default();
    let input = stream
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map(|message| {
            future::ready(match message {
                Ok(Message::Text(text)) => Some(text.as_bytes().to_vec()),
                Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
                _ => None,
            })
        });
    let input = ws_drain::until_shutdown(input, &shutdown);
    let init = {
        let (http, handshake, request_id) = (http.clone(), handshake.clone(), request_id.clone());
        move |payload: serde_json::Value| {
            init(
                http.clone(),
                handshake.clone(),
                payload,
                request_id.clone(),
                client_ip,
            )
        }
    };
    let executor = Guarded {
        http: http.clone(),
        request_id: request_id.clone(),
        refusals,
        in_flight: in_flight.clone(),
    };
    let messages = GraphQLWebSocket::new(executor, input, protocol)
        .on_connection_init(init)
        .keepalive_timeout(Duration::from_secs(30));
    futures_util::pin_mut!(messages);
    let begun = shutdown.begun();
    futures_util::pin_mut!(begun);
    let mut draining = false;
    loop {
        if draining && in_flight.is_idle() {
            close(&mut sink, GOING_AWAY, "going away").await;
            return;
        }
        let expires_at = handshake.lock().ok().and_then(|h| h.expires_at);
        let expiry = async move {
            match expires_at {
                Some(at) => sleep_until(at).await,
                None => future::pending::<()>().await,
            }
        };
        let outgoing = tokio::select! {
            () = &mut begun, if !draining => {
                draining = true;
                continue;
            }
            message = messages.next() => message,
            () = expiry => {
                close(&mut sink, FORBIDDEN, "the access token expired").await;
                return;
            }
        };
        let Some(message) = outgoing else {
            if let Some((code, reason)) = Handshake::refusal(&handshake) {
                close(&mut sink, code, reason).await;
            }
            return;
        };
        let frame = match message {
            async_graphql::http::WsMessage::Text(text) => match rewriter.rewrite(text) {
                Some(text) => Message::Text(text.into()),
                None => continue,
            },
            async_graphql::http::WsMessage::Close(code, reason) => {
                match Handshake::refusal(&handshake) {
                    Some((code, reason)) => close(&mut sink, code, reason).await,
                    None => close(&mut sink, code, &reason).await,
                }
                return;
            }
        };
        if sink.send(frame).await.is_err() {
            return;
        }
    }
}

async fn close<S>(sink: &mut S, code: u16, reason: &str)
where
    S: futures_util::Sink<Message> + Unpin,
{
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = sink.send(Message::Close(Some(frame))).await;
    let _ = sink.close().await;
}

/// The bearer token of a `connection_init` payload, if any.
fn token(payload: &serde_json::Value) -> Option<String> {
    let bearer = |key: &str| {
        payload.get(key).and_then(|v| v.as_str()).map(|v| {
            v.trim()
                .strip_prefix("Bearer ")
                .or_else(|| v.trim().strip_prefix("bearer "))
                .unwrap_or(v.trim())
                .to_owned()
        })
    };
    bearer("Authorization")
        .or_else(|| bearer("authorization"))
        .or_else(|| {
            payload
                .get("authToken")
                .and_then(|v| v.as_str())
                .map(|v| v.trim().to_owned())
        })
        .filter(|t| !t.is_empty())
}

async fn init(
    http: Http,
    handshake: Arc<Mutex<Handshake>>,
    payload: serde_json::Value,
    request_id: String,
    client_ip: IpAddr,
) -> async_graphql::Result<Data> {
    let state = &http.state;
    let mut data = Data::default();
    let viewer = match token(&payload) {
        None => Viewer::Anonymous,
        Some(token) => {
            let verified = match auth::verify_bearer(state, &token).await {
                (viewer @ Viewer::User { .. }, Some(kept)) => Ok((viewer, kept)),
                (Viewer::Unverifiable, _) => Err((TRY_AGAIN_LATER, "try again later")),
                (Viewer::Unreadable, _) => Err((INTERNAL_ERROR, "internal error")),
                _ => Err((FORBIDDEN, "Forbidden")),
            };
            let (viewer, kept) = match verified {
                Ok(verified) => verified,
                Err(refusal) => {
                    if let Ok(mut h) = handshake.lock() {
                        h.refused = Some(refusal);
                    }
                    return Err(refusal.1.into());
                }
            };
            let remaining = (kept.expires_at() - Utc::now().timestamp()).max(0) as u64;
            if let Ok(mut h) = handshake.lock() {
                h.expires_at = Some(Instant::now() + Duration::from_secs(remaining));
            }
            data.insert(kept);
            viewer
        }
    };
    data.insert(RequestMeta {
        request_id,
        viewer,
        client_ip,
    });
    data.insert(Loaders::uncached(
        &state.db,
        &state.caches.entities,
        &StatementCounter::default(),
    ));
    Ok(data)
}

/// The schema behind the guard every operation goes through (trusted
/// documents, limits), with the binding error details on every event.
#[derive(Clone)]
struct Guarded {
    http: Http,
    request_id: String,
    /// Where refusals are marked, in graphql-transport-ws.
    refusals: Option<Refusals>,
    /// The queries and mutations running, for the drain on shutdown.
    in_flight: InFlight,
}

impl Guarded {
    /// Starts observing an operation of this connection. Its loaders are the
    /// connection's, so its statements are not told apart from the others'.
    fn observe(&self, request: &Request) -> Observed {
        let slow = self.http.state.config.telemetry.slow_operation;
        Observed::start(request.operation_name.as_deref(), slow)
    }

    fn refused(&self, errors: Vec<ServerError>) -> Response {
        let mut response = Response::from_errors(errors);
        self.finalize(&mut response);
        response
    }

    /// Gives every error its code and the request id, and marks a response
    /// to an operation that never ran (refused by the guard or by
    /// async-graphql's validation) as a refusal.
    fn finalize(&self, response: &mut Response) {
        finalize_errors(response, &self.request_id);
        let never_ran = response.data == async_graphql::Value::Null
            && !response.errors.is_empty()
            && response.errors.iter().all(|e| e.path.is_empty());
        if let Some(refusals) = self.refusals.as_ref().filter(|_| never_ran) {
            refusals.mark(response);
        }
    }
}

impl Executor for Guarded {
    async fn execute(&self, mut request: Request) -> Response {
        let mut observed = self.observe(&request);
        let scope = observed.scope();
        let response = scope
            .run(async {
                match guard::admit(&self.http.state, &mut request, None).await {
                    Ok(checked) => {
                        observed.checked(&checked.parsed.document, &request.query, checked.cost());
                        let name = request.operation_name.clone();
                        let mut response = self.http.schema.execute(request).await;
                        guard::complete(&checked.parsed.document, name.as_deref(), &mut response);
                        self.finalize(&mut response);
                        response
                    }
                    Err(errors) => self.refused(errors),
                }
            })
            .await;
        observed.finish(&response.errors, None);
        response
    }

    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let this = self.clone();
        // Counted from now: the drain on shutdown waits for it.
        let running = self.in_flight.start();
        let mut observed = self.observe(&request);
        let scope = observed.scope();
        stream::once(scope.run(async move {
            let checked = match guard::admit(&this.http.state, &mut request, None).await {
                Ok(checked) => checked,
                Err(errors) => {
                    let refused = this.refused(errors);
                    observed.finish(&refused.errors, None);
                    return stream::once(async move {
                        drop(running);
                        refused
                    })
                    .boxed();
                }
            };
            observed.checked(&checked.parsed.document, &request.query, checked.cost());
            let name = request.operation_name.clone();
            let subscription = is_subscription(&checked.parsed.document, name.as_deref());
            // A subscription runs until the client stops it: the drain does
            // not wait for it, and it is counted as an operation once started.
            let running = (!subscription).then_some(running);
            let (active, mut observed) = if subscription {
                observed.finish(&[], None);
                (Some(ActiveSubscription::start()), None)
            } else {
                (None, Some(observed))
            };
            let session_data = session_data.unwrap_or_default();
            this.http
                .schema
                .execute_stream_with_session_data(request, session_data)
                .map(move |mut response| {
                    let _running = (&running, &active);
                    guard::complete(&checked.parsed.document, name.as_deref(), &mut response);
                    this.finalize(&mut response);
                    if let Some(observed) = observed.take() {
                        observed.finish(&response.errors, None);
                    }
                    response
                })
                .boxed()
        }))
        .flatten()
        .boxed()
    }
}

fn is_subscription(document: &ExecutableDocument, name: Option<&str>) -> bool {
    operation(document, name).is_some_and(|op| op.node.ty == OperationType::Subscription)
}
