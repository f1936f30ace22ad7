//! Loaders of review relations.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use entity::reviews;
use sea_orm::{DatabaseConnection, DbErr};
use uuid::Uuid;

use super::service;
use crate::paging::PageArgs;

/// One page of one product's reviews.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProductReviewsKey {
    pub product_id: Uuid,
    pub page: PageArgs,
}

/// Loads a page of reviews for many products at once: one windowed query per
/// distinct page (in practice, one per batch).
pub struct ReviewsByProductLoader(pub DatabaseConnection);

impl Loader<ProductReviewsKey> for ReviewsByProductLoader {
    type Value = Vec<reviews::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[ProductReviewsKey],
    ) -> Result<HashMap<ProductReviewsKey, Self::Value>, Self::Error> {
        let mut by_page: HashMap<PageArgs, Vec<Uuid>> = HashMap::new();
        for key in keys {
            by_page.entry(key.page).or_default().push(key.product_id);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for (page, product_ids) in by_page {
            let mut pages = service::pages_by_product(&self.0, &product_ids, &page).await?;
            for product_id in product_ids {
                let rows = pages.remove(&product_id).unwrap_or_default();
                out.insert(ProductReviewsKey { product_id, page }, rows);
            }
        }
        Ok(out)
    }
}

/// One page of one author's reviews.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AuthorReviewsKey {
    pub author_id: Uuid,
    pub page: PageArgs,
}

/// Pages of many authors' reviews, one windowed query per distinct page.
pub struct ReviewsByAuthorLoader(pub DatabaseConnection);

impl Loader<AuthorReviewsKey> for ReviewsByAuthorLoader {
    type Value = Vec<reviews::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[AuthorReviewsKey],
    ) -> Result<HashMap<AuthorReviewsKey, Self::Value>, Self::Error> {
        let mut by_page: HashMap<PageArgs, Vec<Uuid>> = HashMap::new();
        for key in keys {
            by_page.entry(key.page).or_default().push(key.author_id);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for (page, author_ids) in by_page {
            let mut pages = service::pages_by_author(&self.0, &author_ids, &page).await?;
            for author_id in author_ids {
                let rows = pages.remove(&author_id).unwrap_or_default();
                out.insert(AuthorReviewsKey { author_id, page }, rows);
            }
        }
        Ok(out)
    }
}
