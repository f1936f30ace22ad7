//! One worker's HTTP/1.1 server, written out rather than `axum::serve` for
//! a graceful shutdown that loses no request:
//!
//! - connections the kernel has already accepted when shutdown begins (the
//!   listen backlog) are taken and served before this worker closes its
//!   handle on the listening socket, which would reset them;
//! - every connection finishes the request it is receiving and answers it
//!   with `Connection: close`;
//! - a keep-alive connection idle when shutdown begins stays open for a
//!   moment (`LAME_DUCK`), answering with `Connection: close` the request a
//!   client may already have sent on it, and is closed only after: closing
//!   it at once would lose that request (the client sees the connection
//!   closed before any answer, and cannot tell whether it was run);
//! - a connection yet to deliver its first request, which hyper's graceful
//!   shutdown would close as though idle (a client that has connected and
//!   is sending would see it reset), is left to deliver that request and
//!   gets the same answer;
//! - connections close lingering (`linger`), and the worker waits for them,
//!   WebSockets upgraded from them included, up to `SHUTDOWN_GRACE_SECS`.
//!
//! hyper's own HTTP/1 connection is used: hyper-util's `auto` one cannot
//! tell a fresh connection from an idle one either, and the server speaks
//! HTTP/1 only (hyper-util's `GracefulShutdown` does not take hyper's
//! upgradeable HTTP/1 connection, hence the few lines that do its work).

use std::{
    io,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::{
    Extension, Router,
    extract::ConnectInfo,
    http::{HeaderValue, Request, StatusCode, header},
    response::Response,
};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{rt::TokioIo, service::TowerToHyperService};
use tokio::{net::TcpStream, time::Instant};
use tokio_util::task::TaskTracker;
use tower::{Layer, ServiceExt};

use super::linger::Lingering;
use crate::shutdown::Shutdown;

/// How long a keep-alive connection idle at shutdown still takes a request.
/// A client sending one back to back with the previous answer has sent it
/// well within this; one idle for longer is closed.
const LAME_DUCK: Duration = Duration::from_millis(500);

/// Connections still open when a worker gave up waiting for them.
#[derive(Debug, thiserror::Error)]
#[error("SHUTDOWN_GRACE_SECS ran out with {0} connection(s) still open; they were dropped")]
pub struct Abandoned(pub usize);

/// Serves `listener` until `shutdown` begins, then drains as described above
/// and returns once every connection has closed, or with [`Abandoned`] when
/// `grace` ran out first.
pub async fn serve(
    listener: std::net::TcpListener,
    router: Router,
    shutdown: Shutdown,
    grace: Duration,
) -> anyhow::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let server = Server {
        router,
        shutdown,
        open: TaskTracker::new(),
        lame_duck: LAME_DUCK.min(grace / 2),
    };
    server.accept_until_shutdown(&listener).await;
    let deadline = Instant::now() + grace;
    server.take_backlog(listener.into_std()?);
    server.open.close();
    match tokio::time::timeout_at(deadline, server.open.wait()).await {
        Ok(()) => Ok(()),
        Err(_) => Err(Abandoned(server.open.len()).into()),
    }
}

struct Server {
    router: Router,
    shutdown: Shutdown,
    /// Every connection until its socket is closed.
    open: TaskTracker,
    /// How long idle keep-alive connections stay open once shutdown begins.
    lame_duck: Duration,
}

impl Server {
    async fn accept_until_shutdown(&self, listener: &tokio::net::TcpListener) {
        let begun = self.shutdown.begun();
        tokio::pin!(begun);
        loop {
            tokio::select! {
                biased;
                () = &mut begun => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => self.spawn(stream, peer),
                    Err(err) => pause_after(err).await,
                },
            }
        }
    }

    /// Takes every connection waiting in the backlog, without blocking,
    /// then drops this worker's handle on the listening socket.
    fn take_backlog(&self, listener: std::net::TcpListener) {
        loop {
            match listener.accept() {
                Ok((stream, peer)) => match adopt(stream) {
                    Ok(stream) => self.spawn(stream, peer),
                    Err(err) => tracing::warn!("cannot serve a connection: {err}"),
                },
                Err(err) if is_connection_error(&err) => continue,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(err) => {
                    tracing::warn!("stopped taking the listen backlog: {err}");
                    return;
                }
            }
        }
    }

    /// Serves one connection on this worker's runtime until it ends, or,
    /// once shutdown has begun, until it has answered the request it is
    /// receiving or is yet to receive.
    fn spawn(&self, stream: TcpStream, peer: SocketAddr) {
        // WebSocket frames are small writes that Nagle's algorithm would hold
        // back until the previous one is acknowledged (40 ms on Linux).
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(Lingering::new(stream, self.open.token()));
        let started = Arc::new(AtomicBool::new(false));
        // Handlers read the peer address (rate limits, client IP).
        let service = Extension(ConnectInfo(peer))
            .layer(self.router.clone())
            .map_request(mark_started(started.clone()))
            .map_response(close_when_draining(self.shutdown.clone()));
        let begun = self.shutdown.begun();
        let lame_duck = self.lame_duck;
        tokio::spawn(async move {
            let connection = http1::Builder::new()
                .serve_connection(io, TowerToHyperService::new(service))
                .with_upgrades();
            tokio::pin!(connection);
            tokio::select! {
                served = connection.as_mut() => return log_failure(served),
                () = begun => {}
            }
            // A request arriving now is answered with `Connection: close`,
            // which ends the connection after it.
            tokio::select! {
                served = connection.as_mut() => return log_failure(served),
                () = tokio::time::sleep(lame_duck) => {
                    if started.load(Ordering::Acquire) {
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
            log_failure(connection.await);
        });
    }
}

/// Notes that the connection has delivered a request: from then on hyper's
/// graceful shutdown tells idle from busy.
fn mark_started(
    started: Arc<AtomicBool>,
) -> impl Fn(Request<Incoming>) -> Request<Incoming> + Clone {
    move |request| {
        started.store(true, Ordering::Release);
        request
    }
}

/// Answers with `Connection: close` once draining, so the connection ends
/// after the answer (a WebSocket handshake excepted).
fn close_when_draining(shutdown: Shutdown) -> impl Fn(Response) -> Response + Clone {
    move |mut response| {
        if shutdown.is_draining() && response.status() != StatusCode::SWITCHING_PROTOCOLS {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// An accepted std socket, ready for tokio.
fn adopt(stream: std::net::TcpStream) -> io::Result<TcpStream> {
    stream.set_nonblocking(true)?;
    TcpStream::from_std(stream)
}

fn log_failure(served: Result<(), hyper::Error>) {
    if let Err(err) = served {
        tracing::debug!("connection ended: {err}");
    }
}

/// Errors of one connection, which leave the listener fine.
fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// After an accept error other than a connection's own (out of file
/// descriptors, say), waits a moment rather than spinning, as hyper did.
async fn pause_after(err: io::Error) {
    if !is_connection_error(&err) {
        tracing::error!("accept failed: {err}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
