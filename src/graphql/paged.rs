//! The DataLoader of every has-many relation paged per parent (a product's
//! reviews, an author's reviews, a user's orders). Keys asking for the same
//! page load together: one statement per distinct page, in practice one per
//! batch, whatever the number of parents.

use std::{collections::HashMap, marker::PhantomData, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::Positional;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use uuid::Uuid;

use crate::{db::window::Relation, paging::PageArgs};

/// A has-many relation whose children are read a page per parent; each
/// domain names its relations with a unit struct implementing this.
pub trait PagedRelation: Send + Sync + 'static {
    /// The children's table.
    type Entity: EntityTrait<Model: Positional + Sync>;
    /// Their parent column and the columns that order them.
    const RELATION: Relation<Self::Entity>;
}

/// One page of one parent's children.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub parent: Uuid,
    pub page: PageArgs,
}

/// Pages of the relation `R` for many parents at once; every key asked for
/// gets an answer (empty when the parent has no children), so it is cached.
pub struct Paged<R> {
    db: DatabaseConnection,
    relation: PhantomData<fn() -> R>,
}

impl<R> Paged<R> {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            relation: PhantomData,
        }
    }
}

impl<R: PagedRelation> Loader<PageKey> for Paged<R> {
    type Value = Vec<<R::Entity as EntityTrait>::Model>;
    type Error = Arc<DbErr>;

    #[tracing::instrument(level = "debug", name = "pages", skip_all,
        fields(relation = std::any::type_name::<R>(), keys = keys.len()))]
    async fn load(&self, keys: &[PageKey]) -> Result<HashMap<PageKey, Self::Value>, Self::Error> {
        let mut by_page: HashMap<PageArgs, Vec<Uuid>> = HashMap::new();
        for key in keys {
            by_page.entry(key.page).or_default().push(key.parent);
        }
        let relation = R::RELATION;
        let mut out = HashMap::with_capacity(keys.len());
        for (page, parents) in by_page {
            let mut pages = relation.pages(&self.db, &parents, &page).await?;
            for parent in parents {
                let rows = pages.remove(&parent).unwrap_or_default();
                out.insert(PageKey { parent, page }, rows);
            }
        }
        Ok(out)
    }
}
