//! GraphQL WebSockets on shutdown: a connection stops reading new messages,
//! lets the queries and mutations it is running answer, then closes with
//! 1001 (going away). Subscriptions get no `complete`: a client resubscribes
//! what it still follows when it reconnects, to another instance.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use async_graphql::{Request, Response, parser::types::OperationType};
use futures_util::{
    Stream, StreamExt,
    stream::{self, BoxStream},
};

use super::shutdown::Shutdown;
use crate::limits::analysis::operation;

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

    /// Counts the operation of `request`, unless a subscription, as running
    /// until its responses have been taken.
    pub fn track(
        &self,
        mut request: Request,
        run: impl FnOnce(Request) -> BoxStream<'static, Response>,
    ) -> BoxStream<'static, Response> {
        if is_subscription(&mut request) {
            return run(request);
        }
        self.0.fetch_add(1, Ordering::AcqRel);
        let running = Running(self.0.clone());
        run(request)
            .map(move |response| {
                let _running = &running;
                response
            })
            .boxed()
    }
}

/// One operation in flight, until dropped with its response stream.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn is_subscription(request: &mut Request) -> bool {
    let name = request.operation_name.clone();
    request.parsed_query().ok().is_some_and(|document| {
        operation(document, name.as_deref())
            .is_some_and(|op| op.node.ty == OperationType::Subscription)
    })
}
