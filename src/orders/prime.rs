//! Priming of the relations selected under a list of orders (see
//! `graphql::loaders`): one query per selected relation, whatever the number
//! of orders. Where users or products do not come from the entity cache, they
//! come with the rows that point at them (a join): the orders list reads each
//! order's customer, and the lines their products.

use std::sync::Arc;

use async_graphql::{Context, Lookahead};
use entity::orders;

use super::{
    OrderFilter,
    loaders::{lines_with_products, lines_with_summaries},
    service,
};
use crate::{
    accounts,
    auth::Viewer,
    catalog,
    error::Result,
    graphql::{
        Loaders,
        loaders::prime,
        prime::{children, unique},
    },
    paging::PageArgs,
    state::AppState,
};

/// The page of orders the viewer may see. When `node` (an `Order`
/// selection) asks for the customer and users are not cached, each order
/// comes with its customer (one join), which `orders` then finds primed.
pub async fn list(
    ctx: &Context<'_>,
    node: &Lookahead<'_>,
    viewer: &Viewer,
    filter: &OrderFilter,
    page: &PageArgs,
) -> Result<Vec<orders::Model>> {
    let (state, loaders) = (
        ctx.data_unchecked::<AppState>(),
        ctx.data_unchecked::<Loaders>(),
    );
    if !node.field("customer").exists() || state.caches.entities.holds_users() {
        return service::list(&state.db, viewer, filter, page).await;
    }
    let rows = service::list_with_customers(&state.db, viewer, filter, page).await?;
    let mut orders = Vec::with_capacity(rows.len());
    let mut customers = Vec::with_capacity(rows.len());
    for (order, customer) in rows {
        orders.push(order);
        customers.push((customer.id, Arc::new(customer)));
    }
    loaders.users.put(customers);
    Ok(orders)
}

/// Loads what `node` (an `Order` selection) needs for `rows` into the request's loaders.
pub async fn orders(ctx: &Context<'_>, node: &Lookahead<'_>, rows: &[orders::Model]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let (state, loaders) = (
        ctx.data_unchecked::<AppState>(),
        ctx.data_unchecked::<Loaders>(),
    );
    let ids = unique(rows, |o| o.id);
    let customer = node.field("customer");
    if customer.exists() {
        let users = unique(rows, |o| o.user_id);
        loaders.users.prime(&users).await?;
        Box::pin(accounts::prime::users(ctx, &customer, &users)).await?;
    }
    let items = node.field("items");
    let product = items.field("product");
    if product.exists() && !state.caches.entities.holds_products() {
        // Without the entity cache, the lines come with their products (or
        // only their summaries, when nothing more is selected), every one
        // read now, replacing any the request held (a line's product shows
        // a whole row the request holds before a summary).
        let products: Vec<_> = if catalog::prime::needs_row(&product) {
            let (lines, products) = lines_with_products(&state.db, &ids).await?;
            loaders.order_items.put(lines);
            let ids = products.keys().copied().collect();
            loaders
                .products
                .put(products.into_iter().map(|(id, p)| (id, Arc::new(p))));
            ids
        } else {
            let (lines, summaries) = lines_with_summaries(&state.db, &ids).await?;
            loaders.order_items.put(lines);
            let ids = summaries.keys().copied().collect();
            loaders
                .product_summaries
                .put(summaries.into_iter().map(|(id, s)| (id, Arc::new(s))));
            ids
        };
        Box::pin(catalog::prime::products(ctx, &product, &products)).await?;
    } else if items.exists() {
        let items_of = children(loaders.order_items.prime(&ids).await?);
        if product.exists() {
            let products = unique(&items_of, |i| i.product_id);
            loaders.products.prime(&products).await?;
            Box::pin(catalog::prime::products(ctx, &product, &products)).await?;
        }
    }
    let payments = node.field("payments");
    if payments.exists() {
        let paid = children(prime(&loaders.order_payments, &ids).await?);
        let order = payments.field("order");
        if order.exists() {
            let orders = prime(&loaders.orders, &unique(&paid, |p| p.order_id)).await?;
            let orders: Vec<_> = orders.into_values().collect();
            Box::pin(self::orders(ctx, &order, &orders)).await?;
        }
    }
    Ok(())
}
