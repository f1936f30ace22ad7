//! What one GraphQL operation reports, whatever the transport: its span
//! (named and attributed after the OpenTelemetry GraphQL conventions), the
//! operation metrics, and a warning when it was slow.

use std::time::{Duration, Instant};

use async_graphql::{
    ServerError,
    parser::types::{DocumentOperations, ExecutableDocument, OperationType},
};
use tracing::field::Empty;

use super::{metrics, traces};
use crate::{cache::documents::sha256_hex, error::code, limits::analysis};

/// An operation from its arrival to its response.
pub struct Observed {
    span: tracing::Span,
    started: Instant,
    name: Option<String>,
    kind: &'static str,
    cost: u64,
    slow: Duration,
}

impl Observed {
    /// Starts observing the operation called `name`; `slow` is the duration
    /// past which it is logged as slow.
    pub fn start(name: Option<&str>, slow: Duration) -> Self {
        let span = tracing::info_span!(
            "graphql.operation",
            otel.name = "GraphQL Operation",
            graphql.operation.name = name,
            graphql.operation.type = Empty,
            graphql.document.hash = Empty,
            tollgate.cost = Empty,
            db.statement.count = Empty,
        );
        Self {
            span,
            started: Instant::now(),
            name: name.map(String::from),
            kind: "unknown",
            cost: 0,
            slow,
        }
    }

    /// The operation's span, to run its work in.
    pub fn span(&self) -> &tracing::Span {
        &self.span
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
        if traces::enabled() {
            let span_name = match name {
                Some(name) => format!("{} {name}", self.kind),
                None => self.kind.to_owned(),
            };
            self.span.record("otel.name", span_name);
            self.span.record("graphql.document.hash", sha256_hex(query));
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
                "slow operation"
            );
        }
        metrics::operation(&metrics::Operation {
            name: self.name.as_deref(),
            kind: self.kind,
            outcome,
            duration,
            statements,
        });
    }
}
