//! Loaders of account relations.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::users;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{cache::EntityCache, db};

/// Users by id, read through the entity cache: one `IN` query per batch
/// for the misses.
pub struct UserLoader {
    pub db: DatabaseConnection,
    pub cache: EntityCache,
}

impl Loader<Uuid> for UserLoader {
    type Value = Arc<users::Profile>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let load = |misses: Vec<Uuid>| {
            db::partial_rows::<users::Profile, _>(
                users::Entity::find().filter(db::one_of(
                    self.db.get_database_backend(),
                    users::Column::Id,
                    misses,
                )),
                &self.db,
            )
        };
        Ok(self.cache.users_through(keys, load).await?)
    }
}
