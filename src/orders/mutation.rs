//! Order mutations of the GraphQL root.

use async_graphql::{Context, ID, Object, ResultExt};

use super::{Order, PlaceOrderInput, service};
use crate::{
    auth::{Role, RoleGuard, SignedIn},
    error::AppError,
    graphql::{RequestMeta, ids::parse_id},
    state::AppState,
};

#[derive(Default)]
pub struct OrdersMutation;

#[Object]
impl OrdersMutation {
    /// Orders products for the signed-in user, reserving their stock: every
    /// line or none (INSUFFICIENT_STOCK names the product that ran out).
    #[graphql(guard = "SignedIn")]
    async fn place_order(
        &self,
        ctx: &Context<'_>,
        input: PlaceOrderInput,
    ) -> async_graphql::Result<Order> {
        let (state, meta) = (ctx.data::<AppState>()?, ctx.data::<RequestMeta>()?);
        let user_id = meta
            .viewer
            .user_id()
            .ok_or(AppError::NotFound("user"))
            .extend()?;
        Ok(Order(
            service::place(state, user_id, &input).await.extend()?,
        ))
    }

    /// Cancels an order and returns its stock: the owner while PENDING, STAFF
    /// and ADMIN while PENDING or PAID (the payment is refunded).
    #[graphql(guard = "SignedIn")]
    async fn cancel_order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Order> {
        let (state, meta) = (ctx.data::<AppState>()?, ctx.data::<RequestMeta>()?);
        let id = parse_id(&id, "id").extend()?;
        Ok(Order(
            service::cancel(state, &meta.viewer, id).await.extend()?,
        ))
    }

    /// Marks a PAID order SHIPPED (STAFF and ADMIN).
    #[graphql(guard = "RoleGuard(Role::Staff)")]
    async fn ship_order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Order> {
        let state = ctx.data::<AppState>()?;
        let id = parse_id(&id, "id").extend()?;
        Ok(Order(service::ship(state, id).await.extend()?))
    }
}
