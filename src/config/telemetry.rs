//! Metrics, traces and logs: where GET /metrics is served, where spans go,
//! and which operations are slow.

use std::{net::SocketAddr, time::Duration};

use super::{
    ConfigError, TelemetryArgs, defaults,
    parse::{non_empty, or_default, parse_or, parse_positive},
};

/// Metrics, traces and logs.
#[derive(Clone, Debug)]
pub struct TelemetryConfig {
    /// Where GET /metrics is served, when it is.
    pub metrics_addr: Option<SocketAddr>,
    /// Whether `metrics_addr` is development's default rather than asked
    /// for: another server on the machine may hold it, which is no reason
    /// not to start.
    pub metrics_addr_is_default: bool,
    /// The OTLP/HTTP endpoint spans go to, when tracing is on.
    pub otlp_endpoint: Option<String>,
    /// The `service.name` resource attribute of exported spans.
    pub service_name: String,
    /// Operations slower than this are logged as warnings.
    pub slow_operation: Duration,
}

impl TelemetryConfig {
    pub fn from_args(args: &TelemetryArgs, production: bool) -> Result<Self, ConfigError> {
        let metrics_addr = match args.metrics_addr.as_deref().map(str::trim) {
            Some("off" | "false") => None,
            None | Some("") if production => None,
            None | Some("") => Some(defaults::METRICS_ADDR),
            Some(addr) => Some(addr),
        };
        let otlp_endpoint = non_empty(args.otel_exporter_otlp_endpoint.as_deref());
        if let Some(endpoint) = &otlp_endpoint
            && !endpoint.starts_with("http://")
        {
            return Err(ConfigError::new(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "expected an http:// URL (spans go to a collector beside the server, which \
                 carries them onward over TLS)",
            ));
        }
        Ok(Self {
            metrics_addr_is_default: metrics_addr == Some(defaults::METRICS_ADDR),
            metrics_addr: match metrics_addr {
                Some(addr) => Some(parse_or(
                    "METRICS_ADDR",
                    Some(addr),
                    defaults::METRICS_ADDR,
                )?),
                None => None,
            },
            otlp_endpoint,
            service_name: or_default(
                args.otel_service_name.as_deref(),
                defaults::OTEL_SERVICE_NAME,
            )
            .to_owned(),
            slow_operation: Duration::from_millis(parse_positive(
                "SLOW_OPERATION_MS",
                &args.slow_operation_ms,
                defaults::SLOW_OPERATION_MS,
            )?),
        })
    }
}
