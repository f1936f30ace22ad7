//! SIGTERM drains: readiness turns 503, every request that reached the
//! server is answered, WebSockets close with 1001, and the process exits 0
//! within `SHUTDOWN_GRACE_SECS`.

mod draining;
mod load;
pub(crate) mod server;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::body::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::{Request, StatusCode, client::conn::http1::SendRequest, header::CONNECTION};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::{io::AsyncWriteExt, net::TcpStream, task::JoinHandle};

use self::{
    load::{Tally, read_catalog, read_catalog_kept_alive},
    server::Server,
};
use crate::{
    commerce::subscriptions::{Socket, connect, next, open, send},
    helpers::{TestApp, until},
    telemetry::sample,
};

const GRACE_SECS: u64 = 10;
const CLIENTS: usize = 32;
const MINUTE: Duration = Duration::from_secs(60);
const STOCK: &str = "subscription { stockChanged { id stock } }";

/// A `stockChanged` subscriber in each subprotocol.
async fn subscribers(server: &Server) -> [Socket; 2] {
    let mut modern = open(server.addr, None).await;
    send(
        &mut modern,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": STOCK } }),
    )
    .await;
    let mut legacy = connect(server.addr, "graphql-ws").await;
    send(
        &mut legacy,
        json!({ "type": "connection_init", "payload": {} }),
    )
    .await;
    let ack = next(&mut legacy, Duration::from_secs(5)).await;
    assert_eq!(ack.unwrap().unwrap()["type"], "connection_ack");
    send(
        &mut legacy,
        json!({ "id": "1", "type": "start", "payload": { "query": STOCK } }),
    )
    .await;
    [modern, legacy]
}

/// `CLIENTS` readers, once they have had 300 answers: SIGTERM then comes
/// under load.
async fn load<F: Future<Output = ()> + Send + 'static>(
    reader: impl Fn(Arc<Tally>) -> F,
) -> (Arc<Tally>, Vec<JoinHandle<()>>) {
    let tally = Arc::new(Tally::default());
    let clients = (0..CLIENTS)
        .map(|_| tokio::spawn(reader(tally.clone())))
        .collect();
    until(MINUTE, || async { tally.answered() >= 300 }).await;
    (tally, clients)
}

/// The close code the socket ends with (subscriptions get no `complete`:
/// the client resubscribes when it reconnects), closing it as a client does.
async fn close_code(mut socket: Socket) -> Option<u16> {
    match next(&mut socket, Duration::from_secs(GRACE_SECS)).await {
        Some(Err(code)) => code,
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_answers_every_accepted_request_and_closes_websockets_with_1001() {
    let app = TestApp::seeded().await;
    let metrics = [("METRICS_ADDR", "127.0.0.1:0")];
    let server = Server::start_with(app.database_url(), GRACE_SECS, &metrics).await;
    let [modern, legacy] = subscribers(&server).await;
    let listening = until(Duration::from_secs(10), || async {
        sample(&server.metrics().await, "tollgate_subscriptions_active") == Some(2.0)
    })
    .await;
    assert!(listening.is_some(), "both subscriptions run");
    let (tally, clients) = load(|tally| read_catalog(server.addr, tally, 400, MINUTE)).await;

    server.terminate();
    let signalled = Instant::now();
    let codes = [close_code(modern).await, close_code(legacy).await];
    for client in clients {
        client.await.unwrap();
    }
    let (status, took, log) = server
        .exit(signalled, Duration::from_secs(GRACE_SECS + 5))
        .await;

    println!(
        "{}; close codes {codes:?}; exit {status} after {took:?}",
        tally.summary()
    );
    assert_eq!(tally.failed(), 0, "{}", tally.summary());
    assert!(tally.answered() >= 300, "{}", tally.summary());
    assert_eq!(codes, [Some(1001), Some(1001)]);
    assert!(status.success(), "{status}; log:\n{log}");
    assert!(took < Duration::from_secs(GRACE_SECS), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_answers_the_requests_already_sent_over_keep_alive_connections() {
    let app = TestApp::seeded().await;
    let server = Server::start(app.database_url(), GRACE_SECS).await;
    // Each connection sends its next request as soon as it has an answer:
    // at any moment some are on their way while the server sees the
    // connection idle.
    let (tally, clients) = load(|tally| read_catalog_kept_alive(server.addr, tally, MINUTE)).await;

    server.terminate();
    let signalled = Instant::now();
    for client in clients {
        client.await.unwrap();
    }
    let (status, took, log) = server
        .exit(signalled, Duration::from_secs(GRACE_SECS + 5))
        .await;

    println!("{}; exit {status} after {took:?}", tally.summary());
    assert_eq!(tally.failed(), 0, "{}", tally.summary());
    assert!(status.success(), "{status}; log:\n{log}");
    assert!(took < Duration::from_secs(GRACE_SECS), "{took:?}");
}

/// A keep-alive connection that has answered a request, ready for the next.
async fn kept_alive(server: &Server) -> SendRequest<Empty<Bytes>> {
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let (status, _) = get(&mut sender, "/healthz").await.unwrap();
    assert_eq!(status, 200);
    sender
}

/// GET `path` over `sender`'s connection: the status and whether the
/// server closes the connection after it.
async fn get(
    sender: &mut SendRequest<Empty<Bytes>>,
    path: &str,
) -> Result<(StatusCode, bool), hyper::Error> {
    let request = Request::get(path)
        .header("host", "127.0.0.1")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await?;
    let closes = response
        .headers()
        .get(CONNECTION)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
    let status = response.status();
    response.into_body().collect().await?;
    Ok((status, closes))
}

#[tokio::test]
async fn a_request_sent_on_an_idle_keep_alive_connection_as_shutdown_begins_is_answered() {
    let app = TestApp::spawn().await;
    let server = Server::start(app.database_url(), GRACE_SECS).await;
    let mut idle = kept_alive(&server).await;
    let mut probe = kept_alive(&server).await;

    server.terminate();
    let signalled = Instant::now();
    // The probe's connection learns when draining has begun: only then does
    // an answer close the connection (readiness turns 503 too). Probes go
    // back to back, so it is never idle for long.
    loop {
        let (status, closes) = get(&mut probe, "/readyz")
            .await
            .expect("every probe is answered");
        if closes {
            break;
        }
        assert_eq!(status, StatusCode::OK, "ready until it drains");
        assert!(signalled.elapsed() < MINUTE, "the server never drained");
    }
    // The idle connection was idle as draining began. A request on it a
    // moment later (well within the half second a server keeps such a
    // connection) is one a client may have sent before it could know.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let answer = get(&mut idle, "/healthz").await;
    let (status, took, log) = server
        .exit(signalled, Duration::from_secs(GRACE_SECS + 5))
        .await;

    assert!(
        matches!(answer, Ok((StatusCode::OK, true))),
        "answered with Connection: close, got {answer:?}"
    );
    assert!(status.success(), "{status}; log:\n{log}");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_does_not_hold_up_the_exit() {
    let app = TestApp::spawn().await;
    let server = Server::start(app.database_url(), GRACE_SECS).await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let connection = tokio::spawn(connection);
    let request = Request::get("/healthz")
        .header("host", "127.0.0.1")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_ne!(
        response.headers().get("connection").map(|v| v.as_bytes()),
        Some(&b"close"[..])
    );
    response.into_body().collect().await.unwrap();

    server.terminate();
    let signalled = Instant::now();
    let (status, took, log) = server
        .exit(signalled, Duration::from_secs(GRACE_SECS + 5))
        .await;

    assert!(status.success(), "{status}; log:\n{log}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(
        connection.await.unwrap().is_ok(),
        "closed cleanly, not reset"
    );
}

#[tokio::test]
async fn a_request_still_unfinished_at_the_deadline_is_dropped_and_the_exit_is_1() {
    let app = TestApp::spawn().await;
    let server = Server::start(app.database_url(), 1).await;
    let mut stalled = TcpStream::connect(server.addr).await.unwrap();
    stalled
        .write_all(b"POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\n")
        .await
        .unwrap();

    server.terminate();
    let signalled = Instant::now();
    let (status, took, log) = server.exit(signalled, Duration::from_secs(10)).await;

    assert_eq!(status.code(), Some(1), "{log}");
    assert!(log.contains("SHUTDOWN_GRACE_SECS"), "{log}");
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(3),
        "{took:?}"
    );
}
