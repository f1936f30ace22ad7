//! Serving HTTP: the address, the workers, CORS, GraphiQL, request bounds,
//! the proxies believed about the client's address and the drain on SIGTERM.

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use super::{
    ConfigArgs, ConfigError, defaults,
    parse::{non_empty, parse_bool, parse_or, parse_positive},
};

/// How requests are served.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Address the HTTP server binds.
    pub bind_addr: SocketAddr,
    /// Threads serving requests, each running its own single-threaded
    /// runtime (see `app::workers`).
    pub workers: usize,
    /// Allowed CORS origins, when configured.
    pub cors_origins: Option<Vec<String>>,
    /// Whether GET /graphql serves GraphiQL to browsers.
    pub graphiql: bool,
    /// Whether responses carry Strict-Transport-Security.
    pub hsts: bool,
    /// Largest accepted request body in bytes (after decompression).
    pub body_limit_bytes: usize,
    /// Largest accepted batch of operations.
    pub batch_limit: usize,
    /// Time a request may take before it is cancelled.
    pub request_timeout: Duration,
    /// Proxies whose X-Forwarded-For names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Time open requests and WebSockets get to finish after SIGTERM, after
    /// which the remaining connections are dropped.
    pub shutdown_grace: Duration,
}

impl HttpConfig {
    /// `on_in_development` is what a development-only default stands for.
    pub fn from_args(args: &ConfigArgs, on_in_development: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            bind_addr: parse_or("BIND_ADDR", args.bind_addr.as_deref(), defaults::BIND_ADDR)?,
            workers: parse_positive(
                "WORKERS",
                &args.workers,
                &std::thread::available_parallelism()
                    .map_or(1, usize::from)
                    .to_string(),
            )?,
            cors_origins: parse_origins(args.cors_origins.as_deref())?,
            graphiql: parse_bool("GRAPHIQL", args.graphiql.as_deref(), on_in_development)?,
            hsts: parse_bool("HSTS", args.hsts.as_deref(), defaults::HSTS)?,
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
            trusted_proxies: parse_proxies(args.trusted_proxies.as_deref())?,
            shutdown_grace: Duration::from_secs(parse_positive(
                "SHUTDOWN_GRACE_SECS",
                &args.shutdown_grace_secs,
                defaults::SHUTDOWN_GRACE_SECS,
            )?),
        })
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
