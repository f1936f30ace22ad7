//! `REDIS_URL` and `REDIS_PREFIX`: checked as the client will read them, so
//! a malformed URL stops start-up with a line naming the variable. The URL
//! may carry a password: it is kept as a [`Secret`] and never printed, not
//! even in the error that refuses it.

use super::{ConfigError, Secret};

/// Longest accepted prefix: it starts every channel name and key.
const MAX_PREFIX_LEN: usize = 64;

/// Redis, through which several instances act as one.
#[derive(Clone, Debug)]
pub struct RedisConfig {
    /// `redis://[user:password@]host[:port][/db]`, or `unix:` / `redis+unix:`.
    pub url: Secret,
    /// Starts the names of this deployment's channels and keys.
    pub prefix: String,
}

impl RedisConfig {
    /// The configuration when a URL is given.
    pub fn from_args(url: Option<String>, prefix: &str) -> Result<Option<Self>, ConfigError> {
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
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_url_never_shows_its_password() {
        for url in ["http://:hunter2@cache:6379", "rediss://:hunter2@cache:6379"] {
            let err = RedisConfig::from_args(Some(url.into()), "tollgate").unwrap_err();
            assert_eq!(err.variable, "REDIS_URL");
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn an_accepted_url_never_prints() {
        let config = RedisConfig::from_args(Some("redis://:hunter2@cache:6379/2".into()), "shop")
            .unwrap()
            .unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
        assert_eq!(config.prefix, "shop");
        assert!(RedisConfig::from_args(None, "tollgate").unwrap().is_none());
    }
}
