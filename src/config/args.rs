//! The settings as the command line and the environment give them, with the
//! help that `tollgate --help` shows and README's configuration reference is
//! generated from (`config::reference`).
//!
//! A default that is a plain value is a clap `default_value` taken from
//! [`defaults`], which `Config::from_args` also falls back to, so it is stated
//! once. A default that depends on other settings or on the machine is
//! stated at the end of the help as `[default: …]`, the way clap shows plain
//! ones; the reference reads it from there.

use clap::Args;

/// Defaults that are plain values, shown by the help and applied by
/// `Config::from_args` when a setting is absent or blank.
pub mod defaults {
    pub const DATABASE_URL: &str = "sqlite://tollgate.db?mode=rwc";
    pub const BIND_ADDR: &str = "127.0.0.1:8080";
    pub const ENVIRONMENT: &str = "development";
    pub const JWT_ISSUER: &str = "tollgate";
    pub const JWT_AUDIENCE: &str = "tollgate-api";
    pub const ACCESS_TOKEN_TTL_SECS: &str = "900";
    pub const REFRESH_TOKEN_TTL_DAYS: &str = "30";
    pub const LOGIN_MAX_FAILURES: &str = "10";
    pub const LOGIN_MAX_FAILURES_PER_IP: &str = "50";
    pub const REGISTER_PER_HOUR: &str = "30";
    pub const RATE_LIMIT_RPS: &str = "50";
    pub const RATE_LIMIT_BURST: &str = "200";
    pub const MAX_DEPTH: &str = "10";
    pub const MAX_ALIASES: &str = "30";
    pub const MAX_ROOT_FIELDS: &str = "20";
    pub const MAX_DIRECTIVES: &str = "50";
    pub const MAX_DOCUMENT_BYTES: &str = "16384";
    pub const MAX_COST: &str = "1000";
    pub const COST_BUCKET_SIZE: &str = "1000";
    pub const COST_RESTORE_RATE: &str = "50";
    pub const TRUSTED_DOCUMENTS: &str = "off";
    pub const HSTS: &str = "false";
    pub const REDIS_PREFIX: &str = "tollgate";
    pub const APQ_TTL_SECS: &str = "3600";
    pub const BODY_LIMIT_BYTES: &str = "1048576";
    pub const BATCH_LIMIT: &str = "10";
    pub const REQUEST_TIMEOUT_SECS: &str = "10";
    pub const DB_MAX_CONNECTIONS: &str = "10";
    pub const DB_ACQUIRE_TIMEOUT_SECS: &str = "3";
    pub const SHUTDOWN_GRACE_SECS: &str = "20";
    pub const ENTITY_CACHE: &str = "true";
    pub const ENTITY_CACHE_TTL_SECS: &str = "60";
    pub const ENTITY_CACHE_CAPACITY: &str = "10000";
    pub const RESPONSE_CACHE: &str = "true";
    pub const RESPONSE_CACHE_TTL_SECS: &str = "5";
    pub const DOCUMENT_CACHE_CAPACITY: &str = "10000";
    /// In development only: production serves no metrics unless told where.
    pub const METRICS_ADDR: &str = "127.0.0.1:9464";
    pub const OTEL_SERVICE_NAME: &str = "tollgate";
    pub const SLOW_OPERATION_MS: &str = "500";
}

/// Raw settings as given by flags or environment variables; every value is a
/// string so that validation can name the variable that is wrong.
#[derive(Args, Clone, Debug, Default)]
#[command(next_help_heading = "Configuration")]
pub struct ConfigArgs {
    /// `sqlite://…` or `postgres://user@host/db`; a missing SQLite file and its
    /// folder are created, whatever the query string, except with `mode=ro`
    /// (read-only: the file must exist).
    #[arg(long, env = "DATABASE_URL", global = true)]
    #[arg(default_value = defaults::DATABASE_URL)]
    pub database_url: Option<String>,
    /// Address to listen on, and the one `tollgate healthcheck` asks.
    #[arg(long, env = "BIND_ADDR", global = true)]
    #[arg(default_value = defaults::BIND_ADDR)]
    pub bind_addr: Option<String>,
    /// `development` or `production` (no introspection, suggestions or
    /// GraphiQL unless enabled; strict secrets).
    #[arg(long = "env", env = "TOLLGATE_ENV", global = true)]
    #[arg(default_value = defaults::ENVIRONMENT)]
    pub environment: Option<String>,
    /// Access-token secret, raw UTF-8; required (at least 32 bytes) in
    /// production [default: ephemeral in development]
    #[arg(long, env = "JWT_SECRET", global = true, hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Comma-separated earlier secrets whose tokens still verify (key rotation).
    #[arg(
        long,
        env = "JWT_PREVIOUS_SECRETS",
        global = true,
        hide_env_values = true
    )]
    pub jwt_previous_secrets: Option<String>,
    /// `iss` of access tokens.
    #[arg(long, env = "JWT_ISSUER", global = true)]
    #[arg(default_value = defaults::JWT_ISSUER)]
    pub jwt_issuer: Option<String>,
    /// `aud` of access tokens.
    #[arg(long, env = "JWT_AUDIENCE", global = true)]
    #[arg(default_value = defaults::JWT_AUDIENCE)]
    pub jwt_audience: Option<String>,
    /// Access-token lifetime in seconds.
    #[arg(long, env = "ACCESS_TOKEN_TTL_SECS", global = true)]
    #[arg(default_value = defaults::ACCESS_TOKEN_TTL_SECS)]
    pub access_token_ttl_secs: Option<String>,
    /// Absolute lifetime of a refresh-token family in days.
    #[arg(long, env = "REFRESH_TOKEN_TTL_DAYS", global = true)]
    #[arg(default_value = defaults::REFRESH_TOKEN_TTL_DAYS)]
    pub refresh_token_ttl_days: Option<String>,
    /// Failed logins per account per 15 minutes.
    #[arg(long, env = "LOGIN_MAX_FAILURES", global = true)]
    #[arg(default_value = defaults::LOGIN_MAX_FAILURES)]
    pub login_max_failures: Option<String>,
    /// Failed logins per client IP per 15 minutes.
    #[arg(long, env = "LOGIN_MAX_FAILURES_PER_IP", global = true)]
    #[arg(default_value = defaults::LOGIN_MAX_FAILURES_PER_IP)]
    pub login_max_failures_per_ip: Option<String>,
    /// Registrations per client IP per hour.
    #[arg(long, env = "REGISTER_PER_HOUR", global = true)]
    #[arg(default_value = defaults::REGISTER_PER_HOUR)]
    pub register_per_hour: Option<String>,
    /// Comma-separated proxy IPs whose `X-Forwarded-For` is believed: the
    /// client is its nearest address that is not one of them.
    #[arg(long, env = "TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<String>,
    /// Requests per second per client IP.
    #[arg(long, env = "RATE_LIMIT_RPS", global = true)]
    #[arg(default_value = defaults::RATE_LIMIT_RPS)]
    pub rate_limit_rps: Option<String>,
    /// Burst of requests per client IP.
    #[arg(long, env = "RATE_LIMIT_BURST", global = true)]
    #[arg(default_value = defaults::RATE_LIMIT_BURST)]
    pub rate_limit_burst: Option<String>,
    /// Deepest selection an operation may have.
    #[arg(long, env = "MAX_DEPTH", global = true)]
    #[arg(default_value = defaults::MAX_DEPTH)]
    pub max_depth: Option<String>,
    /// Most aliases in one operation.
    #[arg(long, env = "MAX_ALIASES", global = true)]
    #[arg(default_value = defaults::MAX_ALIASES)]
    pub max_aliases: Option<String>,
    /// Most root fields in one operation.
    #[arg(long, env = "MAX_ROOT_FIELDS", global = true)]
    #[arg(default_value = defaults::MAX_ROOT_FIELDS)]
    pub max_root_fields: Option<String>,
    /// Most directives in one operation.
    #[arg(long, env = "MAX_DIRECTIVES", global = true)]
    #[arg(default_value = defaults::MAX_DIRECTIVES)]
    pub max_directives: Option<String>,
    /// Largest GraphQL document in bytes.
    #[arg(long, env = "MAX_DOCUMENT_BYTES", global = true)]
    #[arg(default_value = defaults::MAX_DOCUMENT_BYTES)]
    pub max_document_bytes: Option<String>,
    /// Highest connection-aware cost of one operation.
    #[arg(long, env = "MAX_COST", global = true)]
    #[arg(default_value = defaults::MAX_COST)]
    pub max_cost: Option<String>,
    /// Points in each client's cost budget (a leaky bucket).
    #[arg(long, env = "COST_BUCKET_SIZE", global = true)]
    #[arg(default_value = defaults::COST_BUCKET_SIZE)]
    pub cost_bucket_size: Option<String>,
    /// Points per second restored to each client's cost budget.
    #[arg(long, env = "COST_RESTORE_RATE", global = true)]
    #[arg(default_value = defaults::COST_RESTORE_RATE)]
    pub cost_restore_rate: Option<String>,
    /// Answer introspection queries [default: on in development, off in production]
    #[arg(long, env = "INTROSPECTION", global = true)]
    pub introspection: Option<String>,
    /// `only` accepts only the documents of the manifest, `report` any document
    /// (counting and logging those outside the manifest), `off` any document.
    #[arg(long, env = "TRUSTED_DOCUMENTS", global = true)]
    #[arg(default_value = defaults::TRUSTED_DOCUMENTS)]
    pub trusted_documents: Option<String>,
    /// JSON manifest of trusted documents (sha256 hex → document).
    #[arg(long, env = "TRUSTED_DOCUMENTS_MANIFEST", global = true)]
    pub trusted_documents_manifest: Option<String>,
    /// Send `Strict-Transport-Security` (when served behind TLS).
    #[arg(long, env = "HSTS", global = true)]
    #[arg(default_value = defaults::HSTS)]
    pub hsts: Option<String>,
    /// Redis, for running several instances as one: cache invalidations,
    /// session revocations, subscription events and persisted queries reach
    /// every instance, and limits count across all of them (README
    /// "Running several instances").
    #[arg(long, env = "REDIS_URL", global = true, hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Prefix of the Redis channels and keys of this deployment; instances
    /// with one prefix act as one.
    #[arg(long, env = "REDIS_PREFIX", global = true)]
    #[arg(default_value = defaults::REDIS_PREFIX)]
    pub redis_prefix: Option<String>,
    /// With `REDIS_URL`: how long an automatic persisted query stays
    /// registered in Redis after its last registration (at most 604800, a week).
    #[arg(long, env = "APQ_TTL_SECS", global = true)]
    #[arg(default_value = defaults::APQ_TTL_SECS)]
    pub apq_ttl_secs: Option<String>,
    /// Comma-separated exact origins allowed by CORS; replaces the default
    /// [default: `http://localhost:*`, `http://127.0.0.1:*` in development, none in production]
    #[arg(long, env = "CORS_ORIGINS", global = true)]
    pub cors_origins: Option<String>,
    /// Serve GraphiQL to browsers on GET /graphql [default: on in development, off in production]
    #[arg(long, env = "GRAPHIQL", global = true)]
    pub graphiql: Option<String>,
    /// Largest request body in bytes, after decompression (413 beyond).
    #[arg(long, env = "BODY_LIMIT_BYTES", global = true)]
    #[arg(default_value = defaults::BODY_LIMIT_BYTES)]
    pub body_limit_bytes: Option<String>,
    /// Largest batch of operations in one request.
    #[arg(long, env = "BATCH_LIMIT", global = true)]
    #[arg(default_value = defaults::BATCH_LIMIT)]
    pub batch_limit: Option<String>,
    /// Seconds a request may take; also PostgreSQL's `statement_timeout`.
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", global = true)]
    #[arg(default_value = defaults::REQUEST_TIMEOUT_SECS)]
    pub request_timeout_secs: Option<String>,
    /// Database connections, all workers together (on PostgreSQL each worker
    /// holds its share).
    #[arg(long, env = "DB_MAX_CONNECTIONS", global = true)]
    #[arg(default_value = defaults::DB_MAX_CONNECTIONS)]
    pub db_max_connections: Option<String>,
    /// Threads serving requests, each with its own single-threaded runtime
    /// [default: number of cores]
    #[arg(long, env = "WORKERS", global = true)]
    pub workers: Option<String>,
    /// Seconds to wait for a pooled database connection.
    #[arg(long, env = "DB_ACQUIRE_TIMEOUT_SECS", global = true)]
    #[arg(default_value = defaults::DB_ACQUIRE_TIMEOUT_SECS)]
    pub db_acquire_timeout_secs: Option<String>,
    /// Seconds open requests and WebSockets get to finish after SIGTERM.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", global = true)]
    #[arg(default_value = defaults::SHUTDOWN_GRACE_SECS)]
    pub shutdown_grace_secs: Option<String>,
    /// Cache products and users by id.
    #[arg(long, env = "ENTITY_CACHE", global = true)]
    #[arg(default_value = defaults::ENTITY_CACHE)]
    pub entity_cache: Option<String>,
    /// Seconds a product or user stays cached.
    #[arg(long, env = "ENTITY_CACHE_TTL_SECS", global = true)]
    #[arg(default_value = defaults::ENTITY_CACHE_TTL_SECS)]
    pub entity_cache_ttl_secs: Option<String>,
    /// Products and users cached at most, per kind.
    #[arg(long, env = "ENTITY_CACHE_CAPACITY", global = true)]
    #[arg(default_value = defaults::ENTITY_CACHE_CAPACITY)]
    pub entity_cache_capacity: Option<String>,
    /// Cache anonymous public catalog responses (`Cache-Control: public, max-age`).
    #[arg(long, env = "RESPONSE_CACHE", global = true)]
    #[arg(default_value = defaults::RESPONSE_CACHE)]
    pub response_cache: Option<String>,
    /// Seconds a public response stays cached (also its `max-age`).
    #[arg(long, env = "RESPONSE_CACHE_TTL_SECS", global = true)]
    #[arg(default_value = defaults::RESPONSE_CACHE_TTL_SECS)]
    pub response_cache_ttl_secs: Option<String>,
    /// Persisted queries (APQ) and parsed documents kept.
    #[arg(long, env = "DOCUMENT_CACHE_CAPACITY", global = true)]
    #[arg(default_value = defaults::DOCUMENT_CACHE_CAPACITY)]
    pub document_cache_capacity: Option<String>,
    #[command(flatten, next_help_heading = "Telemetry")]
    pub telemetry: TelemetryArgs,
    #[command(flatten, next_help_heading = "External identity provider")]
    pub identity_provider: super::identity::IdentityProviderArgs,
    #[command(flatten, next_help_heading = super::bench::HEADING)]
    pub bench: super::bench::BenchArgs,
}

/// Metrics, traces and logs.
#[derive(Args, Clone, Debug, Default)]
pub struct TelemetryArgs {
    /// Where GET /metrics is served; the help is [`metrics_addr_help`]'s.
    #[arg(long, env = "METRICS_ADDR", global = true, help = metrics_addr_help())]
    pub metrics_addr: Option<String>,
    /// OTLP/HTTP endpoint spans are exported to (e.g. `http://otel-collector:4318`;
    /// plain HTTP, to a collector beside the server); tracing is off when absent.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", global = true)]
    pub otel_exporter_otlp_endpoint: Option<String>,
    /// The `service.name` of exported spans.
    #[arg(long, env = "OTEL_SERVICE_NAME", global = true)]
    #[arg(default_value = defaults::OTEL_SERVICE_NAME)]
    pub otel_service_name: Option<String>,
    /// Operations taking longer than this many milliseconds are logged as
    /// warnings, with their name, duration, statement count and cost.
    #[arg(long, env = "SLOW_OPERATION_MS", global = true)]
    #[arg(default_value = defaults::SLOW_OPERATION_MS)]
    pub slow_operation_ms: Option<String>,
}

/// METRICS_ADDR's help, naming the development default from [`defaults`].
fn metrics_addr_help() -> String {
    format!(
        "Address of the Prometheus listener serving GET /metrics; `off` switches it off \
         [default: `{}` in development, off in production]",
        defaults::METRICS_ADDR
    )
}
