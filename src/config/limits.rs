//! Abuse limits: per-operation limits, per-client cost budgets, the request
//! rate per IP, login and registration throttling, introspection and
//! trusted documents.

use std::{sync::Arc, time::Duration};

use super::{
    ConfigArgs, ConfigError, defaults,
    parse::{non_empty, or_default, parse_bool, parse_positive},
};
use crate::{
    graphql::trusted::{Mode as TrustedMode, TrustedDocuments},
    limits::{Limits, budget::BudgetConfig},
};

/// The window failed logins are counted in (`LOGIN_MAX_FAILURES`).
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The window registrations are counted in (`REGISTER_PER_HOUR`).
pub const REGISTRATION_WINDOW: Duration = Duration::from_secs(3600);

/// Every limit on what clients may ask.
#[derive(Clone, Debug)]
pub struct LimitsConfig {
    /// Per-operation limits.
    pub operation: Limits,
    /// Per-client cost buckets.
    pub budget: BudgetConfig,
    /// Requests per second and burst per client IP.
    pub rate: (u32, u32),
    /// Throttling of logins and registrations.
    pub throttle: ThrottleConfig,
    /// Whether introspection queries are answered.
    pub introspection: bool,
    /// The trusted-documents manifest, read and checked with the rest of the
    /// configuration, and whether only its documents may run.
    pub trusted: Arc<TrustedDocuments>,
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

impl LimitsConfig {
    /// `on_in_development` is what a development-only default stands for.
    pub fn from_args(args: &ConfigArgs, on_in_development: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            throttle: ThrottleConfig::from_args(args)?,
            operation: operation_limits(args)?,
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
            rate: (
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
        })
    }
}

impl ThrottleConfig {
    fn from_args(args: &ConfigArgs) -> Result<Self, ConfigError> {
        Ok(Self {
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
            login_window: LOGIN_WINDOW,
            registrations_per_ip: parse_positive(
                "REGISTER_PER_HOUR",
                &args.register_per_hour,
                defaults::REGISTER_PER_HOUR,
            )?,
            registration_window: REGISTRATION_WINDOW,
        })
    }
}

fn operation_limits(args: &ConfigArgs) -> Result<Limits, ConfigError> {
    Ok(Limits {
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
    })
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
