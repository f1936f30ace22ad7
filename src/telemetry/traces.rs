//! OpenTelemetry traces over OTLP/HTTP (protobuf), when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set: a span per HTTP request (its parent
//! taken from the W3C `traceparent` header), a child per GraphQL operation,
//! one per SQL statement and one per Argon2 computation. The other standard
//! `OTEL_*` variables (headers, timeouts, batch sizes) are read by the SDK.
//!
//! The spans are made with the SDK, not from `tracing` spans: a `tracing`
//! span that is current while sqlx streams rows is entered and left once per
//! row (sqlx wraps its streams in the current span), which cost a fifth more
//! instructions per catalog page. A [`Traced`] span is the parent of what
//! runs inside [`Traced::run`], carried by a task-local that costs nothing
//! per row; DataLoader batches, on tasks of their own, take it along
//! ([`inherit`]).

use std::{
    borrow::Cow,
    future::Future,
    sync::OnceLock,
    time::{Duration, SystemTime},
};

use anyhow::Context as _;
use axum::http::{HeaderMap, Method};
use futures_util::future::Either;
use opentelemetry::{
    Context, KeyValue,
    propagation::TextMapPropagator,
    trace::{
        Span as _, SpanKind, Status, TraceContextExt, TraceId, Tracer as _, TracerProvider as _,
    },
};
use opentelemetry_http::HeaderExtractor;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::{
    Resource,
    propagation::TraceContextPropagator,
    trace::{SdkTracerProvider, Tracer},
};
use sea_orm::DatabaseBackend;

use crate::config::TelemetryConfig;

/// The tracer SQL statement spans are made with, once tracing is on.
static TRACER: OnceLock<Tracer> = OnceLock::new();

/// Exports spans until [`Exporter::shutdown`] flushes the last of them.
pub struct Exporter {
    provider: SdkTracerProvider,
}

impl Exporter {
    /// Builds the OTLP/HTTP pipeline; `None` when no endpoint is configured.
    pub fn new(config: &TelemetryConfig) -> anyhow::Result<Option<Self>> {
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
        let _ = TRACER.set(provider.tracer("tollgate"));
        Ok(Some(Self { provider }))
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

tokio::task_local! {
    /// The span what runs on this task belongs to.
    static PARENT: Context;
}

/// An exported span (nothing when tracing is off), and the context its
/// children start from.
#[derive(Clone, Default)]
pub struct Traced(Option<Context>);

impl Traced {
    /// The span of an HTTP request: named after its method and route, the
    /// child of the trace context in `headers` (W3C `traceparent` and
    /// `tracestate`) when it carries a valid one.
    pub fn request(method: &Method, route: Option<&str>, path: &str, headers: &HeaderMap) -> Self {
        let Some(tracer) = TRACER.get() else {
            return Self(None);
        };
        let name = match route {
            Some(route) => format!("{method} {route}"),
            None => method.to_string(),
        };
        let mut attributes = vec![
            KeyValue::new("http.request.method", method.to_string()),
            KeyValue::new("url.path", path.to_owned()),
        ];
        if let Some(route) = route {
            attributes.push(KeyValue::new("http.route", route.to_owned()));
        }
        let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
        let span = tracer
            .span_builder(name)
            .with_kind(SpanKind::Server)
            .with_attributes(attributes)
            .start_with_context(tracer, &parent);
        Self(Some(parent.with_span(span)))
    }

    /// A span inside the current one (or a trace of its own outside any).
    pub fn child(name: &'static str, attributes: Vec<KeyValue>) -> Self {
        let Some(tracer) = TRACER.get() else {
            return Self(None);
        };
        let parent = PARENT
            .try_with(Context::clone)
            .unwrap_or_else(|_| Context::new());
        let span = tracer
            .span_builder(name)
            .with_kind(SpanKind::Internal)
            .with_attributes(attributes)
            .start_with_context(tracer, &parent);
        Self(Some(parent.with_span(span)))
    }

    /// Whether the span is exported.
    pub fn is_recording(&self) -> bool {
        self.0.is_some()
    }

    /// The id of the span's trace.
    pub fn trace_id(&self) -> Option<TraceId> {
        let context = self.0.as_ref()?;
        Some(context.span().span_context().trace_id())
    }

    pub fn rename(&self, name: String) {
        if let Some(context) = &self.0 {
            context.span().update_name(name);
        }
    }

    pub fn set(&self, attribute: KeyValue) {
        if let Some(context) = &self.0 {
            context.span().set_attribute(attribute);
        }
    }

    /// Marks the span as failed, saying why.
    pub fn fail(&self, description: impl Into<Cow<'static, str>>) {
        if let Some(context) = &self.0 {
            context.span().set_status(Status::error(description));
        }
    }

    /// Runs `fut` inside this span: the spans it starts are its children.
    pub fn run<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> + use<F> {
        match &self.0 {
            Some(context) => Either::Left(PARENT.scope(context.clone(), fut)),
            None => Either::Right(fut),
        }
    }

    /// Ends the span now.
    pub fn end(self) {
        if let Some(context) = self.0 {
            context.span().end();
        }
    }
}

/// `fut` in the span it is started from, for work spawned on another task.
pub fn inherit<F: Future>(fut: F) -> impl Future<Output = F::Output> {
    match PARENT.try_with(Context::clone) {
        Ok(context) => Either::Left(PARENT.scope(context, fut)),
        Err(_) => Either::Right(fut),
    }
}

/// A span for one SQL statement that has just run for `elapsed`: a child of
/// the span it ran in, when there is one. The text has placeholders, never
/// values.
pub fn statement(backend: DatabaseBackend, sql: &str, elapsed: Duration, failed: bool) {
    let Some(tracer) = TRACER.get() else {
        return;
    };
    let Ok(parent) = PARENT.try_with(Context::clone) else {
        // Start-up and background work: not part of any request's trace.
        return;
    };
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
