//! Telemetry: logs (human-readable in development, JSON lines in
//! production), Prometheus metrics ([`metrics`]) and OpenTelemetry traces
//! ([`traces`]), and what every GraphQL operation reports ([`Observed`]).

pub mod metrics;
mod operation;
pub mod traces;

use tracing::{Level, Subscriber};
use tracing_subscriber::{
    EnvFilter, Layer, filter::Targets, fmt, layer::Context, prelude::*, registry::LookupSpan,
};

pub use operation::Observed;

use crate::config::Config;

/// Where sqlx reports how long each pooled connection took to get.
const ACQUIRE_TARGET: &str = "sqlx::pool::acquire";
/// The level it reports them at, when metrics are recorded: [`AcquireTimes`]
/// turns them into a histogram, the log never shows them. Not below WARN: a
/// layer enabling INFO events raises the level every `log` and `tracing`
/// call site of every crate is checked at (under `RUST_LOG=warn`), which
/// cost 9 % more instructions per Q2.
pub const ACQUIRE_TIME_LEVEL: log::LevelFilter = log::LevelFilter::Warn;

/// What must outlive serving: the span exporter, flushed on the way out.
#[derive(Default)]
pub struct Telemetry {
    exporter: Option<traces::Exporter>,
}

impl Telemetry {
    /// Flushes the spans still buffered.
    pub async fn shutdown(self) {
        if let Some(exporter) = self.exporter {
            let _ = tokio::task::spawn_blocking(move || exporter.shutdown()).await;
        }
    }
}

/// Installs the global subscriber (once; later calls only log): logs, and
/// with `serve`, the connection-acquire histogram and the span exporter.
pub fn init(config: &Config, serving: bool) -> anyhow::Result<Telemetry> {
    let mut filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    if let Ok(silenced) = format!("{ACQUIRE_TARGET}=off").parse() {
        filter = filter.add_directive(silenced);
    }
    let logs = if config.is_production() {
        fmt::layer().json().boxed()
    } else {
        fmt::layer().with_target(false).boxed()
    };
    let metrics = (serving && config.telemetry.metrics_addr.is_some())
        .then(|| AcquireTimes.with_filter(Targets::new().with_target(ACQUIRE_TARGET, Level::WARN)));
    let exporter = match serving {
        true => traces::Exporter::new(&config.telemetry)?,
        false => None,
    };
    let installed = tracing_subscriber::registry()
        .with(logs.with_filter(filter))
        .with(metrics)
        .try_init();
    if installed.is_err() {
        tracing::debug!("a tracing subscriber was installed already");
    }
    Ok(Telemetry { exporter })
}

/// Feeds sqlx's acquire-time events into `tollgate_db_acquire_seconds`.
struct AcquireTimes;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for AcquireTimes {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        struct Seconds(Option<f64>);
        impl tracing::field::Visit for Seconds {
            fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
                if field.name() == "acquired_after_secs" {
                    self.0 = Some(value);
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut seconds = Seconds(None);
        event.record(&mut seconds);
        if let Some(seconds) = seconds.0 {
            metrics::acquired(seconds);
        }
    }
}
