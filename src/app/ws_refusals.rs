//! graphql-transport-ws answers an operation refused before it runs
//! (validation, limits, cost, trusted documents) with an `error` message,
//! and sends no `complete` after it. async-graphql's protocol layer only
//! knows `next`, so the executor marks such a response and the connection
//! rewrites the `next` that carries it.

use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use async_graphql::{Response, Value};
use serde_json::json;

/// The extension that marks a refusal; it never reaches the client.
const MARK: &str = "tollgateRefused";

/// Refusals the executor marked and the connection has not sent yet.
#[derive(Clone, Default)]
pub struct Refusals(Arc<AtomicUsize>);

impl Refusals {
    /// Marks `response` as the answer to an operation that never ran.
    pub fn mark(&self, response: &mut Response) {
        response
            .extensions
            .insert(MARK.into(), Value::Boolean(true));
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn pending(&self) -> bool {
        self.0.load(Ordering::SeqCst) > 0
    }

    fn sent(&self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Rewrites the protocol's outgoing messages of one connection. Messages
/// are only read when a refusal is pending, so events pass untouched.
pub struct Rewriter {
    refusals: Option<Refusals>,
    /// Operations answered with `error`, whose `complete` is still to come.
    errored: HashSet<String>,
}

impl Rewriter {
    /// `refusals` is `None` where the protocol has no `error` message.
    pub fn new(refusals: Option<Refusals>) -> Self {
        Self {
            refusals,
            errored: HashSet::new(),
        }
    }

    /// The message to send instead of `text`, if any.
    pub fn rewrite(&mut self, text: String) -> Option<String> {
        let Some(refusals) = &self.refusals else {
            return Some(text);
        };
        if !refusals.pending() && self.errored.is_empty() {
            return Some(text);
        }
        let Ok(mut message) = serde_json::from_str::<serde_json::Value>(&text) else {
            return Some(text);
        };
        let id = message["id"].as_str().unwrap_or_default().to_owned();
        let marked = message
            .pointer(&format!("/payload/extensions/{MARK}"))
            .is_some();
        match message["type"].as_str() {
            Some("next") if marked => {
                refusals.sent();
                let errors = message["payload"]["errors"].take();
                let error = json!({ "type": "error", "id": id, "payload": errors });
                self.errored.insert(id);
                Some(error.to_string())
            }
            Some("complete") if self.errored.remove(&id) => None,
            _ => Some(text),
        }
    }
}
