//! The database: `DATABASE_URL`, the pool's size and how long a request
//! waits for one of its connections.

use std::{str::FromStr, time::Duration};

use sea_orm::sqlx::{postgres::PgConnectOptions, sqlite::SqliteConnectOptions};

use super::{
    ConfigArgs, ConfigError, defaults,
    parse::{or_default, parse_positive},
};

/// The database and its pool.
#[derive(Clone, Debug)]
pub struct DbConfig {
    /// Database URL (sqlite:// or postgres://).
    pub url: String,
    /// Largest number of pooled database connections, all workers together.
    pub max_connections: u32,
    /// Time to wait for a pooled connection.
    pub acquire_timeout: Duration,
}

impl DbConfig {
    pub fn from_args(args: &ConfigArgs) -> Result<Self, ConfigError> {
        Ok(Self {
            url: parse_database_url(args.database_url.as_deref())?,
            max_connections: parse_positive(
                "DB_MAX_CONNECTIONS",
                &args.db_max_connections,
                defaults::DB_MAX_CONNECTIONS,
            )?,
            acquire_timeout: Duration::from_secs(parse_positive(
                "DB_ACQUIRE_TIMEOUT_SECS",
                &args.db_acquire_timeout_secs,
                defaults::DB_ACQUIRE_TIMEOUT_SECS,
            )?),
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.url.starts_with("sqlite:")
    }
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
