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
        prime::{pages, selects_beyond, shown},
    },
    orders, reviews,
};

/// The fields of a `User` that a review's author answers without its
/// profile: its id, the name the review keeps, and its connections.
const WITHOUT_PROFILE: [&str; 5] = ["id", "displayName", "orders", "reviews", "__typename"];

/// Whether `node` (a `User` selection) reads any field of its users beyond
/// [`WITHOUT_PROFILE`]; a field added to `User` later counts as needing it.
pub fn needs_profile(node: &Lookahead<'_>) -> bool {
    selects_beyond(node, &WITHOUT_PROFILE)
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
