//! Loaders of order relations.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::{Positional, order_items, orders, products};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, Iterable, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::{
    db::{self, keyset::group_by_parent, window::Relation},
    graphql::paged::PagedRelation,
};

/// Orders by id.
pub struct OrderLoader(pub DatabaseConnection);

impl Loader<Uuid> for OrderLoader {
    type Value = orders::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let query = orders::Entity::find().filter(orders::Column::Id.is_in(keys.iter().copied()));
        let rows = db::rows(query, &self.0).await?;
        Ok(rows.into_iter().map(|o| (o.id, o)).collect())
    }
}

/// An order's lines; every requested order gets an entry.
pub struct OrderItemsLoader(pub DatabaseConnection);

impl Loader<Uuid> for OrderItemsLoader {
    type Value = Vec<order_items::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let query = order_items::Entity::find()
            .filter(order_items::Column::OrderId.is_in(keys.iter().copied()));
        let rows = db::rows(query, &self.0).await?;
        Ok(lines_by_order(keys, rows))
    }
}

/// Lines by order, and what they show of their products by product id.
pub type LinesWith<P> = (HashMap<Uuid, Vec<order_items::Model>>, HashMap<Uuid, P>);

/// The lines of `order_ids` (every order gets an entry) and their distinct
/// products, in one statement: how a list of orders primes its lines'
/// products when products do not come from the entity cache.
pub async fn lines_with_products(
    db: &DatabaseConnection,
    order_ids: &[Uuid],
) -> Result<LinesWith<products::Model>, DbErr> {
    lines_with(db, order_ids, products::Column::iter()).await
}

/// The lines of `order_ids` with their products' summaries, in one
/// statement: as [`lines_with_products`], for a selection of the products
/// that the summaries answer. A fifth cheaper for PostgreSQL than whole
/// rows (bench/plans.md).
pub async fn lines_with_summaries(
    db: &DatabaseConnection,
    order_ids: &[Uuid],
) -> Result<LinesWith<products::Summary>, DbErr> {
    lines_with(db, order_ids, products::Summary::COLUMNS).await
}

/// The lines of `order_ids` joined to `columns` of their products, read as `P`.
async fn lines_with<P: Positional>(
    db: &DatabaseConnection,
    order_ids: &[Uuid],
    columns: impl IntoIterator<Item = products::Column>,
) -> Result<LinesWith<P>, DbErr> {
    let query = order_items::Entity::find()
        .inner_join(products::Entity)
        .columns(columns)
        .filter(order_items::Column::OrderId.is_in(order_ids.iter().copied()));
    let rows: Vec<(order_items::Model, P)> = db::rows_as(query, db).await?;
    let mut lines = Vec::with_capacity(rows.len());
    let mut products = HashMap::new();
    for (line, product) in rows {
        products.entry(line.product_id).or_insert(product);
        lines.push(line);
    }
    Ok((lines_by_order(order_ids, lines), products))
}

/// The lines of each of `order_ids` (every order gets an entry) in the order
/// they were added: by id, a UUIDv7. Sorted here, not by the database,
/// whose sort copied every row read (with its product, when joined) and
/// cost PostgreSQL a quarter of the statement.
fn lines_by_order(
    order_ids: &[Uuid],
    lines: Vec<order_items::Model>,
) -> HashMap<Uuid, Vec<order_items::Model>> {
    let mut by_order = group_by_parent(order_ids, lines, |line| line.order_id);
    for lines in by_order.values_mut() {
        lines.sort_unstable_by_key(|line| line.id);
    }
    by_order
}

/// A user's orders, newest first.
pub struct OrdersByUser;

impl PagedRelation for OrdersByUser {
    type Entity = orders::Entity;
    const RELATION: Relation<orders::Entity> = Relation {
        entity: orders::Entity,
        parent: orders::Column::UserId,
        created_at: orders::Column::CreatedAt,
        id: orders::Column::Id,
    };
}
