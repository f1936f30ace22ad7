//! OpenTelemetry traces over OTLP/HTTP (protobuf), when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set: a span per HTTP request (its parent
//! taken from the W3C `traceparent` header), a child per GraphQL operation,
//! one per SQL statement and one per Argon2 computation. The other standard
//! `OTEL_*` variables (headers, timeouts, batch sizes) are read by the SDK.

use std::{
    sync::OnceLock,
    time::{Duration, SystemTime},
};

use anyhow::Context as _;
use axum::http::{HeaderMap, Method};
use opentelemetry::{
    Context, KeyValue,
    propagation::TextMapPropagator,
    trace::{Span as _, SpanKind, Status, TraceContextExt, Tracer as _, TracerProvider as _},
};
use opentelemetry_http::HeaderExtractor;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::{
    Resource,
    propagation::TraceContextPropagator,
    trace::{SdkTracerProvider, Tracer},
};
use sea_orm::DatabaseBackend;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::config::TelemetryConfig;

/// The tracer SQL statement spans are made with, once tracing is on.
static TRACER: OnceLock<Tracer> = OnceLock::new();

/// Exports spans until [`Exporter::shutdown`] flushes the last of them.
pub struct Exporter {
    provider: SdkTracerProvider,
}

impl Exporter {
    /// Builds the OTLP/HTTP pipeline; `None` when no endpoint is configured.
    pub fn new(config: &TelemetryConfig) -> anyhow::Result<Option<(Self, Tracer)>> {
        let Some(endpoint) = &config.otlp_endpoint else {
            return Ok(None);
        };
        // The signal's path, as the OTLP specification derives it from
        // OTEL_EXPORTER_OTLP_ENDPOINT.
        let endpoint = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
        let exporter = SpanExporter::builder()
            .with_http()
            .with_endpoint(endpoint)
            .build()
            .context("OTEL_EXPORTER_OTLP_ENDPOINT: cannot build the span exporter")?;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(
                Resource::builder()
                    .with_service_name(config.service_name.clone())
                    .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
                    .build(),
            )
            .build();
        let tracer = provider.tracer("tollgate");
        let _ = TRACER.set(tracer.clone());
        Ok(Some((Self { provider }, tracer)))
    }

    /// Sends the spans still buffered and stops exporting. Blocks: call it
    /// off the async runtime.
    pub fn shutdown(self) {
        if let Err(err) = self.provider.shutdown_with_timeout(Duration::from_secs(5)) {
            tracing::warn!("could not flush the last spans: {err}");
        }
    }
}

/// Whether spans are exported.
pub fn enabled() -> bool {
    TRACER.get().is_some()
}

/// Names the request's `span` after its method and route, makes it the
/// child of the trace context in `headers` (W3C `traceparent`/`tracestate`)
/// and records its trace id in the `trace_id` field, so every log line of
/// the request carries it.
pub fn continue_trace(
    span: &tracing::Span,
    method: &Method,
    route: Option<&str>,
    headers: &HeaderMap,
) {
    if !enabled() {
        return;
    }
    match route {
        Some(route) => span.record("otel.name", format!("{method} {route}")),
        None => span.record("otel.name", method.as_str()),
    };
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
    let trace_id = span.context().span().span_context().trace_id();
    span.record("trace_id", tracing::field::display(trace_id));
}

/// Marks `span` as failed, for a response with a server error status.
pub fn failed(span: &tracing::Span, status: u16) {
    if enabled() && status >= 500 {
        span.set_status(Status::error(format!("HTTP {status}")));
    }
}

/// A span for one SQL statement that has just run for `elapsed`: a child of
/// the current span, when there is one. The text has placeholders, never values.
pub fn statement(backend: DatabaseBackend, sql: &str, elapsed: Duration, failed: bool) {
    let Some(tracer) = TRACER.get() else {
        return;
    };
    let parent: Context = tracing::Span::current().context();
    if !parent.span().span_context().is_valid() {
        // Start-up and background work: not part of any request's trace.
        return;
    }
    let end = SystemTime::now();
    let operation = sql
        .split_ascii_whitespace()
        .next()
        .unwrap_or("SQL")
        .to_ascii_uppercase();
    let system = match backend {
        DatabaseBackend::Postgres => "postgresql",
        DatabaseBackend::Sqlite => "sqlite",
        _ => "other_sql",
    };
    let mut span = tracer
        .span_builder(operation.clone())
        .with_kind(SpanKind::Client)
        .with_start_time(end.checked_sub(elapsed).unwrap_or(end))
        .with_attributes([
            KeyValue::new("db.system.name", system),
            KeyValue::new("db.operation.name", operation),
            KeyValue::new("db.query.text", sql.to_owned()),
        ])
        .start_with_context(tracer, &parent);
    if failed {
        span.set_status(Status::error("the statement failed"));
    }
    span.end_with_timestamp(end);
}
