//! Payment mutations of the GraphQL root.

use async_graphql::{Context, Object, ResultExt};

use super::{PayOrderInput, Payment, service};
use crate::{auth::SignedIn, graphql::RequestMeta, state::AppState};

#[derive(Default)]
pub struct PaymentsMutation;

#[Object]
impl PaymentsMutation {
    /// Pays the signed-in user's PENDING order. Retrying with the same
    /// idempotency key returns the same payment; the key with another order is
    /// a CONFLICT.
    #[graphql(guard = "SignedIn")]
    async fn pay_order(
        &self,
        ctx: &Context<'_>,
        input: PayOrderInput,
    ) -> async_graphql::Result<Payment> {
        let (state, meta) = (ctx.data::<AppState>()?, ctx.data::<RequestMeta>()?);
        Ok(Payment(
            service::pay(state, &meta.viewer, &input).await.extend()?,
        ))
    }
}
