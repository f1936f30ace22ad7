//! Loaders of catalog relations.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::products;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{cache::EntityCache, db, reviews::service::average_ratings};

/// Products by id, whatever their status (relations always resolve), read
/// through the entity cache: only the misses are queried.
pub struct ProductLoader {
    pub db: DatabaseConnection,
    pub cache: EntityCache,
}

impl Loader<Uuid> for ProductLoader {
    type Value = Arc<products::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let load = |misses: Vec<Uuid>| {
            db::rows(
                products::Entity::find().filter(products::Column::Id.is_in(misses)),
                &self.db,
            )
        };
        Ok(self.cache.products_through(keys, load).await?)
    }
}

/// Average rating by product id; `None` for a product without reviews, so
/// that every requested key gets an answer and is cached.
pub struct RatingLoader(pub DatabaseConnection);

impl Loader<Uuid> for RatingLoader {
    type Value = Option<f64>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let mut averages = average_ratings(&self.0, keys).await?;
        Ok(keys.iter().map(|id| (*id, averages.remove(id))).collect())
    }
}
