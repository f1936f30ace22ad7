//! What one GraphQL operation reports, whatever the transport: its span
//! (named and attributed after the OpenTelemetry GraphQL conventions), the
//! operation metrics, and a warning when it was slow.

use std::time::{Duration, Instant};

use async_graphql::{
    ServerError,
    parser::types::{DocumentOperations, ExecutableDocument, OperationType},
};
use opentelemetry::KeyValue;
use tracing::{Instrument, field::Empty};

use super::{metrics, traces::Traced};
use crate::{digest::sha256_hex, error::code, limits::analysis};

/// An operation from its arrival to its response.
pub struct Observed {
    /// The log's span.
    span: tracing::Span,
    /// The exported span.
    traced: Traced,
    started: Instant,
    name: Option<String>,
    kind: &'static str,
    cost: u64,
    slow: Duration,
}

/// The spans an operation's work runs in.
pub struct Scope {
    span: tracing::Span,
    traced: Traced,
}

impl Scope {
    /// Runs `fut` in the operation's spans.
    pub fn run<F: Future>(self, fut: F) -> impl Future<Output = F::Output> {
        self.traced.run(fut).instrument(self.span)
    }
}

impl Observed {
    /// Starts observing the operation called `name`; `slow` is the duration
    /// past which it is logged as slow.
    pub fn start(name: Option<&str>, slow: Duration) -> Self {
        let span = tracing::info_span!(
            "graphql.operation",
            graphql.operation.name = name,
            graphql.operation.type = Empty,
            tollgate.cost = Empty,
            db.statement.count = Empty,
        );
        let attributes = name
            .map(|name| vec![KeyValue::new("graphql.operation.name", name.to_owned())])
            .unwrap_or_default();
        Self {
            span,
            traced: Traced::child("GraphQL Operation", attributes),
            started: Instant::now(),
            name: name.map(String::from),
            kind: "unknown",
            cost: 0,
            slow,
        }
    }

    /// Where the operation's work runs: in its spans.
    pub fn scope(&self) -> Scope {
        Scope {
            span: self.span.clone(),
            traced: self.traced.clone(),
        }
    }

    /// The operation passed the checks: its type, document and cost are
    /// known, and its name when the request left it to the document.
    pub fn checked(&mut self, document: &ExecutableDocument, query: &str, cost: u64) {
        if self.name.is_none()
            && let DocumentOperations::Multiple(operations) = &document.operations
            && let mut names = operations.keys()
            && let (Some(only), None) = (names.next(), names.next())
        {
            self.span.record("graphql.operation.name", only.as_str());
            self.traced
                .set(KeyValue::new("graphql.operation.name", only.to_string()));
            self.name = Some(only.to_string());
        }
        let name = self.name.as_deref();
        self.kind = match analysis::operation(document, name).map(|op| op.node.ty) {
            Some(OperationType::Query) => "query",
            Some(OperationType::Mutation) => "mutation",
            Some(OperationType::Subscription) => "subscription",
            None => "unknown",
        };
        self.cost = cost;
        self.span.record("graphql.operation.type", self.kind);
        self.span.record("tollgate.cost", cost);
        if self.traced.is_recording() {
            self.traced.rename(match name {
                Some(name) => format!("{} {name}", self.kind),
                None => self.kind.to_owned(),
            });
            self.traced
                .set(KeyValue::new("graphql.operation.type", self.kind));
            self.traced
                .set(KeyValue::new("graphql.document.hash", sha256_hex(query)));
            self.traced.set(KeyValue::new("tollgate.cost", cost as i64));
        }
    }

    /// The operation has been answered with `errors`, having run
    /// `statements` (when they are known).
    pub fn finish(self, errors: &[ServerError], statements: impl Into<Option<u64>>) {
        self.ended(errors.first().map_or("ok", code::of), statements.into());
    }

    /// The operation was refused before it ran, with the error `code`.
    pub fn refused(self, code: &'static str) {
        self.ended(code, Some(0));
    }

    fn ended(self, outcome: &'static str, statements: Option<u64>) {
        let duration = self.started.elapsed();
        if let Some(statements) = statements {
            self.span.record("db.statement.count", statements);
            self.traced
                .set(KeyValue::new("db.statement.count", statements as i64));
        }
        if outcome != "ok" {
            self.traced.set(KeyValue::new("error.type", outcome));
            self.traced.fail(outcome);
        }
        if duration >= self.slow {
            tracing::warn!(
                parent: &self.span,
                operation = self.name.as_deref().unwrap_or("anonymous"),
                r#type = self.kind,
                duration_ms = duration.as_millis() as u64,
                statements,
                cost = self.cost,
                outcome,
                trace_id = self.traced.trace_id().map(tracing::field::display),
                "slow operation"
            );
        }
        self.traced.end();
        metrics::operation(&metrics::Operation {
            name: self.name.as_deref(),
            kind: self.kind,
            outcome,
            duration,
            statements,
        });
    }
}
