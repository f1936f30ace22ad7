//! The thread the link to Redis runs on, and the connections of the
//! request path.
//!
//! The link's connections, their reconnections and its tasks (listener,
//! publishers, heartbeat) run on a runtime of their own, so that none waits
//! for a worker busy serving (each worker is one thread, and a connection
//! is driven by the runtime that opened it).
//!
//! A request's commands (shared limits, persisted documents) go instead over
//! a connection of its worker's own, opened on first use: a round trip then
//! wakes no other thread, where going through the link's thread woke it and
//! then the worker again, which cost more CPU than the command itself.

use std::{
    cell::RefCell,
    future::Future,
    io,
    pin::Pin,
    sync::atomic::{AtomicUsize, Ordering},
    thread,
};

use anyhow::Context;
use redis::{
    Client, RedisResult,
    aio::{ConnectionManager, ConnectionManagerConfig},
};
use tokio::runtime::{self, Handle, RuntimeFlavor};
use tokio_util::sync::CancellationToken;

/// What the thread does last, if anything, once stopped.
pub type Last = Box<dyn FnOnce() -> Option<Pin<Box<dyn Future<Output = ()> + Send>>> + Send>;

/// The link's runtime, on a thread that runs until `stop` is cancelled and
/// then until what `last` gives has finished.
pub fn start(stop: CancellationToken, last: Last) -> anyhow::Result<Handle> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("REDIS_URL: cannot start the runtime for Redis")?;
    let handle = runtime.handle().clone();
    thread::Builder::new()
        .name("tollgate-redis".into())
        .spawn(move || {
            runtime.block_on(async move {
                stop.cancelled().await;
                if let Some(last) = last() {
                    last.await;
                }
            });
        })
        .context("REDIS_URL: cannot start the thread for Redis")?;
    Ok(handle)
}

/// Commands to Redis; cloning shares the connections.
#[derive(Clone)]
pub struct Redis {
    connection: ConnectionManager,
    runtime: Handle,
    /// What a worker's own connection is opened with.
    client: Client,
    settings: ConnectionManagerConfig,
    /// Tells this link's worker connections from another's (tests run
    /// several instances in one process).
    id: usize,
}

/// Numbers the links of the process.
static LINKS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// The worker connections opened on this thread: by link, and by the
    /// runtime that drives them.
    static WORKER_CONNECTIONS: RefCell<Vec<(usize, runtime::Id, ConnectionManager)>> =
        const { RefCell::new(Vec::new()) };
}

impl Redis {
    pub fn new(
        connection: ConnectionManager,
        runtime: Handle,
        client: Client,
        settings: ConnectionManagerConfig,
    ) -> Self {
        Self {
            connection,
            runtime,
            client,
            settings,
            id: LINKS.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Runs `command` and waits for its answer: on this worker's own
    /// connection when called on a worker (a single-threaded runtime), else
    /// on the link's thread.
    pub async fn run<T, F>(&self, command: impl FnOnce(ConnectionManager) -> F) -> RedisResult<T>
    where
        F: Future<Output = RedisResult<T>> + Send + 'static,
        T: Send + 'static,
    {
        if let Some(connection) = self.worker_connection() {
            return command(connection).await;
        }
        self.on_thread(command(self.connection.clone()))
            .await
            .unwrap_or_else(|| Err(io::Error::other("the thread for Redis has stopped").into()))
    }

    /// The connection of the single-threaded runtime this runs on, opened
    /// now (it connects on first use) if it has none yet.
    fn worker_connection(&self) -> Option<ConnectionManager> {
        let current = Handle::try_current().ok()?;
        if current.runtime_flavor() != RuntimeFlavor::CurrentThread
            || current.id() == self.runtime.id()
        {
            return None;
        }
        let runtime = current.id();
        WORKER_CONNECTIONS.with_borrow_mut(|connections| {
            if let Some((_, _, connection)) = connections
                .iter()
                .find(|(link, on, _)| *link == self.id && *on == runtime)
            {
                return Some(connection.clone());
            }
            let connection =
                ConnectionManager::new_lazy_with_config(self.client.clone(), self.settings.clone())
                    .ok()?;
            connections.push((self.id, runtime, connection.clone()));
            Some(connection)
        })
    }

    /// Runs `task` on the link's thread and waits for it; `None` if the
    /// thread stopped first.
    pub async fn on_thread<T: Send + 'static>(
        &self,
        task: impl Future<Output = T> + Send + 'static,
    ) -> Option<T> {
        self.runtime.spawn(task).await.ok()
    }

    /// Starts `task` on the link's thread.
    pub fn spawn<T: Send + 'static>(&self, task: impl Future<Output = T> + Send + 'static) {
        self.runtime.spawn(task);
    }

    /// The connection itself, for the link's own tasks.
    pub fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }
}
