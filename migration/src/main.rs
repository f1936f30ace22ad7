//! The SeaORM migration CLI for developers (`cargo run -p migration --features cli`).
//! Operators use `tollgate migrate` instead.

#[tokio::main]
async fn main() {
    sea_orm_migration::cli::run_cli(migration::Migrator).await;
}
