//! The DataLoader of every has-many relation paged per parent (a product's
//! reviews, an author's reviews, a user's orders). Keys asking for the same
//! page load together: one statement per distinct page, in practice one per
//! batch, whatever the number of parents.

use std::{collections::HashMap, future::Future, marker::PhantomData, sync::Arc};

use async_graphql::dataloader::Loader;
use sea_orm::{DatabaseConnection, DbErr};
use uuid::Uuid;

use crate::paging::PageArgs;

/// A has-many relation whose children are read a page per parent; each
/// domain names its relations with a unit struct implementing this.
pub trait PagedRelation: Send + Sync + 'static {
    /// A child row.
    type Row: Send + Sync + Clone + 'static;

    /// A page (plus one row) of the children of each of `parents`, in one
    /// statement, keyed by parent; a parent without children may be absent.
    fn pages(
        db: &DatabaseConnection,
        parents: &[Uuid],
        page: &PageArgs,
    ) -> impl Future<Output = Result<HashMap<Uuid, Vec<Self::Row>>, DbErr>> + Send;
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
    type Value = Vec<R::Row>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[PageKey]) -> Result<HashMap<PageKey, Self::Value>, Self::Error> {
        let mut by_page: HashMap<PageArgs, Vec<Uuid>> = HashMap::new();
        for key in keys {
            by_page.entry(key.page).or_default().push(key.parent);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for (page, parents) in by_page {
            let mut pages = R::pages(&self.db, &parents, &page).await?;
            for parent in parents {
                let rows = pages.remove(&parent).unwrap_or_default();
                out.insert(PageKey { parent, page }, rows);
            }
        }
        Ok(out)
    }
}
