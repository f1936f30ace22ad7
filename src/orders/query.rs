//! Order queries of the GraphQL root.

use async_graphql::{Context, ID, Object, ResultExt};

use super::{CURSOR_TAG, Order, OrderFilter, prime, service};
use crate::{
    auth::SignedIn,
    graphql::{
        RequestMeta,
        ids::parse_id,
        pagination::{Connection, page_of},
    },
    paging::Cursor,
    state::AppState,
};

#[derive(Default)]
pub struct OrdersQuery;

#[Object]
impl OrdersQuery {
    /// An order by id: a customer's own, or any for STAFF and ADMIN. Anything
    /// else is NOT_FOUND, like an id that does not exist.
    #[graphql(guard = "SignedIn")]
    async fn order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Order>> {
        let (state, meta) = (ctx.data::<AppState>()?, ctx.data::<RequestMeta>()?);
        let id = parse_id(&id, "id").extend()?;
        let row = service::find_visible(&state.db, &meta.viewer, id)
            .await
            .extend()?;
        prime::orders(ctx, &ctx.look_ahead(), std::slice::from_ref(&row))
            .await
            .extend()?;
        Ok(Some(Order(row)))
    }

    /// Orders newest first: a customer's own, or all for STAFF and ADMIN.
    #[graphql(guard = "SignedIn")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100; 20 when absent.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last order already seen.")] after: Option<String>,
        filter: Option<OrderFilter>,
    ) -> async_graphql::Result<Connection<Order>> {
        let meta = ctx.data::<RequestMeta>()?;
        let page = page_of(ctx, first, after.as_deref(), CURSOR_TAG).extend()?;
        let filter = filter.unwrap_or_default();
        let node = ctx.look_ahead().field("edges").field("node");
        let rows = prime::list(ctx, &node, &meta.viewer, &filter, &page)
            .await
            .extend()?;
        let shown = &rows[..rows.len().min(page.first as usize)];
        prime::orders(ctx, &node, shown).await.extend()?;
        Ok(Connection::build(
            rows,
            &page,
            CURSOR_TAG,
            |o| Cursor::from_time(o.created_at, o.id),
            Order,
        ))
    }
}
