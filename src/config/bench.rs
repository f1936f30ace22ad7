//! Settings of the benchmark's hooks (bench/README.md), which exist only in
//! builds with the `bench` feature: `EXPOSE_SQL_COUNT`,
//! `BENCH_BASELINE_BYTES` and `GUARDRAILS`. Without the feature
//! [`BenchArgs`] adds no flag and [`BenchConfig`] answers as a deployment
//! runs: statement counts stay inside the process, there is no baseline
//! route, and the guardrails are always on.

use clap::Args;

/// The help heading of these settings; README's configuration reference
/// leaves them out, as the builds it describes do not have them.
pub const HEADING: &str = "Benchmarks (builds with `--features bench` only)";

#[cfg(feature = "bench")]
pub use with_hooks::{BenchArgs, BenchConfig};
#[cfg(not(feature = "bench"))]
pub use without_hooks::{BenchArgs, BenchConfig};

#[cfg(feature = "bench")]
mod with_hooks {
    use super::Args;
    use crate::config::{
        ConfigError,
        parse::{non_empty, parse_bool, parse_positive},
    };

    const EXPOSE_SQL_COUNT: &str = "false";
    const GUARDRAILS: &str = "true";

    /// Raw settings of the benchmark's hooks.
    #[derive(Args, Clone, Debug, Default)]
    pub struct BenchArgs {
        /// Add `x-sql-statements` (the statements the request ran) to
        /// GraphQL responses.
        #[arg(long, env = "EXPOSE_SQL_COUNT", global = true)]
        #[arg(default_value = EXPOSE_SQL_COUNT)]
        pub expose_sql_count: Option<String>,
        /// Serve `POST /bench/baseline`, a fixed JSON body of this many
        /// bytes, as the benchmark's baseline.
        #[arg(long, env = "BENCH_BASELINE_BYTES", global = true)]
        pub bench_baseline_bytes: Option<String>,
        /// `false` skips operation limits and cost budgets, to measure what
        /// they cost (refused in production).
        #[arg(long, env = "GUARDRAILS", global = true)]
        #[arg(default_value = GUARDRAILS)]
        pub guardrails: Option<String>,
    }

    /// The benchmark's hooks, validated.
    #[derive(Clone, Copy, Debug)]
    pub struct BenchConfig {
        expose_sql_count: bool,
        baseline_bytes: Option<usize>,
        guardrails: bool,
    }

    impl BenchConfig {
        pub fn from_args(args: &BenchArgs, production: bool) -> Result<Self, ConfigError> {
            let guardrails = parse_bool("GUARDRAILS", args.guardrails.as_deref(), GUARDRAILS)?;
            if production && !guardrails {
                return Err(ConfigError::new(
                    "GUARDRAILS",
                    "cannot be off in production",
                ));
            }
            Ok(Self {
                expose_sql_count: parse_bool(
                    "EXPOSE_SQL_COUNT",
                    args.expose_sql_count.as_deref(),
                    EXPOSE_SQL_COUNT,
                )?,
                baseline_bytes: non_empty(args.bench_baseline_bytes.as_deref())
                    .map(|raw| parse_positive("BENCH_BASELINE_BYTES", &Some(raw), ""))
                    .transpose()?,
                guardrails,
            })
        }

        /// Whether responses carry the `x-sql-statements` header.
        pub fn expose_sql_count(&self) -> bool {
            self.expose_sql_count
        }

        /// Size of the benchmark's baseline body, when that route is on.
        pub fn baseline_bytes(&self) -> Option<usize> {
            self.baseline_bytes
        }

        /// Whether operation limits and cost budgets apply (always in
        /// production).
        pub fn guardrails(&self) -> bool {
            self.guardrails
        }
    }
}

#[cfg(not(feature = "bench"))]
mod without_hooks {
    use super::Args;
    use crate::config::ConfigError;

    /// No settings: the hooks are not built.
    #[derive(Args, Clone, Debug, Default)]
    pub struct BenchArgs {}

    /// The hooks as a deployment has them: none.
    #[derive(Clone, Copy, Debug)]
    pub struct BenchConfig;

    impl BenchConfig {
        pub fn from_args(_: &BenchArgs, _production: bool) -> Result<Self, ConfigError> {
            Ok(Self)
        }

        /// Statement counts are never sent.
        pub fn expose_sql_count(&self) -> bool {
            false
        }

        /// There is no baseline route.
        pub fn baseline_bytes(&self) -> Option<usize> {
            None
        }

        /// Operation limits and cost budgets always apply.
        pub fn guardrails(&self) -> bool {
            true
        }
    }
}
