//! Deterministic demo and benchmark data.
//!
//! The same size always yields the same rows (ids included), so benchmarks
//! and examples are repeatable. Everything is inserted in one transaction.

mod generate;

use anyhow::Context;
use entity::{products, users};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::accounts::password::Passwords;

pub use generate::{Dataset, Size};

/// The password of every seeded user.
pub const DEMO_PASSWORD: &str = "tollgate-demo";

/// Whether the database has neither users nor products: the only state in
/// which seeding cannot mix demo rows (and the demo password) with real data.
pub async fn is_empty(db: &DatabaseConnection) -> anyhow::Result<bool> {
    let users = users::Entity::find()
        .count(db)
        .await
        .context("failed to count users")?;
    let products = products::Entity::find()
        .count(db)
        .await
        .context("failed to count products")?;
    Ok(users == 0 && products == 0)
}

/// Inserts the dataset of `size` and says what it inserted; refuses a database that already has users
/// or products, so seeding never mixes with real data.
pub async fn seed(
    db: &DatabaseConnection,
    passwords: &Passwords,
    size: Size,
) -> anyhow::Result<String> {
    if !is_empty(db).await? {
        anyhow::bail!("the database already has users or products; seed an empty database");
    }
    let password_hash = passwords.hash(DEMO_PASSWORD.to_owned()).await?;
    let data = Dataset::generate(size, &password_hash);
    let summary = data.summary();
    let txn = crate::db::begin_write(db)
        .await
        .context("failed to start the seed transaction")?;
    insert_all(&txn, data.users).await?;
    insert_all(&txn, data.products).await?;
    insert_all(&txn, data.orders).await?;
    insert_all(&txn, data.order_items).await?;
    insert_all(&txn, data.payments).await?;
    insert_all(&txn, data.reviews).await?;
    txn.commit()
        .await
        .context("failed to commit the seed data")?;
    Ok(summary)
}

/// Inserts rows in chunks that stay below both databases' bind-parameter limits.
async fn insert_all<A>(db: &impl sea_orm::ConnectionTrait, rows: Vec<A>) -> anyhow::Result<()>
where
    A: ActiveModelTrait + Send,
{
    const CHUNK: usize = 500;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(CHUNK).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(db)
            .await
            .context("failed to insert seed rows")?;
    }
    Ok(())
}
