//! Access and refresh tokens: the signing secret and the ones before it,
//! `iss`, `aud` and lifetimes.

use std::{fmt, time::Duration};

use super::{
    ConfigArgs, ConfigError, defaults,
    parse::{or_default, parse_positive},
};

/// The shortest `JWT_SECRET` production accepts, in bytes.
const MIN_PRODUCTION_SECRET_BYTES: usize = 32;
/// Seconds in a day, the unit of `REFRESH_TOKEN_TTL_DAYS`.
const SECS_PER_DAY: u64 = 86_400;

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

impl TokenConfig {
    pub fn from_args(args: &ConfigArgs, production: bool) -> Result<Self, ConfigError> {
        let secret = match args.jwt_secret.as_deref() {
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
            secret,
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
            audience: or_default(args.jwt_audience.as_deref(), defaults::JWT_AUDIENCE).to_owned(),
            access_ttl: Duration::from_secs(parse_positive(
                "ACCESS_TOKEN_TTL_SECS",
                &args.access_token_ttl_secs,
                defaults::ACCESS_TOKEN_TTL_SECS,
            )?),
            refresh_ttl: Duration::from_secs(
                SECS_PER_DAY
                    * parse_positive::<u64>(
                        "REFRESH_TOKEN_TTL_DAYS",
                        &args.refresh_token_ttl_days,
                        defaults::REFRESH_TOKEN_TTL_DAYS,
                    )?,
            ),
        })
    }
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
