//! Configuration from the environment and command-line flags, validated once
//! at start-up so a bad value stops the process with one line naming it.
//!
//! [`Config`] is composed of groups, each in a file of its own that
//! validates its settings: `http`, `db`, `tokens`, `limits`, `caches`,
//! `telemetry`, `redis`, `identity` and the benchmark's `bench`. The flags
//! stay one list (`args`), in the order `--help` and README's reference
//! show them.

mod args;
pub mod bench;
mod caches;
mod db;
mod http;
pub mod identity;
mod limits;
mod parse;
mod redis;
pub mod reference;
mod telemetry;
mod tokens;

pub use args::{ConfigArgs, TelemetryArgs, defaults};
pub use caches::{CacheConfig, MAX_CACHED_DOCUMENT_BYTES, RESPONSE_CACHE_CAPACITY};
pub use db::DbConfig;
pub use http::HttpConfig;
pub use limits::{LOGIN_WINDOW, LimitsConfig, REGISTRATION_WINDOW, ThrottleConfig};
pub use redis::RedisConfig;
pub use telemetry::TelemetryConfig;
pub use tokens::{Secret, TokenConfig};

use parse::{non_empty, or_default, parse_positive};

/// Where the server runs: development is forgiving, production is strict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// Validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Development or production.
    pub environment: Environment,
    /// The database and its pool.
    pub db: DbConfig,
    /// Access and refresh token settings.
    pub tokens: TokenConfig,
    /// How requests are served.
    pub http: HttpConfig,
    /// Every limit on what clients may ask.
    pub limits: LimitsConfig,
    /// Cache sizes and lifetimes.
    pub cache: CacheConfig,
    /// Redis, through which instances act as one, when configured.
    pub redis: Option<RedisConfig>,
    /// Metrics, traces and logs.
    pub telemetry: TelemetryConfig,
    /// An external identity provider whose access tokens are accepted too.
    pub identity_provider: Option<identity::IdentityProviderConfig>,
    /// The benchmark's hooks, in builds with the `bench` feature.
    pub bench: bench::BenchConfig,
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
        Ok(Self {
            environment,
            db: DbConfig::from_args(args)?,
            tokens: TokenConfig::from_args(args, production)?,
            http: HttpConfig::from_args(args, on_in_development)?,
            limits: LimitsConfig::from_args(args, on_in_development)?,
            cache: CacheConfig::from_args(args)?,
            redis: RedisConfig::from_args(
                non_empty(args.redis_url.as_deref()),
                or_default(args.redis_prefix.as_deref(), defaults::REDIS_PREFIX),
                parse_positive("APQ_TTL_SECS", &args.apq_ttl_secs, defaults::APQ_TTL_SECS)?,
            )?,
            telemetry: TelemetryConfig::from_args(&args.telemetry, production)?,
            identity_provider: identity::IdentityProviderConfig::from_args(
                &args.identity_provider,
                or_default(args.jwt_issuer.as_deref(), defaults::JWT_ISSUER),
                environment,
            )?,
            bench: bench::BenchConfig::from_args(&args.bench, production)?,
        })
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    /// Whether each worker opens its own pool. A PostgreSQL connection's
    /// socket is driven by the runtime that opened it, so each worker keeps
    /// its own share of the connections; SQLite's connections run on threads
    /// of their own, and its one pool (possibly an in-memory database) is shared.
    pub fn pool_per_worker(&self) -> bool {
        !self.db.is_sqlite() && self.http.workers > 1
    }

    /// The size of one pool: `DB_MAX_CONNECTIONS`, shared out among the
    /// workers when each has its own.
    pub fn pool_size(&self) -> u32 {
        if self.pool_per_worker() {
            let workers = u32::try_from(self.http.workers).unwrap_or(u32::MAX);
            self.db.max_connections.div_ceil(workers)
        } else {
            self.db.max_connections
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn args() -> ConfigArgs {
        ConfigArgs::default()
    }

    #[test]
    fn defaults_run_on_embedded_sqlite_in_development() {
        let config = Config::from_args(&args()).unwrap();
        assert_eq!(config.db.url, defaults::DATABASE_URL);
        assert_eq!(config.http.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(config.environment, Environment::Development);
        assert!(config.http.graphiql);
        assert_eq!(config.http.body_limit_bytes, 1 << 20);
        assert_eq!(config.http.batch_limit, 10);
        assert!(config.tokens.secret.is_none());
        assert_eq!(config.tokens.issuer, "tollgate");
        assert_eq!(config.tokens.audience, "tollgate-api");
        assert_eq!(config.tokens.access_ttl, Duration::from_secs(900));
        assert_eq!(config.limits.throttle.login_failures_per_account, 10);
        assert_eq!(config.limits.throttle.login_failures_per_ip, 50);
        assert_eq!(config.limits.throttle.registrations_per_ip, 30);
        assert_eq!(config.http.shutdown_grace, Duration::from_secs(20));
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
        assert!(!config.http.graphiql, "GraphiQL is opt-in in production");
        assert!(
            !config.limits.introspection,
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
            config.http.cors_origins.unwrap(),
            vec!["https://a.example", "http://localhost:3000"]
        );
    }

    #[test]
    fn the_secret_never_prints() {
        let secret = Secret::new("hunter2-hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
    }
}
