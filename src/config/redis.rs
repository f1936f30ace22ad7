//! `REDIS_URL`, `REDIS_PREFIX` and `APQ_TTL_SECS`: checked as the client will read them, so
//! a malformed URL stops start-up with a line naming the variable. The URL
//! may carry a password: it is kept as a [`Secret`] and never printed, not
//! even in the error that refuses it.

use std::time::Duration;

use super::{ConfigError, Secret};

/// Longest accepted prefix: it starts every channel name and key.
const MAX_PREFIX_LEN: usize = 64;
/// Longest accepted lifetime of a persisted query in Redis: a week.
const MAX_APQ_TTL_SECS: u64 = 7 * 24 * 3600;

/// Redis, through which several instances act as one.
#[derive(Clone, Debug)]
pub struct RedisConfig {
    /// `redis://[user:password@]host[:port][/db]`, or `unix:` / `redis+unix:`.
    pub url: Secret,
    /// Starts the names of this deployment's channels and keys.
    pub prefix: String,
    /// How long a persisted query stays in Redis after its last registration.
    pub apq_ttl: Duration,
}

impl RedisConfig {
    /// The configuration when a URL is given.
    pub fn from_args(
        url: Option<String>,
        prefix: &str,
        apq_ttl_secs: u64,
    ) -> Result<Option<Self>, ConfigError> {
        if apq_ttl_secs > MAX_APQ_TTL_SECS {
            return Err(ConfigError::new(
                "APQ_TTL_SECS",
                format!("expected at most {MAX_APQ_TTL_SECS} (a week), got {apq_ttl_secs}"),
            ));
        }
        let Some(url) = url else {
            return Ok(None);
        };
        redis::Client::open(url.as_str()).map_err(|_| {
            ConfigError::new(
                "REDIS_URL",
                "expected redis://[user:password@]host[:port][/db] or unix:///path \
                 (rediss:// is not supported: keep Redis beside the servers)",
            )
        })?;
        let valid = !prefix.is_empty()
            && prefix.len() <= MAX_PREFIX_LEN
            && prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b));
        if !valid {
            return Err(ConfigError::new(
                "REDIS_PREFIX",
                format!(
                    "expected up to {MAX_PREFIX_LEN} letters, digits and _-.: characters, \
                     got {prefix:?}"
                ),
            ));
        }
        Ok(Some(Self {
            url: Secret::new(url),
            prefix: prefix.to_owned(),
            apq_ttl: Duration::from_secs(apq_ttl_secs),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_url_never_shows_its_password() {
        for url in ["http://:hunter2@cache:6379", "rediss://:hunter2@cache:6379"] {
            let err = RedisConfig::from_args(Some(url.into()), "tollgate", 3600).unwrap_err();
            assert_eq!(err.variable, "REDIS_URL");
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn an_accepted_url_never_prints() {
        let url = Some("redis://:hunter2@cache:6379/2".into());
        let config = RedisConfig::from_args(url, "shop", 60).unwrap().unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
        assert_eq!(config.prefix, "shop");
        assert_eq!(config.apq_ttl, Duration::from_secs(60));
        assert!(
            RedisConfig::from_args(None, "tollgate", 3600)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_persisted_query_lives_a_week_at_most() {
        let url = || Some("redis://cache:6379".to_owned());
        assert!(RedisConfig::from_args(url(), "shop", MAX_APQ_TTL_SECS).is_ok());
        let err = RedisConfig::from_args(url(), "shop", MAX_APQ_TTL_SECS + 1).unwrap_err();
        assert_eq!(err.variable, "APQ_TTL_SECS");
    }
}
