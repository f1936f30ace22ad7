//! Configuration from the environment and command-line flags, validated once
//! at start-up so a bad value stops the process with one line naming it.

mod args;
pub mod bench;
pub mod identity;
mod redis;
pub mod reference;

pub use args::{ConfigArgs, TelemetryArgs, defaults};
pub use redis::RedisConfig;

use std::{
    fmt,
    net::{IpAddr, SocketAddr},
    str::FromStr,
    sync::Arc,
    time::Duration,
};

use sea_orm::sqlx::{postgres::PgConnectOptions, sqlite::SqliteConnectOptions};

use crate::{
    graphql::trusted::{Mode as TrustedMode, TrustedDocuments},
    limits::{Limits, budget::BudgetConfig},
};

/// Where the server runs: development is forgiving, production is strict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// Validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Database URL (sqlite:// or postgres://).
    pub database_url: String,
    /// Address the HTTP server binds.
    pub bind_addr: SocketAddr,
    /// Development or production.
    pub environment: Environment,
    /// Redis, through which instances act as one, when configured.
    pub redis: Option<RedisConfig>,
    /// Allowed CORS origins, when configured.
    pub cors_origins: Option<Vec<String>>,
    /// Whether GET /graphql serves GraphiQL to browsers.
    pub graphiql: bool,
    /// Largest accepted request body in bytes (after decompression).
    pub body_limit_bytes: usize,
    /// Largest accepted batch of operations.
    pub batch_limit: usize,
    /// Time a request may take before it is cancelled.
    pub request_timeout: Duration,
    /// Largest number of pooled database connections, all workers together.
    pub db_max_connections: u32,
    /// Threads serving requests, each running its own single-threaded
    /// runtime (see `app::workers`).
    pub workers: usize,
    /// Time to wait for a pooled connection.
    pub db_acquire_timeout: Duration,
    /// Time open requests and WebSockets get to finish after SIGTERM, after
    /// which the remaining connections are dropped.
    pub shutdown_grace: Duration,
    /// Access and refresh token settings.
    pub tokens: TokenConfig,
    /// Throttling of logins and registrations.
    pub throttle: ThrottleConfig,
    /// Proxies whose X-Forwarded-For names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Cache sizes and lifetimes.
    pub cache: CacheConfig,
    /// Per-operation limits.
    pub limits: Limits,
    /// Per-client cost buckets.
    pub budget: BudgetConfig,
    /// Requests per second and burst per client IP.
    pub rate_limit: (u32, u32),
    /// Whether introspection queries are answered.
    pub introspection: bool,
    /// The trusted-documents manifest, read and checked with the rest of the
    /// configuration, and whether only its documents may run.
    pub trusted: Arc<TrustedDocuments>,
    /// Whether responses carry Strict-Transport-Security.
    pub hsts: bool,
    /// The benchmark's hooks, in builds with the `bench` feature.
    pub bench: bench::BenchConfig,
    /// Metrics, traces and logs.
    pub telemetry: TelemetryConfig,
    /// An external identity provider whose access tokens are accepted too.
    pub identity_provider: Option<identity::IdentityProviderConfig>,
}

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

/// Cache sizes and lifetimes; each cache can be switched off.
#[derive(Clone, Debug)]
pub struct CacheConfig {
    pub entities: bool,
    pub entity_ttl: Duration,
    pub entity_capacity: u64,
    pub responses: bool,
    pub response_ttl: Duration,
    pub response_capacity: u64,
    pub documents_capacity: u64,
    /// Longer documents are parsed every time rather than cached.
    pub max_cached_document_len: usize,
}

/// Access and refresh token settings.
#[derive(Clone, Debug)]
pub struct TokenConfig {
    /// The secret that signs new access tokens; `None` in development means an
    /// ephemeral one is made at start.
    pub secret: Option<Secret>,
    /// Earlier secrets whose tokens still verify.
    pub previous_secrets: Vec<Secret>,
    pub issuer: String,
    pub audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

/// Throttling of logins and registrations.
#[derive(Clone, Debug)]
pub struct ThrottleConfig {
    pub login_failures_per_account: u32,
    pub login_failures_per_ip: u32,
    pub login_window: Duration,
    pub registrations_per_ip: u32,
    pub registration_window: Duration,
}

/// A secret value that never prints itself.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A configuration value that is wrong, naming its variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(variable: &'static str, message: impl Into<String>) -> Self {
        Self {
            variable,
            message: message.into(),
        }
    }
}

impl TelemetryConfig {
    fn from_args(args: &TelemetryArgs, production: bool) -> Result<Self, ConfigError> {
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

const MIN_PRODUCTION_SECRET_BYTES: usize = 32;

impl Config {
    /// Validates raw settings.
    pub fn from_args(args: &ConfigArgs) -> Result<Self, ConfigError> {
        let environment = match or_default(args.environment.as_deref(), defaults::ENVIRONMENT) {
            "development" => Environment::Development,
            "production" => Environment::Production,
            other => {
                return Err(ConfigError::new(
                    "TOLLGATE_ENV",
                    format!("expected development or production, got {other:?}"),
                ));
            }
        };
        let production = environment == Environment::Production;
        let on_in_development = if production { "off" } else { "on" };
        let database_url = parse_database_url(args.database_url.as_deref())?;
        let jwt_secret = match args.jwt_secret.as_deref() {
            Some(s) if production && s.len() < MIN_PRODUCTION_SECRET_BYTES => {
                return Err(ConfigError::new(
                    "JWT_SECRET",
                    format!("must be at least {MIN_PRODUCTION_SECRET_BYTES} bytes in production"),
                ));
            }
            Some("") | None if production => {
                return Err(ConfigError::new("JWT_SECRET", "is required in production"));
            }
            Some("") | None => None,
            Some(s) => Some(Secret::new(s)),
        };
        Ok(Self {
            database_url,
            bind_addr: parse_or("BIND_ADDR", args.bind_addr.as_deref(), defaults::BIND_ADDR)?,
            environment,
            tokens: TokenConfig {
                secret: jwt_secret,
                previous_secrets: args
                    .jwt_previous_secrets
                    .as_deref()
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(Secret::new)
                    .collect(),
                issuer: or_default(args.jwt_issuer.as_deref(), defaults::JWT_ISSUER).to_owned(),
                audience: or_default(args.jwt_audience.as_deref(), defaults::JWT_AUDIENCE)
                    .to_owned(),
                access_ttl: Duration::from_secs(parse_positive(
                    "ACCESS_TOKEN_TTL_SECS",
                    &args.access_token_ttl_secs,
                    defaults::ACCESS_TOKEN_TTL_SECS,
                )?),
                refresh_ttl: Duration::from_secs(
                    86_400
                        * parse_positive::<u64>(
                            "REFRESH_TOKEN_TTL_DAYS",
                            &args.refresh_token_ttl_days,
                            defaults::REFRESH_TOKEN_TTL_DAYS,
                        )?,
                ),
            },
            throttle: ThrottleConfig {
                login_failures_per_account: parse_positive(
                    "LOGIN_MAX_FAILURES",
                    &args.login_max_failures,
                    defaults::LOGIN_MAX_FAILURES,
                )?,
                login_failures_per_ip: parse_positive(
                    "LOGIN_MAX_FAILURES_PER_IP",
                    &args.login_max_failures_per_ip,
                    defaults::LOGIN_MAX_FAILURES_PER_IP,
                )?,
                login_window: Duration::from_secs(15 * 60),
                registrations_per_ip: parse_positive(
                    "REGISTER_PER_HOUR",
                    &args.register_per_hour,
                    defaults::REGISTER_PER_HOUR,
                )?,
                registration_window: Duration::from_secs(3600),
            },
            trusted_proxies: parse_proxies(args.trusted_proxies.as_deref())?,
            limits: Limits {
                depth: parse_positive("MAX_DEPTH", &args.max_depth, defaults::MAX_DEPTH)?,
                aliases: parse_positive("MAX_ALIASES", &args.max_aliases, defaults::MAX_ALIASES)?,
                root_fields: parse_positive(
                    "MAX_ROOT_FIELDS",
                    &args.max_root_fields,
                    defaults::MAX_ROOT_FIELDS,
                )?,
                directives: parse_positive(
                    "MAX_DIRECTIVES",
                    &args.max_directives,
                    defaults::MAX_DIRECTIVES,
                )?,
                size: parse_positive(
                    "MAX_DOCUMENT_BYTES",
                    &args.max_document_bytes,
                    defaults::MAX_DOCUMENT_BYTES,
                )?,
                cost: parse_positive("MAX_COST", &args.max_cost, defaults::MAX_COST)?,
            },
            budget: BudgetConfig {
                size: parse_positive(
                    "COST_BUCKET_SIZE",
                    &args.cost_bucket_size,
                    defaults::COST_BUCKET_SIZE,
                )?,
                restore_rate: parse_positive(
                    "COST_RESTORE_RATE",
                    &args.cost_restore_rate,
                    defaults::COST_RESTORE_RATE,
                )?,
            },
            rate_limit: (
                parse_positive(
                    "RATE_LIMIT_RPS",
                    &args.rate_limit_rps,
                    defaults::RATE_LIMIT_RPS,
                )?,
                parse_positive(
                    "RATE_LIMIT_BURST",
                    &args.rate_limit_burst,
                    defaults::RATE_LIMIT_BURST,
                )?,
            ),
            introspection: parse_bool(
                "INTROSPECTION",
                args.introspection.as_deref(),
                on_in_development,
            )?,
            trusted: Arc::new(TrustedDocuments::load(
                parse_trusted_mode(args.trusted_documents.as_deref())?,
                non_empty(args.trusted_documents_manifest.as_deref()).as_deref(),
            )?),
            hsts: parse_bool("HSTS", args.hsts.as_deref(), defaults::HSTS)?,
            bench: bench::BenchConfig::from_args(&args.bench, production)?,
            cache: CacheConfig {
                entities: parse_bool(
                    "ENTITY_CACHE",
                    args.entity_cache.as_deref(),
                    defaults::ENTITY_CACHE,
                )?,
                entity_ttl: Duration::from_secs(parse_positive(
                    "ENTITY_CACHE_TTL_SECS",
                    &args.entity_cache_ttl_secs,
                    defaults::ENTITY_CACHE_TTL_SECS,
                )?),
                entity_capacity: parse_positive(
                    "ENTITY_CACHE_CAPACITY",
                    &args.entity_cache_capacity,
                    defaults::ENTITY_CACHE_CAPACITY,
                )?,
                responses: parse_bool(
                    "RESPONSE_CACHE",
                    args.response_cache.as_deref(),
                    defaults::RESPONSE_CACHE,
                )?,
                response_ttl: Duration::from_secs(parse_positive(
                    "RESPONSE_CACHE_TTL_SECS",
                    &args.response_cache_ttl_secs,
                    defaults::RESPONSE_CACHE_TTL_SECS,
                )?),
                response_capacity: 10_000,
                documents_capacity: parse_positive(
                    "DOCUMENT_CACHE_CAPACITY",
                    &args.document_cache_capacity,
                    defaults::DOCUMENT_CACHE_CAPACITY,
                )?,
                max_cached_document_len: 16 * 1024,
            },
            redis: RedisConfig::from_args(
                non_empty(args.redis_url.as_deref()),
                or_default(args.redis_prefix.as_deref(), defaults::REDIS_PREFIX),
                parse_positive("APQ_TTL_SECS", &args.apq_ttl_secs, defaults::APQ_TTL_SECS)?,
            )?,
            cors_origins: parse_origins(args.cors_origins.as_deref())?,
            graphiql: parse_bool("GRAPHIQL", args.graphiql.as_deref(), on_in_development)?,
            body_limit_bytes: parse_positive(
                "BODY_LIMIT_BYTES",
                &args.body_limit_bytes,
                defaults::BODY_LIMIT_BYTES,
            )?,
            batch_limit: parse_positive("BATCH_LIMIT", &args.batch_limit, defaults::BATCH_LIMIT)?,
            request_timeout: Duration::from_secs(parse_positive(
                "REQUEST_TIMEOUT_SECS",
                &args.request_timeout_secs,
                defaults::REQUEST_TIMEOUT_SECS,
            )?),
            db_max_connections: parse_positive(
                "DB_MAX_CONNECTIONS",
                &args.db_max_connections,
                defaults::DB_MAX_CONNECTIONS,
            )?,
            workers: parse_positive(
                "WORKERS",
                &args.workers,
                &std::thread::available_parallelism()
                    .map_or(1, usize::from)
                    .to_string(),
            )?,
            db_acquire_timeout: Duration::from_secs(parse_positive(
                "DB_ACQUIRE_TIMEOUT_SECS",
                &args.db_acquire_timeout_secs,
                defaults::DB_ACQUIRE_TIMEOUT_SECS,
            )?),
            shutdown_grace: Duration::from_secs(parse_positive(
                "SHUTDOWN_GRACE_SECS",
                &args.shutdown_grace_secs,
                defaults::SHUTDOWN_GRACE_SECS,
            )?),
            telemetry: TelemetryConfig::from_args(&args.telemetry, production)?,
            identity_provider: identity::IdentityProviderConfig::from_args(
                &args.identity_provider,
                or_default(args.jwt_issuer.as_deref(), defaults::JWT_ISSUER),
                environment,
            )?,
        })
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// Whether each worker opens its own pool. A PostgreSQL connection's
    /// socket is driven by the runtime that opened it, so each worker keeps
    /// its own share of the connections; SQLite's connections run on threads
    /// of their own, and its one pool (possibly an in-memory database) is shared.
    pub fn pool_per_worker(&self) -> bool {
        !self.is_sqlite() && self.workers > 1
    }

    /// The size of one pool: `DB_MAX_CONNECTIONS`, shared out among the
    /// workers when each has its own.
    pub fn pool_size(&self) -> u32 {
        if self.pool_per_worker() {
            let workers = u32::try_from(self.workers).unwrap_or(u32::MAX);
            self.db_max_connections.div_ceil(workers)
        } else {
            self.db_max_connections
        }
    }
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
}

/// The setting's text, or `default` (the text an absent or blank setting
/// stands for).
fn or_default<'a>(value: Option<&'a str>, default: &'a str) -> &'a str {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(default)
}

/// Parses the URL as the driver will, so a malformed one is named before a
/// connection is attempted.
fn parse_database_url(value: Option<&str>) -> Result<String, ConfigError> {
    let url = or_default(value, defaults::DATABASE_URL).to_owned();
    let parsed = if url.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(&url).map(drop)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        PgConnectOptions::from_str(&url).map(drop)
    } else {
        return Err(ConfigError::new(
            "DATABASE_URL",
            "must start with sqlite:// or postgres://",
        ));
    };
    parsed.map_err(|err| ConfigError::new("DATABASE_URL", err.to_string()))?;
    Ok(url)
}

fn parse_trusted_mode(value: Option<&str>) -> Result<TrustedMode, ConfigError> {
    match or_default(value, defaults::TRUSTED_DOCUMENTS) {
        "off" => Ok(TrustedMode::Off),
        "report" => Ok(TrustedMode::Report),
        "only" => Ok(TrustedMode::Only),
        other => Err(ConfigError::new(
            "TRUSTED_DOCUMENTS",
            format!("expected only, report or off, got {other:?}"),
        )),
    }
}

fn parse_or<T: std::str::FromStr>(
    variable: &'static str,
    value: Option<&str>,
    default: &str,
) -> Result<T, ConfigError> {
    let raw = or_default(value, default);
    raw.parse()
        .map_err(|_| ConfigError::new(variable, format!("cannot parse {raw:?}")))
}

fn parse_positive<T>(
    variable: &'static str,
    value: &Option<String>,
    default: &str,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + Default,
{
    let raw = or_default(value.as_deref(), default);
    match raw.parse::<T>() {
        Ok(v) if v > T::default() => Ok(v),
        _ => Err(ConfigError::new(
            variable,
            format!("expected a positive whole number, got {raw:?}"),
        )),
    }
}

fn parse_bool(
    variable: &'static str,
    value: Option<&str>,
    default: &str,
) -> Result<bool, ConfigError> {
    match or_default(value, default).to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => Err(ConfigError::new(
            variable,
            format!("expected true or false, got {other:?}"),
        )),
    }
}

fn parse_proxies(value: Option<&str>) -> Result<Vec<IpAddr>, ConfigError> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse().map_err(|_| {
                ConfigError::new("TRUSTED_PROXIES", format!("{p:?} is not an IP address"))
            })
        })
        .collect()
}

fn parse_origins(value: Option<&str>) -> Result<Option<Vec<String>>, ConfigError> {
    let Some(raw) = non_empty(value) else {
        return Ok(None);
    };
    let origins: Vec<String> = raw
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(String::from)
        .collect();
    for origin in &origins {
        let valid = (origin.starts_with("http://") || origin.starts_with("https://"))
            && !origin.ends_with('/')
            && !origin.contains('*');
        if !valid {
            return Err(ConfigError::new(
                "CORS_ORIGINS",
                format!("{origin:?} is not an exact origin such as https://shop.example"),
            ));
        }
    }
    Ok(Some(origins))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ConfigArgs {
        ConfigArgs::default()
    }

    #[test]
    fn defaults_run_on_embedded_sqlite_in_development() {
        let config = Config::from_args(&args()).unwrap();
        assert_eq!(config.database_url, defaults::DATABASE_URL);
        assert_eq!(config.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(config.environment, Environment::Development);
        assert!(config.graphiql);
        assert_eq!(config.body_limit_bytes, 1 << 20);
        assert_eq!(config.batch_limit, 10);
        assert!(config.tokens.secret.is_none());
        assert_eq!(config.tokens.issuer, "tollgate");
        assert_eq!(config.tokens.audience, "tollgate-api");
        assert_eq!(config.tokens.access_ttl, Duration::from_secs(900));
        assert_eq!(config.throttle.login_failures_per_account, 10);
        assert_eq!(config.throttle.login_failures_per_ip, 50);
        assert_eq!(config.throttle.registrations_per_ip, 30);
        assert_eq!(config.shutdown_grace, Duration::from_secs(20));
    }

    /// The defaults `--help` shows (clap's, with no flag and no environment
    /// variable) are the ones applied to settings that are absent.
    #[test]
    fn the_defaults_the_help_shows_are_the_ones_applied() {
        use clap::{Args, FromArgMatches};
        let command = ConfigArgs::augment_args(clap::Command::new("tollgate"))
            .mut_args(|arg| arg.env(None::<&str>));
        let parsed = ConfigArgs::from_arg_matches(&command.get_matches_from(["tollgate"])).unwrap();
        assert!(parsed.max_cost.is_some(), "clap filled in its defaults");

        let applied = |args: &ConfigArgs| format!("{:?}", Config::from_args(args).unwrap());
        assert_eq!(applied(&parsed), applied(&args()));
    }

    #[test]
    fn production_requires_a_long_jwt_secret() {
        let mut a = args();
        a.environment = Some("production".into());
        let err = Config::from_args(&a).unwrap_err();
        assert_eq!(err.variable, "JWT_SECRET");
        a.jwt_secret = Some("short".into());
        assert_eq!(Config::from_args(&a).unwrap_err().variable, "JWT_SECRET");
        a.jwt_secret = Some("x".repeat(32));
        let config = Config::from_args(&a).unwrap();
        assert!(config.is_production());
        assert!(!config.graphiql, "GraphiQL is opt-in in production");
        assert!(
            !config.introspection,
            "introspection is opt-in in production"
        );
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        type Case = (&'static str, fn(&mut ConfigArgs));
        let cases: [Case; 16] = [
            ("TRUSTED_PROXIES", |a| {
                a.trusted_proxies = Some("10.0.0.1, proxy".into())
            }),
            ("ACCESS_TOKEN_TTL_SECS", |a| {
                a.access_token_ttl_secs = Some("0".into())
            }),
            ("BIND_ADDR", |a| a.bind_addr = Some("nowhere".into())),
            ("TOLLGATE_ENV", |a| a.environment = Some("staging".into())),
            ("DATABASE_URL", |a| {
                a.database_url = Some("mysql://x".into())
            }),
            ("BATCH_LIMIT", |a| a.batch_limit = Some("0".into())),
            ("BODY_LIMIT_BYTES", |a| {
                a.body_limit_bytes = Some("-1".into())
            }),
            ("GRAPHIQL", |a| a.graphiql = Some("maybe".into())),
            ("SHUTDOWN_GRACE_SECS", |a| {
                a.shutdown_grace_secs = Some("soon".into())
            }),
            ("CORS_ORIGINS", |a| a.cors_origins = Some("*".into())),
            ("DATABASE_URL", |a| {
                a.database_url = Some("sqlite://x.db?mode=bogus".into())
            }),
            ("TRUSTED_DOCUMENTS", |a| {
                a.trusted_documents = Some("sometimes".into())
            }),
            ("TRUSTED_DOCUMENTS_MANIFEST", |a| {
                a.trusted_documents = Some("only".into())
            }),
            ("TRUSTED_DOCUMENTS_MANIFEST", |a| {
                a.trusted_documents = Some("report".into())
            }),
            ("REDIS_URL", |a| {
                a.redis_url = Some("http://:hunter2@cache:6379".into())
            }),
            ("REDIS_PREFIX", |a| {
                a.redis_url = Some("redis://cache:6379".into());
                a.redis_prefix = Some("two words".into());
            }),
        ];
        for (variable, set) in cases {
            let mut a = args();
            set(&mut a);
            let err = Config::from_args(&a).unwrap_err();
            assert_eq!(err.variable, variable);
            assert!(err.to_string().contains(variable), "{err}");
            assert!(!err.to_string().contains('\n'), "one line: {err}");
        }
    }

    #[test]
    fn cors_origins_are_an_exact_list() {
        let mut a = args();
        a.cors_origins = Some("https://a.example, http://localhost:3000".into());
        let config = Config::from_args(&a).unwrap();
        assert_eq!(
            config.cors_origins.unwrap(),
            vec!["https://a.example", "http://localhost:3000"]
        );
    }

    #[test]
    fn the_secret_never_prints() {
        let secret = Secret::new("hunter2-hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
    }
}
