//! Priming of the relations selected under a list of products (see
//! `graphql::loaders`): one query per selected relation and page shape,
//! whatever the number of products. Where users do not come from the entity
//! cache, a page of reviews comes with its authors (a join).

use std::{borrow::Borrow, sync::Arc};

use async_graphql::{Context, Lookahead};
use entity::products;

use crate::{
    app::AppState,
    error::Result,
    graphql::{
        Loaders,
        loaders::prime,
        prime::{children, pages, unique},
    },
    reviews::{self, loaders::ProductReviewsKey},
};

/// Loads what `node` (a `Product` selection) needs for `rows` into the request's loaders.
pub async fn products<R: Borrow<products::Model>>(
    ctx: &Context<'_>,
    node: &Lookahead<'_>,
    rows: &[R],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let (state, loaders) = (
        ctx.data_unchecked::<AppState>(),
        ctx.data_unchecked::<Loaders>(),
    );
    let ids = unique(rows, |p| p.borrow().id);
    if node.field("averageRating").exists() {
        prime(&loaders.ratings, &ids).await?;
    }
    for (page, selections) in pages(node, "reviews", reviews::CURSOR_TAG) {
        let keys: Vec<_> = ids
            .iter()
            .map(|&product_id| ProductReviewsKey { product_id, page })
            .collect();
        let with_authors = selections.iter().any(|s| s.field("author").exists());
        let rows = if with_authors && !state.caches.entities.holds_users() {
            let (mut by_product, authors) =
                reviews::service::pages_by_product_with_authors(&state.db, &ids, &page).await?;
            loaders
                .users
                .put(authors.into_iter().map(|a| (a.id, Arc::new(a))));
            let pages: Vec<_> = keys
                .iter()
                .map(|key| (*key, by_product.remove(&key.product_id).unwrap_or_default()))
                .collect();
            loaders.reviews_by_product.feed_many(pages.clone()).await;
            pages.into_iter().flat_map(|(_, rows)| rows).collect()
        } else {
            children(prime(&loaders.reviews_by_product, &keys).await?)
        };
        for review in &selections {
            reviews::prime::reviews(ctx, review, &rows).await?;
        }
    }
    Ok(())
}
