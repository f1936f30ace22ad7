//! GraphQL WebSockets on shutdown: a connection stops reading new messages,
//! lets the queries and mutations it is running answer, then closes with
//! 1001 (going away). Subscriptions get no `complete`: a client resubscribes
//! what it still follows when it reconnects, to another instance.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use futures_util::{Stream, StreamExt, stream};

use crate::shutdown::Shutdown;

/// The close code of a connection closed by a server that is going away.
pub const GOING_AWAY: u16 = 1001;

/// The client's messages until shutdown begins, then none. The stream never
/// ends: async-graphql drops the operations in flight when it does.
pub fn until_shutdown<S: Stream>(input: S, shutdown: &Shutdown) -> impl Stream<Item = S::Item> {
    input.take_until(shutdown.begun()).chain(stream::pending())
}

/// The queries and mutations one connection is running.
#[derive(Clone, Default)]
pub struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    /// Whether none is running; a subscription does not count.
    pub fn is_idle(&self) -> bool {
        self.0.load(Ordering::Acquire) == 0
    }

    /// Counts one operation as running until the returned guard drops.
    pub fn start(&self) -> Running {
        self.0.fetch_add(1, Ordering::AcqRel);
        Running(self.0.clone())
    }
}

/// One operation in flight, until dropped with its response stream.
pub struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
