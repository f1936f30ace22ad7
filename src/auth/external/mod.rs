//! Access tokens of an external identity provider (OIDC), accepted beside
//! Tollgate's own when `JWKS_URL` is set. They are told apart by their
//! algorithm: Tollgate signs with HS256, a provider with a public key
//! (RS*, PS*, ES*, EdDSA) that its key set names by `kid`; `none` and HS*
//! are never taken from a key set. Issuer, audience, `exp` and `nbf` are
//! checked with a small leeway for the provider's clock.
//!
//! There is no session behind such a token: the provider revokes by letting
//! its short-lived tokens expire. The user behind a subject is looked up
//! once a minute at most, per role the tokens state.

mod claims;
mod fetch;
mod jwks;

use std::time::Duration;

use jsonwebtoken::{Algorithm, Header, Validation, decode};
use moka::future::Cache;
use sea_orm::DbErr;
use serde_json::{Map, Value};
use uuid::Uuid;

pub use claims::ExternalIdentity;

use self::{
    fetch::Fetcher,
    jwks::{Jwks, Lookup},
};
use super::{ConnectionToken, Role, Viewer};
use crate::{
    accounts::external::{SignInError, sign_in},
    config::identity::IdentityProviderConfig,
    error::AppError,
    state::AppState,
};

/// Tolerated clock skew between the provider and this server.
const LEEWAY_SECS: u64 = 30;
/// How long the user behind a subject is remembered.
const USER_TTL: Duration = Duration::from_secs(60);
/// Subjects whose user is kept at most (each for `USER_TTL`).
const MAX_USERS: u64 = 100_000;

const INVALID: &str = "the access token is invalid or expired";

/// The algorithms a provider's token may be signed with.
const ASYMMETRIC: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Whether a token with this header is for the provider rather than Tollgate.
pub fn is_external(header: &Header) -> bool {
    ASYMMETRIC.contains(&header.alg)
}

/// The provider's tokens: its keys, the checks, and the users seen lately.
pub struct ExternalTokens {
    config: IdentityProviderConfig,
    jwks: Jwks,
    validation: Validation,
    users: Cache<(String, Role), Uuid>,
}

/// What a provider's token proves.
enum Verified {
    Identity(ExternalIdentity),
    Refused(&'static str),
    /// The key set cannot be fetched: the token may be fine.
    Unavailable,
}

impl ExternalTokens {
    pub fn new(config: IdentityProviderConfig) -> anyhow::Result<Self> {
        let jwks = Jwks::new(
            Fetcher::new(config.jwks_url.clone())?,
            config.refresh_interval,
        );
        // The algorithm is set per token, from the ones its key allows.
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        Ok(Self {
            config,
            jwks,
            validation,
            users: Cache::builder()
                .max_capacity(MAX_USERS)
                .time_to_live(USER_TTL)
                .build(),
        })
    }

    /// The viewer a provider's token stands for, and what a WebSocket keeps
    /// of it; the user is created on first sight.
    pub async fn viewer(
        &self,
        state: &AppState,
        token: &str,
        header: Header,
    ) -> (Viewer, Option<ConnectionToken>) {
        let identity = match self.verify(token, header).await {
            Verified::Identity(identity) => identity,
            Verified::Refused(reason) => return (Viewer::Rejected(reason), None),
            Verified::Unavailable => return (Viewer::Unverifiable, None),
        };
        let key = (identity.subject.clone(), identity.role);
        let user = self
            .users
            .try_get_with(key, sign_in(state, &self.config.issuer, &identity))
            .await;
        match user.as_ref().map_err(|err| &**err) {
            Ok(id) => (
                Viewer::User {
                    id: *id,
                    role: identity.role,
                    // No refresh-token family stands behind the token.
                    session: Uuid::nil(),
                },
                Some(ConnectionToken::External {
                    user: *id,
                    role: identity.role,
                    expires_at: identity.expires_at,
                }),
            ),
            Err(SignInError::Refused(reason)) => (Viewer::Rejected(reason), None),
            Err(SignInError::Failed(err @ AppError::Db(DbErr::Type(_)))) => {
                tracing::error!(error = %err, "cannot read the account of a provider's user");
                (Viewer::Unreadable, None)
            }
            Err(SignInError::Failed(err)) => {
                tracing::warn!(error = %err, "cannot find the account of a provider's user");
                (Viewer::Unverifiable, None)
            }
        }
    }

    async fn verify(&self, token: &str, header: Header) -> Verified {
        let external = is_external(&header);
        let Some(kid) = header.kid.filter(|_| external) else {
            return Verified::Refused(INVALID);
        };
        let key = match self.jwks.key(&kid).await {
            Lookup::Found(key) => key,
            Lookup::Unknown => return Verified::Refused(INVALID),
            Lookup::Unavailable => return Verified::Unavailable,
        };
        if !key.algorithms.contains(&header.alg) {
            return Verified::Refused(INVALID);
        }
        let mut validation = self.validation.clone();
        validation.algorithms = vec![header.alg];
        match decode::<Map<String, Value>>(token, &key.key, &validation) {
            Ok(data) => ExternalIdentity::from_claims(&data.claims, &self.config)
                .map_or(Verified::Refused(INVALID), Verified::Identity),
            Err(_) => Verified::Refused(INVALID),
        }
    }
}
