//! GraphQL types of payments.

use async_graphql::{Context, ID, InputObject, Object, ResultExt};
use chrono::{DateTime, Utc};
use entity::payments;
pub use entity::payments::PaymentStatus;

use crate::{
    graphql::{Loaders, ids::cents, loaders::one},
    orders::Order,
};

/// A payment for an order.
pub struct Payment(pub payments::Model);

/// A payment for an order.
#[Object(serial)]
impl Payment {
    /// Unique id of the payment.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The order paid for.
    async fn order(&self, ctx: &Context<'_>) -> async_graphql::Result<Order> {
        let loaders = ctx.data::<Loaders>()?;
        let order = one(&loaders.orders, self.0.order_id, "order")
            .await
            .extend()?;
        Ok(Order(order))
    }

    /// Amount in cents of the order's currency: the order's total.
    async fn amount_cents(&self) -> async_graphql::Result<i32> {
        cents(self.0.amount_cents).extend()
    }

    /// Where the payment is in its life.
    async fn status(&self) -> PaymentStatus {
        self.0.status
    }

    /// When the payment was made.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Pays an order.
#[derive(InputObject, Clone, Debug)]
pub struct PayOrderInput {
    /// The order to pay.
    pub order_id: ID,
    /// 8 to 255 characters chosen by the client; retrying with the same key
    /// returns the same payment instead of paying twice.
    pub idempotency_key: String,
}
