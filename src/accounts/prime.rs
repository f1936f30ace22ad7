//! Priming of the connections selected under a list of users (see
//! `graphql::loaders`): one windowed query per selected connection and page.

use std::borrow::Borrow;

use async_graphql::{Context, Lookahead};
use entity::users;

use crate::{
    error::Result,
    graphql::{
        Loaders,
        loaders::prime,
        prime::{children, page_args, unique},
    },
    orders::{self, loaders::UserOrdersKey},
    reviews::{self, loaders::AuthorReviewsKey},
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
    for field in node.field("orders").selection_fields() {
        let Some(page) = page_args(&field, orders::CURSOR_TAG) else {
            continue;
        };
        let keys: Vec<_> = ids
            .iter()
            .map(|&user_id| UserOrdersKey {
                user_id,
                page,
                status: None,
            })
            .collect();
        let rows = children(prime(&loaders.orders_by_user, &keys).await?);
        let order = Lookahead::from(field).field("edges").field("node");
        Box::pin(orders::prime::orders(ctx, &order, &rows)).await?;
    }
    for field in node.field("reviews").selection_fields() {
        let Some(page) = page_args(&field, reviews::AUTHOR_CURSOR_TAG) else {
            continue;
        };
        let keys: Vec<_> = ids
            .iter()
            .map(|&author_id| AuthorReviewsKey { author_id, page })
            .collect();
        let rows = children(prime(&loaders.reviews_by_author, &keys).await?);
        let review = Lookahead::from(field).field("edges").field("node");
        Box::pin(reviews::prime::reviews(ctx, &review, &rows)).await?;
    }
    Ok(())
}
