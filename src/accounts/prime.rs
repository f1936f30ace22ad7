//! Priming of the connections selected under a list of users (see
//! `graphql::loaders`): one windowed query per selected connection and page
//! (aliases of one page share it).

use std::borrow::Borrow;

use async_graphql::{Context, Lookahead};
use entity::users;

use crate::{
    error::Result,
    graphql::{
        Loaders,
        loaders::prime,
        paged::PageKey,
        prime::{children, pages, unique},
    },
    orders, reviews,
};

/// Loads what `node` (a `User` selection) needs for `rows` into the request's loaders.
pub async fn users<R: Borrow<users::Profile>>(
    ctx: &Context<'_>,
    node: &Lookahead<'_>,
    rows: &[R],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let loaders = ctx.data_unchecked::<Loaders>();
    let ids = unique(rows, |u| u.borrow().id);
    for (page, selections) in pages(node, "orders", orders::CURSOR_TAG) {
        let keys: Vec<_> = ids.iter().map(|&parent| PageKey { parent, page }).collect();
        let rows = children(prime(&loaders.orders_by_user, &keys).await?);
        for order in &selections {
            Box::pin(orders::prime::orders(ctx, order, &rows)).await?;
        }
    }
    for (page, selections) in pages(node, "reviews", reviews::AUTHOR_CURSOR_TAG) {
        let keys: Vec<_> = ids.iter().map(|&parent| PageKey { parent, page }).collect();
        let rows = children(prime(&loaders.reviews_by_author, &keys).await?);
        for review in &selections {
            Box::pin(reviews::prime::reviews(ctx, review, &rows)).await?;
        }
    }
    Ok(())
}
