//! Priming of the relations selected under a list of reviews (see
//! `graphql::loaders`): one query per selected relation, whatever the number
//! of reviews.

use async_graphql::{Context, Lookahead};
use entity::reviews;

use crate::{
    accounts, catalog,
    error::Result,
    graphql::{Loaders, prime::unique},
};

/// Loads what `node` (a `Review` selection) needs for `rows` into the request's loaders.
pub async fn reviews(
    ctx: &Context<'_>,
    node: &Lookahead<'_>,
    rows: &[reviews::Model],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let loaders = ctx.data_unchecked::<Loaders>();
    let author = node.field("author");
    if author.exists() {
        // A review names its author: their profile is read only for the
        // fields beyond that.
        let users = unique(rows, |r| r.author_id);
        if accounts::prime::needs_profile(&author) {
            loaders.users.prime(&users).await?;
        }
        Box::pin(accounts::prime::users(ctx, &author, &users)).await?;
    }
    let product = node.field("product");
    if product.exists() {
        let ids = unique(rows, |r| r.product_id);
        loaders.products.prime(&ids).await?;
        Box::pin(catalog::prime::products(ctx, &product, &ids)).await?;
    }
    Ok(())
}
