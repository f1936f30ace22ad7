//! Priming of the connections selected under a list of users (see
//! `graphql::loaders`): one windowed query per selected connection and page
//! (aliases of one page share it).

use async_graphql::{Context, Lookahead};
use uuid::Uuid;

use crate::{
    error::Result,
    graphql::{
        Loaders,
        loaders::prime,
        paged::PageKey,
        prime::{pages, shown},
    },
    orders, reviews,
};

/// Whether `node` (a `User` selection) reads more of its users than their
/// id and display name: what a review's author holds without a load.
pub fn needs_profile(node: &Lookahead<'_>) -> bool {
    ["email", "role", "createdAt"]
        .iter()
        .any(|field| node.field(field).exists())
}

/// Loads the connections `node` (a `User` selection) needs for the users
/// `ids` (distinct) into the request's loaders.
pub async fn users(ctx: &Context<'_>, node: &Lookahead<'_>, ids: &[Uuid]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let loaders = ctx.data_unchecked::<Loaders>();
    for (page, selections) in pages(node, "orders", orders::CURSOR_TAG) {
        let keys: Vec<_> = ids.iter().map(|&parent| PageKey { parent, page }).collect();
        let rows = shown(prime(&loaders.orders_by_user, &keys).await?, &page);
        for order in &selections {
            Box::pin(orders::prime::orders(ctx, order, &rows)).await?;
        }
    }
    for (page, selections) in pages(node, "reviews", reviews::AUTHOR_CURSOR_TAG) {
        let keys: Vec<_> = ids.iter().map(|&parent| PageKey { parent, page }).collect();
        let rows = shown(prime(&loaders.reviews_by_author, &keys).await?, &page);
        for review in &selections {
            Box::pin(reviews::prime::reviews(ctx, review, &rows)).await?;
        }
    }
    Ok(())
}
