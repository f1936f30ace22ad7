//! Catalog writes (STAFF and ADMIN): creating and editing products, and
//! adjusting stock without ever taking it below zero.

use chrono::{SubsecRound, Utc};
use entity::products;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{CreateProductInput, UpdateProductInput, input};
use crate::{
    cache::Change,
    error::{AppError, OnConflict, Result},
    events::Event,
    state::AppState,
};

/// Creates an active product.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(state: &AppState, input: &CreateProductInput) -> Result<products::Model> {
    let now = Utc::now().trunc_subsecs(6);
    let product = products::ActiveModel {
        id: Set(Uuid::now_v7()),
        sku: Set(input::sku(&input.sku, "input.sku")?),
        name: Set(input::name(&input.name, "input.name")?),
        description: Set(input::description(
            input.description.as_deref().unwrap_or_default(),
            "input.description",
        )?),
        price_cents: Set(input::price(input.price_cents, "input.priceCents")?),
        currency: Set(input::currency(&input.currency, "input.currency")?),
        stock: Set(input::stock(input.stock, "input.stock")?),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&state.db)
    .await
    .on_unique_violation("input.sku", "a product with this sku exists")?;
    state.caches.changed(Change::Product(product.id)).await;
    Ok(product)
}

/// Changes the given fields of a product.
#[tracing::instrument(level = "debug", skip(state, input))]
pub async fn update(
    state: &AppState,
    id: Uuid,
    input: &UpdateProductInput,
) -> Result<products::Model> {
    let product = products::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    let mut row: products::ActiveModel = product.into();
    if let Some(name) = &input.name {
        row.name = Set(input::name(name, "input.name")?);
    }
    if let Some(description) = &input.description {
        row.description = Set(input::description(description, "input.description")?);
    }
    if let Some(price) = input.price_cents {
        row.price_cents = Set(input::price(price, "input.priceCents")?);
    }
    if let Some(active) = input.active {
        row.active = Set(active);
    }
    row.updated_at = Set(Utc::now().trunc_subsecs(6));
    let product = row.update(&state.db).await?;
    state.caches.changed(Change::Product(id)).await;
    Ok(product)
}

/// Adds `delta` (negative to remove) to a product's stock, refusing to go
/// below zero; a single conditional update, safe against concurrent orders.
#[tracing::instrument(level = "debug", skip(state))]
pub async fn adjust_stock(state: &AppState, id: Uuid, delta: i32) -> Result<products::Model> {
    if delta.unsigned_abs() > input::MAX_STOCK_DELTA as u32 {
        return Err(AppError::bad_input(
            "delta",
            "delta must be within ±1,000,000",
        ));
    }
    let updated = products::Entity::update_many()
        .col_expr(
            products::Column::Stock,
            Expr::col(products::Column::Stock).add(delta),
        )
        .col_expr(
            products::Column::UpdatedAt,
            Expr::value(Utc::now().trunc_subsecs(6)),
        )
        .filter(products::Column::Id.eq(id))
        .filter(products::Column::Stock.gte(-delta))
        .exec(&state.db)
        .await?;
    let product = products::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    if updated.rows_affected != 1 {
        return Err(AppError::bad_input(
            "delta",
            format!("stock is {}; it cannot go below zero", product.stock),
        ));
    }
    state.caches.changed(Change::Product(id)).await;
    state.events.publish(Event::StockChanged { product_id: id });
    Ok(product)
}
