//! Catalog mutations of the GraphQL root (STAFF and ADMIN).

use async_graphql::{Context, ID, Object, ResultExt};

use super::{CreateProductInput, Product, UpdateProductInput, write};
use crate::{
    auth::{Role, RoleGuard},
    graphql::ids::parse_id,
    state::AppState,
};

#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    /// Adds a product to the catalog, active (STAFF and ADMIN).
    #[graphql(guard = "RoleGuard(Role::Staff)")]
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> async_graphql::Result<Product> {
        let state = ctx.data::<AppState>()?;
        Ok(Product::from(write::create(state, &input).await.extend()?))
    }

    /// Changes a product's name, description, price or status (STAFF and ADMIN).
    #[graphql(guard = "RoleGuard(Role::Staff)")]
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProductInput,
    ) -> async_graphql::Result<Product> {
        let state = ctx.data::<AppState>()?;
        let id = parse_id(&id, "id").extend()?;
        Ok(Product::from(
            write::update(state, id, &input).await.extend()?,
        ))
    }

    /// Adds to (or, negative, removes from) a product's stock, never below zero (STAFF and ADMIN).
    #[graphql(guard = "RoleGuard(Role::Staff)")]
    async fn adjust_stock(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        delta: i32,
    ) -> async_graphql::Result<Product> {
        let state = ctx.data::<AppState>()?;
        let id = parse_id(&product_id, "productId").extend()?;
        Ok(Product::from(
            write::adjust_stock(state, id, delta).await.extend()?,
        ))
    }
}
