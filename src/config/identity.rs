//! Settings of an external identity provider (an OIDC provider's JWKS) whose
//! access tokens are accepted beside Tollgate's own. Its issuer and audience
//! have variables of their own: `JWT_ISSUER` and `JWT_AUDIENCE` name those of
//! Tollgate's tokens, and the two issuers must differ.

use std::time::Duration;

use axum::http::Uri;
use clap::Args;
use sea_orm::ActiveEnum;

use super::{
    ConfigError, Environment,
    parse::{non_empty, or_default, parse_positive},
};
use crate::auth::Role;

pub mod defaults {
    pub const JWKS_ROLE_CLAIM: &str = "role";
    pub const JWKS_REFRESH_SECS: &str = "60";
}

/// Raw settings of the external identity provider.
#[derive(Args, Clone, Debug, Default)]
pub struct IdentityProviderArgs {
    /// URL of the provider's JSON Web Key Set; turns on its access tokens
    /// (https, or http in development and to a loopback address).
    #[arg(long, env = "JWKS_URL", global = true)]
    pub jwks_url: Option<String>,
    /// `iss` of the provider's tokens (required with `JWKS_URL`; not `JWT_ISSUER`).
    #[arg(long, env = "JWKS_ISSUER", global = true)]
    pub jwks_issuer: Option<String>,
    /// `aud` the provider's tokens must name (required with `JWKS_URL`).
    #[arg(long, env = "JWKS_AUDIENCE", global = true)]
    pub jwks_audience: Option<String>,
    /// Claim holding the role: a name, or a dotted path such as
    /// `realm_access.roles`; a string or a list of strings.
    #[arg(long, env = "JWKS_ROLE_CLAIM", global = true)]
    #[arg(default_value = defaults::JWKS_ROLE_CLAIM)]
    pub jwks_role_claim: Option<String>,
    /// Comma-separated `value=ROLE` pairs (`shop-admin=ADMIN,shop-staff=STAFF`);
    /// other values, and a missing claim, mean CUSTOMER [default: the role
    /// names themselves, in any case]
    #[arg(long, env = "JWKS_ROLE_MAP", global = true)]
    pub jwks_role_map: Option<String>,
    /// Fewest seconds between two fetches of the key set (a token with an
    /// unknown `kid` fetches it anew).
    #[arg(long, env = "JWKS_REFRESH_SECS", global = true)]
    #[arg(default_value = defaults::JWKS_REFRESH_SECS)]
    pub jwks_refresh_secs: Option<String>,
}

/// A validated external identity provider.
#[derive(Clone, Debug)]
pub struct IdentityProviderConfig {
    pub jwks_url: Uri,
    pub issuer: String,
    pub audience: String,
    pub role_claim: String,
    /// Claim values and the roles they mean; empty means the role names.
    pub role_map: Vec<(String, Role)>,
    pub refresh_interval: Duration,
}

impl IdentityProviderConfig {
    /// The provider, when `JWKS_URL` is set; `own_issuer` is `JWT_ISSUER`.
    pub fn from_args(
        args: &IdentityProviderArgs,
        own_issuer: &str,
        environment: Environment,
    ) -> Result<Option<Self>, ConfigError> {
        let Some(url) = non_empty(args.jwks_url.as_deref()) else {
            return Ok(None);
        };
        let jwks_url = parse_url(&url, environment)?;
        let issuer = non_empty(args.jwks_issuer.as_deref())
            .ok_or_else(|| ConfigError::new("JWKS_ISSUER", "is required with JWKS_URL"))?;
        if issuer == own_issuer {
            return Err(ConfigError::new(
                "JWKS_ISSUER",
                "must differ from JWT_ISSUER, the issuer of Tollgate's own tokens",
            ));
        }
        let audience = non_empty(args.jwks_audience.as_deref())
            .ok_or_else(|| ConfigError::new("JWKS_AUDIENCE", "is required with JWKS_URL"))?;
        Ok(Some(Self {
            jwks_url,
            issuer,
            audience,
            role_claim: or_default(args.jwks_role_claim.as_deref(), defaults::JWKS_ROLE_CLAIM)
                .to_owned(),
            role_map: parse_role_map(args.jwks_role_map.as_deref())?,
            refresh_interval: Duration::from_secs(parse_positive(
                "JWKS_REFRESH_SECS",
                &args.jwks_refresh_secs,
                defaults::JWKS_REFRESH_SECS,
            )?),
        }))
    }
}

/// The key set decides which tokens are genuine, so it comes over TLS,
/// except from this machine or in development.
fn parse_url(raw: &str, environment: Environment) -> Result<Uri, ConfigError> {
    let uri: Uri = raw
        .parse()
        .map_err(|_| ConfigError::new("JWKS_URL", format!("cannot parse {raw:?}")))?;
    let host = uri.host().unwrap_or_default();
    let loopback = host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match uri.scheme_str() {
        _ if host.is_empty() => Err(ConfigError::new("JWKS_URL", "names no host")),
        Some("https") => Ok(uri),
        Some("http") if loopback || environment == Environment::Development => Ok(uri),
        Some("http") => Err(ConfigError::new(
            "JWKS_URL",
            "must be https in production (http only to a loopback address)",
        )),
        _ => Err(ConfigError::new("JWKS_URL", "must be an https:// URL")),
    }
}

fn parse_role_map(raw: Option<&str>) -> Result<Vec<(String, Role)>, ConfigError> {
    non_empty(raw)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (value, role) = pair.split_once('=').unwrap_or((pair, ""));
            match Role::try_from_value(&role.trim().to_owned()) {
                Ok(role) if !value.trim().is_empty() => Ok((value.trim().to_owned(), role)),
                _ => Err(ConfigError::new(
                    "JWKS_ROLE_MAP",
                    format!("expected value=CUSTOMER|STAFF|ADMIN, got {pair:?}"),
                )),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(url: &str) -> IdentityProviderArgs {
        IdentityProviderArgs {
            jwks_url: Some(url.into()),
            jwks_issuer: Some("https://idp.example/".into()),
            jwks_audience: Some("tollgate".into()),
            ..IdentityProviderArgs::default()
        }
    }

    fn parse(
        args: &IdentityProviderArgs,
        env: Environment,
    ) -> Result<Option<IdentityProviderConfig>, ConfigError> {
        IdentityProviderConfig::from_args(args, "tollgate", env)
    }

    #[test]
    fn without_a_jwks_url_there_is_no_provider() {
        let none = IdentityProviderArgs::default();
        assert!(parse(&none, Environment::Production).unwrap().is_none());
    }

    #[test]
    fn production_fetches_keys_over_tls_or_from_this_machine() {
        let production = Environment::Production;
        assert!(parse(&args("https://idp.example/jwks"), production).is_ok());
        assert!(parse(&args("http://127.0.0.1:8081/jwks"), production).is_ok());
        let err = parse(&args("http://idp.example/jwks"), production).unwrap_err();
        assert_eq!(err.variable, "JWKS_URL");
        assert!(parse(&args("http://idp:8080/jwks"), Environment::Development).is_ok());
        assert!(parse(&args("ftp://idp.example/jwks"), production).is_err());
    }

    #[test]
    fn issuer_and_audience_are_required_and_the_issuer_is_not_ours() {
        let mut a = args("https://idp.example/jwks");
        a.jwks_issuer = Some("tollgate".into());
        let err = parse(&a, Environment::Development).unwrap_err();
        assert_eq!(err.variable, "JWKS_ISSUER");
        a.jwks_issuer = None;
        assert_eq!(
            parse(&a, Environment::Development).unwrap_err().variable,
            "JWKS_ISSUER"
        );
        let mut a = args("https://idp.example/jwks");
        a.jwks_audience = Some(" ".into());
        assert_eq!(
            parse(&a, Environment::Development).unwrap_err().variable,
            "JWKS_AUDIENCE"
        );
    }

    #[test]
    fn the_role_map_names_known_roles_only() {
        let map = parse_role_map(Some("shop-admin=ADMIN, shop-staff = STAFF")).unwrap();
        assert_eq!(
            map,
            vec![
                ("shop-admin".into(), Role::Admin),
                ("shop-staff".into(), Role::Staff)
            ]
        );
        for bad in ["admin=ROOT", "=ADMIN", "admin"] {
            assert_eq!(
                parse_role_map(Some(bad)).unwrap_err().variable,
                "JWKS_ROLE_MAP"
            );
        }
    }
}
