//! The command line: `serve` (default), `migrate`, `seed`, `schema`,
//! `create-admin` and `healthcheck`. Failures print one line and exit non-zero.

mod healthcheck;

use std::{io::BufRead, process::ExitCode};

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use migration::{Migrator, MigratorTrait};
use sea_orm::ActiveEnum;

use crate::{
    AppState, Application, Config,
    accounts::{
        input::{Email, Password},
        password::Passwords,
        service::{Provisioned, create_or_promote},
    },
    auth::Role,
    config::ConfigArgs,
    db, graphql, seed, telemetry,
};

#[derive(Parser)]
#[command(
    name = "tollgate",
    version,
    about = "A GraphQL API server for a commerce backend",
    after_help = "Every setting is also read from the environment variable in brackets; a flag \
                  wins over its variable. README.md (Configuration) explains them; logs follow \
                  RUST_LOG."
)]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    ///
    /// In development, applies pending migrations and seeds the demo catalog
    /// into a database with no users and no products. In production, refuses
    /// to start while migrations are pending (run `tollgate migrate`) and
    /// never seeds. SIGTERM drains within SHUTDOWN_GRACE_SECS.
    Serve,
    /// Apply pending database migrations.
    ///
    /// Idempotent: a database that is up to date is left as it is.
    Migrate,
    /// Load deterministic demo or benchmark data into an empty database.
    ///
    /// Applies pending migrations first, and refuses a database that already
    /// has users or products.
    Seed {
        /// How much data to load.
        #[arg(long, value_enum, default_value = "demo")]
        size: seed::Size,
    },
    /// Print the GraphQL schema (SDL).
    ///
    /// Needs no database and reads no setting; `schema.graphql` is its output.
    Schema,
    /// Create an administrator, or promote an existing user.
    ///
    /// Applies pending migrations first, so it works on a new database.
    CreateAdmin {
        /// The account's email address; an existing account is promoted, and
        /// its other sessions are signed out.
        #[arg(long)]
        email: String,
        /// The account's password, new or replacing the old one (8 to 128
        /// characters, not a common one); read from standard input when
        /// absent, to keep it out of the shell's history.
        #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// The role to give: ADMIN, or STAFF (products, stock and every order).
        #[arg(long, value_enum, default_value = "admin")]
        role: AdminRole,
    },
    /// Ask the server at BIND_ADDR whether it is ready (container health checks).
    ///
    /// Exits 0 when GET /readyz answers 200 and 1 otherwise (refused, no
    /// answer within a few seconds, any other status), printing one line
    /// that says which. A wildcard BIND_ADDR (0.0.0.0, [::]) is asked on the
    /// loopback address of its family. The database is never touched.
    Healthcheck,
}

#[derive(Clone, Copy, ValueEnum)]
#[value(rename_all = "UPPERCASE")]
enum AdminRole {
    #[value(alias = "admin")]
    Admin,
    #[value(alias = "staff")]
    Staff,
}

/// The process's entry point: runs [`run`] on the main thread's runtime
/// (the first worker's; see `app::workers`).
///
/// A plain function rather than `#[tokio::main]` in the binary: async bodies
/// are not shared between crates, so a binary that awaited [`run`] compiled
/// the whole async call tree of the server a second time, after the library
/// and on its own (about 37 of a clean release build's CPU seconds). The
/// binary now only links what this crate compiled.
pub fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run())
}

/// Parses the command line, runs the command and reports failure in one line.
pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Schema = command {
        print!("{}", graphql::sdl());
        return Ok(());
    }
    let config = Config::from_args(&cli.config)?;
    if let Command::Healthcheck = command {
        // Before telemetry: a probe prints one line and listens on nothing.
        println!("{}", healthcheck::check(config.http.bind_addr).await?);
        return Ok(());
    }
    if let Command::Serve = command {
        let telemetry = telemetry::init(&config, true)?;
        let served = serve(config).await;
        telemetry.shutdown().await;
        return served;
    }
    telemetry::init(&config, false)?;
    match command {
        Command::Serve => Ok(()),
        Command::Migrate => {
            let db = db::connect(&config).await?;
            db::migrate(&db).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Seed { size } => {
            let db = db::connect(&config).await?;
            db::migrate(&db).await?;
            let summary = seed::seed(&db, &Passwords::default(), size).await?;
            println!("seeded {summary}");
            Ok(())
        }
        Command::CreateAdmin {
            email,
            password,
            role,
        } => create_admin(&config, &email, password, role).await,
        Command::Schema | Command::Healthcheck => Ok(()),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    if config.is_production() {
        let db = db::connect(&config).await?;
        let pending = Migrator::get_pending_migrations(&db).await?.len();
        anyhow::ensure!(
            pending == 0,
            "DATABASE_URL: {pending} migrations are pending; run `tollgate migrate` first"
        );
    }
    let production = config.is_production();
    let app = Application::build(config).await?;
    if !production {
        seed_demo_catalog(app.state()).await;
    }
    let addr = app.local_addr()?;
    let metrics = app.metrics_addr();
    let serving = app.run_until_stopped();
    tracing::info!("Tollgate is listening on http://{addr}/graphql");
    if let Some(metrics) = metrics {
        println!("Metrics: http://{metrics}/metrics");
    }
    println!("GraphiQL: http://{addr}/graphql");
    serving.await
}

/// The demo catalog is a development convenience: it goes only into a
/// database with no users and no products (so never next to an administrator
/// made with `create-admin`), and failing to load it must not keep the server
/// from starting.
async fn seed_demo_catalog(state: &AppState) {
    let seeded = async {
        if seed::is_empty(&state.db).await? {
            seed::seed(&state.db, &state.passwords, seed::Size::Demo)
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    };
    match seeded.await {
        Ok(Some(summary)) => tracing::info!("seeded the demo catalog: {summary}"),
        Ok(None) => {}
        Err(err) => tracing::warn!("did not seed the demo catalog: {err:#}"),
    }
}

async fn create_admin(
    config: &Config,
    email: &str,
    password: Option<String>,
    role: AdminRole,
) -> anyhow::Result<()> {
    let email = Email::parse(email, "email")?;
    let password = match password {
        Some(p) => p,
        None => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("failed to read the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let password = Password::parse(&password, "password")?;
    let role = match role {
        AdminRole::Admin => Role::Admin,
        AdminRole::Staff => Role::Staff,
    };
    let db = db::connect(config).await?;
    db::migrate(&db).await?;
    match create_or_promote(&db, &Passwords::default(), &email, password, role).await? {
        Provisioned::Created(id) => {
            println!("created {} {} ({id})", role.to_value(), email.as_str())
        }
        Provisioned::Promoted(id) => {
            println!("promoted {} to {} ({id})", email.as_str(), role.to_value())
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_and_option_says_what_it_is_for() {
        let cli = Cli::command();
        let mut undescribed = Vec::new();
        for command in std::iter::once(&cli).chain(cli.get_subcommands()) {
            if command.get_about().is_none() {
                undescribed.push(command.get_name().to_owned());
            }
            let arguments = command.get_arguments().filter(|arg| !arg.is_hide_set());
            for arg in arguments.filter(|arg| arg.get_help().is_none()) {
                undescribed.push(format!("{} --{}", command.get_name(), arg.get_id()));
            }
        }
        assert_eq!(undescribed, Vec::<String>::new());
    }
}
