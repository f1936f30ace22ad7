//! Catalog subscriptions (public).

use async_graphql::{Context, ErrorExtensions, ID, ResultExt, Subscription};
use entity::products;
use futures_util::{Stream, StreamExt, stream};
use sea_orm::EntityTrait;

use super::Product;
use crate::{error::AppError, events::Event, graphql::ids::parse_id, state::AppState};

#[derive(Default)]
pub struct CatalogSubscription;

#[Subscription]
impl CatalogSubscription {
    /// Stock changes of products (orders, cancellations, adjustments);
    /// `productId` narrows to one product. Inactive products are not shown.
    async fn stock_changed(
        &self,
        ctx: &Context<'_>,
        product_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Product>> + use<>> {
        let state = ctx.data::<AppState>()?.clone();
        let wanted = product_id
            .map(|id| parse_id(&id, "productId"))
            .transpose()
            .extend()?;
        let events = state.events.subscribe();
        Ok(stream::unfold(Some(events), move |events| {
            let state = state.clone();
            async move {
                let mut events = events?;
                loop {
                    let Event::StockChanged { product_id } = events.next().await? else {
                        continue;
                    };
                    if wanted.is_some_and(|w| w != product_id) {
                        continue;
                    }
                    match products::Entity::find_by_id(product_id)
                        .one(&state.db)
                        .await
                    {
                        Ok(Some(product)) if product.active => {
                            return Some((Ok(Product::from(product)), Some(events)));
                        }
                        Ok(_) => continue,
                        Err(err) => return Some((Err(AppError::from(err).extend()), None)),
                    }
                }
            }
        }))
    }
}
