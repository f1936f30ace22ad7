//! Serving on one single-threaded runtime per worker thread (`WORKERS`,
//! one per core by default).
//!
//! Every worker accepts connections from the one listening socket and runs
//! each connection start to finish on its own thread: no task moves between
//! threads, no wake-up crosses them, and what a request allocates is freed
//! where it was allocated. An idle worker is the first to be woken by a new
//! connection, so connections go to the worker with time to take them.
//! On PostgreSQL each worker opens its own share of the pool, because a
//! connection's socket is driven by the runtime that opened it; SQLite's one
//! pool is shared. Everything else (caches, limits, budgets, the event bus)
//! is shared by all workers. bench/README.md has the measurements that chose
//! this over one work-stealing runtime.

use std::{future::Future, net::SocketAddr, thread};

use anyhow::Context;
use tokio::{
    net::TcpListener,
    sync::{oneshot, watch},
};

use super::{AppState, Http, router};
use crate::db;

/// Serves `listener` on `http.state.config.workers` workers until `stop`
/// completes or a worker fails; the first worker runs on the calling
/// runtime, the others on threads of their own. Returns once every worker
/// has finished its open requests.
pub async fn serve(
    listener: std::net::TcpListener,
    http: Http,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stopping, _) = watch::channel(false);
    let mut others = Vec::new();
    for index in 1..http.state.config.workers {
        match spawn(index, &listener, &http.state, &stopping) {
            Ok(finished) => others.push(finished),
            Err(err) => {
                stopping.send_replace(true);
                return Err(err);
            }
        }
    }
    let signal = stopping.clone();
    tokio::spawn(async move {
        stop.await;
        signal.send_replace(true);
    });
    let first = stop_all_on_error(run(listener, http, stopping.clone()).await, &stopping);
    for finished in others {
        finished.await.context("a worker thread panicked")??;
    }
    first
}

/// Starts worker `index` on a thread of its own; the receiver hears how it ended.
fn spawn(
    index: usize,
    listener: &std::net::TcpListener,
    state: &AppState,
    stopping: &watch::Sender<bool>,
) -> anyhow::Result<oneshot::Receiver<anyhow::Result<()>>> {
    let listener = listener
        .try_clone()
        .context("cannot share the listening socket")?;
    let (state, stopping) = (state.clone(), stopping.clone());
    let (done, finished) = oneshot::channel();
    thread::Builder::new()
        .name(format!("tollgate-worker-{index}"))
        .spawn(move || {
            let result = run_thread(listener, state, stopping.clone());
            let _ = done.send(stop_all_on_error(result, &stopping));
        })
        .context("cannot start a worker thread")?;
    Ok(finished)
}

/// A worker on a thread of its own: its runtime, its pool, its schema.
fn run_thread(
    listener: std::net::TcpListener,
    state: AppState,
    stopping: watch::Sender<bool>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start a worker runtime")?;
    runtime.block_on(async move {
        let state = if state.config.pool_per_worker() {
            AppState {
                db: db::connect(&state.config).await?,
                ..state
            }
        } else {
            state
        };
        run(listener, Http::new(state), stopping).await
    })
}

/// A worker that fails stops the others.
fn stop_all_on_error<T>(
    result: anyhow::Result<T>,
    stopping: &watch::Sender<bool>,
) -> anyhow::Result<T> {
    if result.is_err() {
        stopping.send_replace(true);
    }
    result
}

/// One worker's server, which drains its open requests once `stopping` is set.
async fn run(
    listener: std::net::TcpListener,
    http: Http,
    stopping: watch::Sender<bool>,
) -> anyhow::Result<()> {
    let listener = TcpListener::from_std(listener).context("cannot listen")?;
    let mut stopped = stopping.subscribe();
    let app = router(http).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        })
        .await
        .context("server failed")
}
