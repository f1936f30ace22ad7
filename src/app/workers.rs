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

use std::{future::Future, thread};

use anyhow::Context;
use tokio::sync::oneshot;

use super::{AppState, Http, router, serve};
use crate::db;
use crate::shutdown::Shutdown;

/// Serves `listener` on `http.state.config.http.workers` workers until `stop`
/// completes or a worker fails; the first worker runs on the calling
/// runtime, the others on threads of their own. Either begins the shutdown
/// every worker drains by (`serve`); returns once all have drained.
pub async fn serve(
    listener: std::net::TcpListener,
    http: Http,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let shutdown = http.state.shutdown.clone();
    let mut others = Vec::new();
    for index in 1..http.state.config.http.workers {
        match spawn(index, &listener, &http.state) {
            Ok(finished) => others.push(finished),
            Err(err) => {
                shutdown.begin();
                return Err(err);
            }
        }
    }
    let signal = shutdown.clone();
    tokio::spawn(async move {
        stop.await;
        signal.begin();
    });
    let first = stop_all_on_error(run(listener, http).await, &shutdown);
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
) -> anyhow::Result<oneshot::Receiver<anyhow::Result<()>>> {
    let listener = listener
        .try_clone()
        .context("cannot share the listening socket")?;
    let state = state.clone();
    let (done, finished) = oneshot::channel();
    thread::Builder::new()
        .name(format!("tollgate-worker-{index}"))
        .spawn(move || {
            let shutdown = state.shutdown.clone();
            let result = run_thread(listener, state);
            let _ = done.send(stop_all_on_error(result, &shutdown));
        })
        .context("cannot start a worker thread")?;
    Ok(finished)
}

/// A worker on a thread of its own: its runtime, its pool, its schema.
fn run_thread(listener: std::net::TcpListener, state: AppState) -> anyhow::Result<()> {
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
        run(listener, Http::new(state)).await
    })
}

/// A worker that fails stops the others.
fn stop_all_on_error<T>(result: anyhow::Result<T>, shutdown: &Shutdown) -> anyhow::Result<T> {
    if result.is_err() {
        shutdown.begin();
    }
    result
}

/// One worker's server.
async fn run(listener: std::net::TcpListener, http: Http) -> anyhow::Result<()> {
    let shutdown = http.state.shutdown.clone();
    let grace = http.state.config.http.shutdown_grace;
    serve::serve(listener, router(http), shutdown, grace).await
}
