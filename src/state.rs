//! The application state: everything a request handler or resolver needs,
//! shared by all requests. It sits apart from the HTTP layer (`app`) so that
//! the schema and the domains use it without depending on the router.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    accounts::password::Passwords,
    auth::{external::ExternalTokens, throttle::Throttle, tokens::KeySet},
    cache::Caches,
    config::Config,
    events::{EventBus, LocalBus},
    graphql::trusted::TrustedDocuments,
    limits::{budget::Budgets, ip_rate::IpRateLimit},
    shared::Shared,
    shutdown::Shutdown,
};

/// Everything a request handler or resolver needs, shared by all requests.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// Validated configuration.
    pub config: Arc<Config>,
    /// Argon2id hashing, bounded to the number of cores.
    pub passwords: Passwords,
    /// Keys that sign and verify access tokens.
    pub keys: Arc<KeySet>,
    /// The external identity provider's tokens, when one is configured.
    pub identity_provider: Option<Arc<ExternalTokens>>,
    /// Limits on login failures and registrations.
    pub throttle: Throttle,
    /// Domain events for subscriptions.
    pub events: Arc<dyn EventBus>,
    /// Entity, response, session and document caches.
    pub caches: Caches,
    /// The link to the other instances, with `REDIS_URL`.
    pub shared: Option<Shared>,
    /// The trusted-documents manifest.
    pub trusted: Arc<TrustedDocuments>,
    /// Per-client cost budgets.
    pub budgets: Budgets,
    /// Requests per second per client IP.
    pub rate_limit: IpRateLimit,
    /// Set on SIGTERM: readiness fails and connections drain.
    pub shutdown: Shutdown,
}

impl AppState {
    /// The state of an instance; with `REDIS_URL`, linked to the others
    /// (which needs a Tokio runtime).
    pub fn new(db: DatabaseConnection, config: Config) -> anyhow::Result<Self> {
        let (caches, shared) = Shared::start(&config.cache, config.redis.as_ref())?;
        // With `REDIS_URL` the limits count on Redis, shared by every instance.
        let throttle = Throttle::for_instance(config.limits.throttle.clone(), shared.as_ref());
        let budgets = Budgets::for_instance(config.limits.budget, shared.as_ref());
        let (per_second, burst) = config.limits.rate;
        let rate_limit = IpRateLimit::new(per_second, burst, shared.as_ref());
        Ok(Self {
            db,
            passwords: Passwords::default(),
            keys: Arc::new(KeySet::new(&config.tokens)),
            identity_provider: config
                .identity_provider
                .clone()
                .map(ExternalTokens::new)
                .transpose()?
                .map(Arc::new),
            throttle,
            events: shared.as_ref().map_or_else(
                || Arc::new(LocalBus::default()) as Arc<dyn EventBus>,
                Shared::events,
            ),
            caches,
            shared,
            trusted: Arc::clone(&config.limits.trusted),
            budgets,
            rate_limit,
            shutdown: Shutdown::default(),
            config: Arc::new(config),
        })
    }
}
