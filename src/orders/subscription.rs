//! Order subscriptions.

use async_graphql::{Context, ErrorExtensions, ID, ResultExt, Subscription};
use entity::orders;
use futures_util::{Stream, StreamExt, stream};
use sea_orm::EntityTrait;

use super::Order;
use crate::{
    auth::{self, ConnectionToken, SignedIn},
    error::AppError,
    events::Event,
    graphql::ids::parse_id,
    state::AppState,
};

#[derive(Default)]
pub struct OrdersSubscription;

#[Subscription]
impl OrdersSubscription {
    /// Status changes of orders: the viewer's own, or all for STAFF and ADMIN;
    /// `orderId` narrows to one order. Checked on every event.
    #[graphql(guard = "SignedIn")]
    async fn order_status_changed(
        &self,
        ctx: &Context<'_>,
        order_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Order>> + use<>> {
        let state = ctx.data::<AppState>()?.clone();
        let token = ctx.data_opt::<ConnectionToken>().cloned();
        let wanted = order_id
            .map(|id| parse_id(&id, "orderId"))
            .transpose()
            .extend()?;
        let events = state.events.subscribe();
        Ok(stream::unfold(Some(events), move |events| {
            let (state, token) = (state.clone(), token.clone());
            async move {
                let mut events = events?;
                loop {
                    let Event::OrderStatusChanged { order_id, user_id } = events.next().await?
                    else {
                        continue;
                    };
                    if wanted.is_some_and(|w| w != order_id) {
                        continue;
                    }
                    let viewer = match auth::recheck(
                        &state.caches.sessions,
                        &state.db,
                        token.as_ref(),
                    )
                    .await
                    {
                        Ok(viewer) => viewer,
                        Err(err) => return Some((Err(err.extend()), None)),
                    };
                    if !viewer.is_staff() && viewer.user_id() != Some(user_id) {
                        continue;
                    }
                    match orders::Entity::find_by_id(order_id).one(&state.db).await {
                        // The owner checked again on the row itself: an event
                        // from another instance is taken at its word no more
                        // than a local one.
                        Ok(Some(order))
                            if !viewer.is_staff() && viewer.user_id() != Some(order.user_id) =>
                        {
                            continue;
                        }
                        Ok(Some(order)) => return Some((Ok(Order(order)), Some(events))),
                        Ok(None) => continue,
                        Err(err) => return Some((Err(AppError::from(err).extend()), None)),
                    }
                }
            }
        }))
    }
}
