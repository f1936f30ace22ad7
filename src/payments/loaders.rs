//! Loaders of payment relations.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::payments;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::db::{self, keyset::group_by_parent};

/// An order's payments, oldest first; every requested order gets an entry.
pub struct PaymentsByOrderLoader(pub DatabaseConnection);

impl Loader<Uuid> for PaymentsByOrderLoader {
    type Value = Vec<payments::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let query = payments::Entity::find()
            .filter(payments::Column::OrderId.is_in(keys.iter().copied()))
            .order_by_asc(payments::Column::CreatedAt)
            .order_by_asc(payments::Column::Id);
        let rows = db::rows(query, &self.0).await?;
        Ok(group_by_parent(keys, rows, |payment| payment.order_id))
    }
}
