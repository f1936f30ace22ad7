//! Priming of the relations selected under a list of products (see
//! `graphql::loaders`): one query per selected relation and page shape,
//! whatever the number of products.

use async_graphql::{Context, Lookahead};
use uuid::Uuid;

use crate::{
    error::Result,
    graphql::{
        Loaders,
        loaders::prime,
        paged::PageKey,
        prime::{pages, selects_beyond, shown},
    },
    reviews,
};

/// The fields of a `Product` that an order line's product answers from the
/// line and its summary (`products::Summary`), and its relations.
const WITHOUT_ROW: [&str; 8] = [
    "id",
    "sku",
    "name",
    "priceCents",
    "currency",
    "reviews",
    "averageRating",
    "__typename",
];

/// Whether `node` (a `Product` selection) reads any field of its products
/// beyond [`WITHOUT_ROW`]; a field added to `Product` later counts as needing it.
pub fn needs_row(node: &Lookahead<'_>) -> bool {
    selects_beyond(node, &WITHOUT_ROW)
}

/// Loads what `node` (a `Product` selection) needs for the products `ids`
/// (distinct) into the request's loaders.
pub async fn products(ctx: &Context<'_>, node: &Lookahead<'_>, ids: &[Uuid]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let loaders = ctx.data_unchecked::<Loaders>();
    if node.field("averageRating").exists() {
        prime(&loaders.ratings, ids).await?;
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
