//! Priming of the relations selected under a list of orders (see
//! `graphql::loaders`): one query per selected relation, whatever the number
//! of orders.

use async_graphql::{Context, Lookahead, dataloader::Loader};
use entity::{order_items, orders, payments};

use crate::{
    accounts, catalog,
    error::Result,
    graphql::{Loaders, prime::unique},
};

/// Loads what `node` (an `Order` selection) needs for `rows` into the request's loaders.
pub async fn orders(ctx: &Context<'_>, node: &Lookahead<'_>, rows: &[orders::Model]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let loaders = ctx.data_unchecked::<Loaders>();
    let ids = unique(rows, |o| o.id);
    let customer = node.field("customer");
    if customer.exists() {
        let users = loaders
            .users
            .loader()
            .load(&unique(rows, |o| o.user_id))
            .await?;
        let users: Vec<_> = users.into_values().collect();
        loaders
            .users
            .feed_many(users.iter().map(|u| (u.id, u.clone())))
            .await;
        Box::pin(accounts::prime::users(ctx, &customer, &users)).await?;
    }
    let items = node.field("items");
    if items.exists() {
        let by_order = loaders.order_items.loader().load(&ids).await?;
        let all: Vec<order_items::Model> = by_order.values().flatten().cloned().collect();
        loaders.order_items.feed_many(by_order).await;
        let product = items.field("product");
        if product.exists() {
            let products = loaders
                .products
                .loader()
                .load(&unique(&all, |i| i.product_id))
                .await?;
            let products: Vec<_> = products.into_values().collect();
            loaders
                .products
                .feed_many(products.iter().map(|p| (p.id, p.clone())))
                .await;
            Box::pin(catalog::prime::products(ctx, &product, &products)).await?;
        }
    }
    let payments = node.field("payments");
    if payments.exists() {
        let by_order = loaders.order_payments.loader().load(&ids).await?;
        let all: Vec<payments::Model> = by_order.values().flatten().cloned().collect();
        loaders.order_payments.feed_many(by_order).await;
        let order = payments.field("order");
        if order.exists() {
            let orders = loaders
                .orders
                .loader()
                .load(&unique(&all, |p| p.order_id))
                .await?;
            let orders: Vec<_> = orders.into_values().collect();
            loaders
                .orders
                .feed_many(orders.iter().map(|o| (o.id, o.clone())))
                .await;
            Box::pin(self::orders(ctx, &order, &orders)).await?;
        }
    }
    Ok(())
}
