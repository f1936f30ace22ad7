//! GraphQL types of orders.

use async_graphql::{Context, ID, InputObject, Object, ResultExt};
use chrono::{DateTime, Utc};
use entity::{order_items, orders};

use crate::{
    accounts::User,
    catalog::Product,
    graphql::{Loaders, ids::cents, loaders::many},
    orders::OrderStatus,
    payments::Payment,
};

/// A customer's order.
pub struct Order(pub orders::Model);

/// A customer's order.
#[Object(serial)]
impl Order {
    /// Unique id of the order.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Where the order is in its life.
    async fn status(&self) -> OrderStatus {
        self.0.status
    }

    /// Sum of the lines at the prices when the order was placed, in cents.
    async fn total_cents(&self) -> async_graphql::Result<i32> {
        cents(self.0.total_cents).extend()
    }

    /// ISO 4217 currency code of every amount of the order.
    async fn currency(&self) -> &str {
        &self.0.currency
    }

    /// When the order was placed.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Who placed the order.
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        let loaders = ctx.data::<Loaders>()?;
        let user = loaders
            .users
            .one(self.0.user_id, "customer")
            .await
            .extend()?;
        Ok(User::new(user))
    }

    /// The order's lines.
    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OrderItem>> {
        let loaders = ctx.data::<Loaders>()?;
        let items = loaders.order_items.find(self.0.id).await.extend()?;
        Ok(items
            .unwrap_or_default()
            .into_iter()
            .map(OrderItem)
            .collect())
    }

    /// Payments made for the order, oldest first.
    async fn payments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Payment>> {
        let loaders = ctx.data::<Loaders>()?;
        let payments = many(&loaders.order_payments, self.0.id).await.extend()?;
        Ok(payments.into_iter().map(Payment).collect())
    }
}

/// One line of an order.
pub struct OrderItem(pub order_items::Model);

/// One line of an order.
#[Object(serial)]
impl OrderItem {
    /// Unique id of the line.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Units ordered.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    /// Price of one unit when the order was placed, in cents.
    async fn unit_price_cents(&self) -> async_graphql::Result<i32> {
        cents(self.0.unit_price_cents).extend()
    }

    /// The product ordered; resolves whatever the product's status.
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Product> {
        let (loaders, id) = (ctx.data::<Loaders>()?, self.0.product_id);
        // A whole row the request holds (another list read it) is used
        // before a summary, so that no product mixes two reads of its row.
        if let Some(row) = loaders.products.held(id) {
            return Ok(Product::new(row));
        }
        if let Some(summary) = loaders.product_summaries.get(id) {
            return Ok(Product::summary(id, summary));
        }
        let product = loaders.products.one(id, "product").await.extend()?;
        Ok(Product::new(product))
    }
}

/// One product and quantity to order.
#[derive(InputObject, Clone, Debug)]
pub struct OrderLineInput {
    /// The product.
    pub product_id: ID,
    /// Units, 1 to 1,000.
    pub quantity: i32,
}

/// A new order.
#[derive(InputObject, Clone, Debug)]
pub struct PlaceOrderInput {
    /// 1 to 50 lines; lines of the same product are merged.
    pub items: Vec<OrderLineInput>,
}

/// Narrows an order listing.
#[derive(InputObject, Clone, Copy, Debug, Default)]
pub struct OrderFilter {
    /// Only orders with this status.
    pub status: Option<OrderStatus>,
}
