//! Catalog queries of the GraphQL root.

use async_graphql::{Context, ID, Object, ResultExt};

use super::{Product, ProductFilter, ProductOrder, prime, service};
use crate::{
    graphql::{
        RequestMeta,
        ids::parse_id,
        pagination::{Connection, page_of},
    },
    state::AppState,
};

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// A product by id; null when there is none the viewer may see.
    async fn product(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Product>> {
        let (state, meta) = (ctx.data::<AppState>()?, ctx.data::<RequestMeta>()?);
        let id = parse_id(&id, "id").extend()?;
        let row = service::find_visible(&state.db, &state.caches.entities, &meta.viewer, id)
            .await
            .extend()?;
        if let Some(row) = &row {
            prime::products(ctx, &ctx.look_ahead(), &[row.id])
                .await
                .extend()?;
        }
        Ok(row.map(Product::new))
    }

    /// Products the viewer may see (active ones, unless STAFF or ADMIN), a page at a time.
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100; 20 when absent.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last product already seen.")] after: Option<String>,
        filter: Option<ProductFilter>,
        #[graphql(desc = "Sort order; NEWEST when absent.")] order_by: Option<ProductOrder>,
    ) -> async_graphql::Result<Connection<Product>> {
        let (state, meta) = (ctx.data::<AppState>()?, ctx.data::<RequestMeta>()?);
        let order = order_by.unwrap_or_default();
        let page = page_of(ctx, first, after.as_deref(), order.cursor_tag()).extend()?;
        let filter = filter.unwrap_or_default();
        let rows = service::list(&state.db, &meta.viewer, &filter, order, &page)
            .await
            .extend()?;
        let node = ctx.look_ahead().field("edges").field("node");
        let shown: Vec<_> = rows
            .iter()
            .take(page.first as usize)
            .map(|p| p.id)
            .collect();
        prime::products(ctx, &node, &shown).await.extend()?;
        Ok(Connection::build(
            rows,
            &page,
            order.cursor_tag(),
            |p| order.cursor(p),
            Product::from,
        ))
    }
}
