//! Priming of the relations selected under a list of products (see
//! `graphql::loaders`): one query per selected relation and page shape,
//! whatever the number of products.

use std::{
    borrow::Borrow,
    collections::{HashMap, hash_map::Entry},
};

use async_graphql::{Context, Lookahead};
use entity::products;

use crate::{
    error::Result,
    graphql::{
        Loaders,
        loaders::prime,
        pagination::PageArgs,
        prime::{children, page_args, unique},
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
    let loaders = ctx.data_unchecked::<Loaders>();
    let ids = unique(rows, |p| p.borrow().id);
    if node.field("averageRating").exists() {
        prime(&loaders.ratings, &ids).await?;
    }
    // Aliases of `reviews` with the same page share one query.
    let mut loaded: HashMap<PageArgs, Vec<entity::reviews::Model>> = HashMap::new();
    for field in node.field("reviews").selection_fields() {
        let Some(page) = page_args(&field, reviews::CURSOR_TAG) else {
            continue;
        };
        if let Entry::Vacant(slot) = loaded.entry(page) {
            let keys: Vec<_> = ids
                .iter()
                .map(|&product_id| ProductReviewsKey { product_id, page })
                .collect();
            slot.insert(children(prime(&loaders.reviews_by_product, &keys).await?));
        }
        let review = Lookahead::from(field).field("edges").field("node");
        reviews::prime::reviews(ctx, &review, &loaded[&page]).await?;
    }
    Ok(())
}
