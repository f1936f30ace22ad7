//! Catalog readers, on a new connection per request or on keep-alive
//! connections, each request's fate counted.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, client::conn::http1::SendRequest, header::CONNECTION};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;

const CATALOG: &str = "{ products(first: 20) { edges { node { id name priceCents } } } }";

/// What became of the requests.
#[derive(Default)]
pub struct Tally {
    /// Answered in full with the catalog.
    pub answered: AtomicUsize,
    /// Refused at connect: the listener had closed.
    pub refused: AtomicUsize,
    /// Connected, then reset, cut short or answered wrongly.
    pub failed: AtomicUsize,
    pub failures: Mutex<Vec<String>>,
}

impl Tally {
    pub fn answered(&self) -> usize {
        self.answered.load(Ordering::SeqCst)
    }

    pub fn failed(&self) -> usize {
        self.failed.load(Ordering::SeqCst)
    }

    /// The counts, and each kind of failure once.
    pub fn summary(&self) -> String {
        let failures = self.failures.lock().unwrap();
        let mut kinds: Vec<&String> = failures.iter().collect();
        kinds.sort();
        kinds.dedup();
        format!(
            "answered {}, refused {}, failed {} ({kinds:?})",
            self.answered(),
            self.refused.load(Ordering::SeqCst),
            self.failed(),
        )
    }
}

/// Sends up to `count` catalog queries, one connection each, until the
/// server refuses connections or `within` has passed.
pub async fn read_catalog(addr: SocketAddr, tally: Arc<Tally>, count: usize, within: Duration) {
    let until = Instant::now() + within;
    for _ in 0..count {
        if Instant::now() > until {
            return;
        }
        let Ok(stream) = TcpStream::connect(addr).await else {
            tally.refused.fetch_add(1, Ordering::SeqCst);
            return;
        };
        match one_request(stream).await {
            Ok(()) => {
                tally.answered.fetch_add(1, Ordering::SeqCst);
            }
            Err(failure) => {
                tally.failed.fetch_add(1, Ordering::SeqCst);
                tally.failures.lock().unwrap().push(failure);
            }
        }
    }
}

async fn one_request(stream: TcpStream) -> Result<(), String> {
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(connection);
    catalog(&mut sender).await.map(|_| ())
}

/// Sends catalog queries back to back over one keep-alive connection until
/// `within` has passed or the server closes it (`Connection: close`). It
/// does not reconnect: a connection opened while the server closes its
/// listening socket may complete in the kernel after the last accept and be
/// reset, which no server can prevent; `read_catalog` races that instead.
pub async fn read_catalog_kept_alive(addr: SocketAddr, tally: Arc<Tally>, within: Duration) {
    let until = Instant::now() + within;
    let Ok(stream) = TcpStream::connect(addr).await else {
        tally.refused.fetch_add(1, Ordering::SeqCst);
        return;
    };
    let Ok((mut sender, connection)) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    else {
        tally.refused.fetch_add(1, Ordering::SeqCst);
        return;
    };
    tokio::spawn(connection);
    while Instant::now() < until {
        match catalog(&mut sender).await {
            Ok(Kept::Open) => {
                tally.answered.fetch_add(1, Ordering::SeqCst);
            }
            Ok(Kept::Closed) => {
                tally.answered.fetch_add(1, Ordering::SeqCst);
                return;
            }
            Err(failure) => {
                tally.failed.fetch_add(1, Ordering::SeqCst);
                tally.failures.lock().unwrap().push(failure);
                return;
            }
        }
    }
}

/// Whether the server keeps the connection open after an answer.
enum Kept {
    Open,
    Closed,
}

/// One catalog query over `sender`'s connection, answered in full.
async fn catalog(sender: &mut SendRequest<Full<Bytes>>) -> Result<Kept, String> {
    let body = json!({ "query": CATALOG }).to_string();
    let request = Request::post("/graphql")
        .header("host", "127.0.0.1")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("request: {e:?}"))?;
    let status = response.status();
    let kept = match response.headers().get(CONNECTION) {
        Some(value) if value.as_bytes().eq_ignore_ascii_case(b"close") => Kept::Closed,
        _ => Kept::Open,
    };
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("body: {e:?}"))?
        .to_bytes();
    let body: Value = serde_json::from_slice(&body).map_err(|e| format!("{status}: {e}"))?;
    match body["data"]["products"]["edges"].as_array() {
        Some(edges) if status == 200 && !edges.is_empty() => Ok(kept),
        _ => Err(format!("{status}: {body}")),
    }
}
