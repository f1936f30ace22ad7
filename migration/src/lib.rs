//! Database migrations of Tollgate, identical on SQLite and PostgreSQL.
//!
//! Each migration lives in its own file; the file name is the migration's name
//! in `seaql_migrations`, so files are never renamed once released.

pub use sea_orm_migration::prelude::*;

mod m20261130_000001_create_users;
mod m20261130_000002_create_sessions;
mod m20261130_000003_create_products;
mod m20261130_000004_create_orders;
mod m20261130_000005_create_order_items;
mod m20261130_000006_create_payments;
mod m20261130_000007_create_reviews;
mod m20261206_000008_create_identities;
mod m20261207_000009_add_reviews_author_name;

/// All migrations, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261130_000001_create_users::Migration),
            Box::new(m20261130_000002_create_sessions::Migration),
            Box::new(m20261130_000003_create_products::Migration),
            Box::new(m20261130_000004_create_orders::Migration),
            Box::new(m20261130_000005_create_order_items::Migration),
            Box::new(m20261130_000006_create_payments::Migration),
            Box::new(m20261130_000007_create_reviews::Migration),
            Box::new(m20261206_000008_create_identities::Migration),
            Box::new(m20261207_000009_add_reviews_author_name::Migration),
        ]
    }
}
