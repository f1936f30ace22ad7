//! Priming of the relations selected under a list of products (see
//! `graphql::loaders`): one query per selected relation and page shape,
//! whatever the number of products.

use std::borrow::Borrow;

use async_graphql::{Context, Lookahead};
use entity::products;

use crate::{
    error::Result,
    graphql::{
        Loaders,
        loaders::prime,
        paged::PageKey,
        prime::{pages, shown, unique},
    },
    reviews,
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
    let loaders = ctx.data_unchecked::<Loaders>();
    let ids = unique(rows, |p| p.borrow().id);
    if node.field("averageRating").exists() {
        prime(&loaders.ratings, &ids).await?;
    }
    for (page, selections) in pages(node, "reviews", reviews::CURSOR_TAG) {
        let keys: Vec<_> = ids.iter().map(|&parent| PageKey { parent, page }).collect();
        let rows = shown(prime(&loaders.reviews_by_product, &keys).await?, &page);
        for review in &selections {
            reviews::prime::reviews(ctx, review, &rows).await?;
        }
    }
    Ok(())
}
