//! The thread the link to Redis runs on. Its connections, their
//! reconnections and the link's tasks (listener, publishers, heartbeat) all
//! run on a runtime of their own: a request on any worker sends its command
//! there and is woken by the answer, instead of waiting for a worker that
//! is busy serving to get round to reading it (each worker is one thread,
//! and a connection is driven by the runtime that opened it).

use std::{future::Future, io, pin::Pin, thread};

use anyhow::Context;
use redis::{RedisResult, aio::ConnectionManager};
use tokio::runtime::Handle;
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

/// Commands to Redis, run on the link's thread; cloning shares the connection.
#[derive(Clone)]
pub struct Redis {
    connection: ConnectionManager,
    runtime: Handle,
}

impl Redis {
    pub fn new(connection: ConnectionManager, runtime: Handle) -> Self {
        Self {
            connection,
            runtime,
        }
    }

    /// Runs `command` on the link's thread and waits for its answer.
    pub async fn run<T, F>(&self, command: impl FnOnce(ConnectionManager) -> F) -> RedisResult<T>
    where
        F: Future<Output = RedisResult<T>> + Send + 'static,
        T: Send + 'static,
    {
        self.on_thread(command(self.connection.clone()))
            .await
            .unwrap_or_else(|| Err(io::Error::other("the thread for Redis has stopped").into()))
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
