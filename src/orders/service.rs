//! Order service functions. Placing an order reserves stock with conditional
//! decrements inside one write transaction, so concurrent orders never
//! oversell; status changes are conditional updates, so each transition (and
//! each restock) happens exactly once.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SubsecRound, Utc};
use entity::{order_items, orders, products, users};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PartialModelTrait, QueryFilter,
    Select, Set,
    sea_query::{CaseStatement, Expr, ExprTrait},
};
use uuid::Uuid;

use super::{OrderFilter, OrderStatus, PlaceOrderInput, status};
use crate::{
    auth::Viewer,
    cache::Change,
    db::{self, keyset},
    error::{AppError, Result},
    events::Event,
    graphql::ids::parse_id,
    paging::PageArgs,
    payments,
    state::AppState,
};

pub const MAX_LINES: usize = 50;
pub const MAX_QUANTITY: i32 = 1_000;

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A validated order line; `index` is its first position in the input.
struct Line {
    index: usize,
    quantity: i32,
}

/// Parses and merges the lines: 1 to 50, quantities 1 to 1,000 (also once
/// lines of one product are added up).
fn lines(input: &PlaceOrderInput) -> Result<BTreeMap<Uuid, Line>> {
    if input.items.is_empty() || input.items.len() > MAX_LINES {
        return Err(AppError::bad_input(
            "input.items",
            format!("an order has 1 to {MAX_LINES} lines"),
        ));
    }
    let mut merged: BTreeMap<Uuid, Line> = BTreeMap::new();
    for (index, item) in input.items.iter().enumerate() {
        let product_id = parse_id(&item.product_id, &format!("input.items.{index}.productId"))?;
        let line = merged
            .entry(product_id)
            .or_insert(Line { index, quantity: 0 });
        line.quantity = line.quantity.saturating_add(item.quantity);
        if !(1..=MAX_QUANTITY).contains(&item.quantity) || line.quantity > MAX_QUANTITY {
            return Err(AppError::bad_input(
                format!("input.items.{index}.quantity"),
                format!("quantity must be 1 to {MAX_QUANTITY} per product"),
            ));
        }
    }
    Ok(merged)
}

/// Places an order for `user_id`: all lines or none.
#[tracing::instrument(level = "debug", skip(state, input))]
pub async fn place(
    state: &AppState,
    user_id: Uuid,
    input: &PlaceOrderInput,
) -> Result<orders::Model> {
    let lines = lines(input)?;
    let txn = db::begin_write(&state.db).await?;
    let products: HashMap<Uuid, products::Model> = products::Entity::find()
        .filter(products::Column::Id.is_in(lines.keys().copied()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut currency: Option<&str> = None;
    let mut total: i64 = 0;
    for (id, line) in &lines {
        let product = products.get(id).filter(|p| p.active).ok_or_else(|| {
            AppError::bad_input(
                format!("input.items.{}.productId", line.index),
                "no such product for sale",
            )
        })?;
        if *currency.get_or_insert(&product.currency) != product.currency {
            return Err(AppError::bad_input(
                "input.items",
                "all products of an order must have one currency",
            ));
        }
        total = total.saturating_add(product.price_cents.saturating_mul(i64::from(line.quantity)));
    }
    if total > i64::from(i32::MAX) {
        return Err(AppError::bad_input(
            "input.items",
            "the order total is too large for one order",
        ));
    }
    let at = now();
    // Ascending product id: concurrent orders lock rows in one order, never deadlock.
    for (id, line) in &lines {
        let reserved = products::Entity::update_many()
            .col_expr(
                products::Column::Stock,
                Expr::col(products::Column::Stock).sub(line.quantity),
            )
            .col_expr(products::Column::UpdatedAt, Expr::value(at))
            .filter(products::Column::Id.eq(*id))
            .filter(products::Column::Stock.gte(line.quantity))
            .exec(&txn)
            .await?;
        if reserved.rows_affected != 1 {
            return Err(AppError::InsufficientStock { product_id: *id });
        }
    }
    let order = orders::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        status: Set(OrderStatus::Pending),
        total_cents: Set(total),
        currency: Set(currency.unwrap_or("EUR").to_owned()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    let items = lines.iter().map(|(id, line)| order_items::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(order.id),
        product_id: Set(*id),
        quantity: Set(line.quantity),
        unit_price_cents: Set(products[id].price_cents),
    });
    order_items::Entity::insert_many(items)
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    for product_id in lines.keys() {
        stock_changed(state, *product_id).await;
    }
    Ok(order)
}

/// After a commit that changed a product's stock: drop it from the caches and
/// tell subscribers.
async fn stock_changed(state: &AppState, product_id: Uuid) {
    state.caches.changed(Change::Product(product_id)).await;
    state.events.publish(Event::StockChanged { product_id });
}

/// Moves `order` to `to` at `at`, if its life cycle allows it and nobody
/// moved it first: the only write of an order's status.
async fn transition(
    db: &impl ConnectionTrait,
    order: &orders::Model,
    to: OrderStatus,
    at: DateTime<Utc>,
) -> Result<orders::Model> {
    status::check(order.status, to)?;
    let moved = orders::Entity::update_many()
        .col_expr(orders::Column::Status, Expr::value(to))
        .col_expr(orders::Column::UpdatedAt, Expr::value(at))
        .filter(orders::Column::Id.eq(order.id))
        .filter(orders::Column::Status.eq(order.status))
        .exec(db)
        .await?;
    if moved.rows_affected != 1 {
        return Err(AppError::Conflict {
            field: None,
            message: "the order changed meanwhile; reload it".into(),
        });
    }
    Ok(orders::Model {
        status: to,
        ..order.clone()
    })
}

/// Marks a PENDING order PAID at `at`, inside the paying transaction `db`
/// (the payment and the order commit together).
pub async fn mark_paid(
    db: &impl ConnectionTrait,
    order: &orders::Model,
    at: DateTime<Utc>,
) -> Result<orders::Model> {
    transition(db, order, OrderStatus::Paid, at).await
}

/// An order the viewer may act on: their own, or any for STAFF/ADMIN;
/// anything else is NOT_FOUND, like an id that does not exist.
pub async fn find_visible(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> Result<orders::Model> {
    orders::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|o| viewer.is_staff() || viewer.user_id() == Some(o.user_id))
        .ok_or(AppError::NotFound("order"))
}

/// Cancels an order: its owner while PENDING, STAFF/ADMIN while PENDING or
/// PAID. Returns the stock exactly once and refunds a payment.
#[tracing::instrument(level = "debug", skip(state))]
pub async fn cancel(state: &AppState, viewer: &Viewer, id: Uuid) -> Result<orders::Model> {
    let txn = db::begin_write(&state.db).await?;
    let order = find_visible(&txn, viewer, id).await?;
    // Only STAFF/ADMIN take back a paid order (and refund it).
    if order.status == OrderStatus::Paid && !viewer.is_staff() {
        return Err(status::refused(order.status, OrderStatus::Cancelled));
    }
    let cancelled = transition(&txn, &order, OrderStatus::Cancelled, now()).await?;
    let items = order_items::Entity::find()
        .filter(order_items::Column::OrderId.eq(order.id))
        .all(&txn)
        .await?;
    restock(&txn, &items).await?;
    if order.status == OrderStatus::Paid {
        payments::service::refund(&txn, order.id).await?;
    }
    txn.commit().await?;
    state.events.publish(Event::OrderStatusChanged {
        order_id: order.id,
        user_id: order.user_id,
    });
    for item in &items {
        stock_changed(state, item.product_id).await;
    }
    Ok(cancelled)
}

/// Returns the items' units to stock in one statement (an order has one line
/// per product, so each product gets its own quantity back).
async fn restock(db: &impl ConnectionTrait, items: &[order_items::Model]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let returned = items
        .iter()
        .fold(CaseStatement::new(), |case, item| {
            case.case(products::Column::Id.eq(item.product_id), item.quantity)
        })
        .finally(0);
    products::Entity::update_many()
        .col_expr(
            products::Column::Stock,
            Expr::col(products::Column::Stock).add(returned),
        )
        .filter(products::Column::Id.is_in(items.iter().map(|i| i.product_id)))
        .exec(db)
        .await?;
    Ok(())
}

/// Ships a PAID order.
#[tracing::instrument(level = "debug", skip(state))]
pub async fn ship(state: &AppState, id: Uuid) -> Result<orders::Model> {
    let txn = db::begin_write(&state.db).await?;
    let order = orders::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("order"))?;
    let shipped = transition(&txn, &order, OrderStatus::Shipped, now()).await?;
    txn.commit().await?;
    state.events.publish(Event::OrderStatusChanged {
        order_id: order.id,
        user_id: order.user_id,
    });
    Ok(shipped)
}

/// A page (plus one row) of the orders the viewer may see, newest first:
/// their own for a customer, all for STAFF and ADMIN.
#[tracing::instrument(level = "debug", skip(db))]
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &OrderFilter,
    page: &PageArgs,
) -> Result<Vec<orders::Model>> {
    Ok(db::rows(visible(viewer, filter, page)?, db).await?)
}

/// What [`list`] reads, each order with its customer's profile (one join).
#[tracing::instrument(level = "debug", skip(db))]
pub async fn list_with_customers(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &OrderFilter,
    page: &PageArgs,
) -> Result<Vec<(orders::Model, users::Profile)>> {
    let query = visible(viewer, filter, page)?.inner_join(users::Entity);
    Ok(db::rows_as(users::Profile::select_cols(query), db).await?)
}

/// The query of a page of the orders the viewer may see.
fn visible(
    viewer: &Viewer,
    filter: &OrderFilter,
    page: &PageArgs,
) -> Result<Select<orders::Entity>> {
    use orders::Column as C;
    let mut query = orders::Entity::find();
    if !viewer.is_staff() {
        let user_id = viewer
            .user_id()
            .ok_or_else(|| AppError::Unauthenticated("sign in to see orders".into()))?;
        query = query.filter(C::UserId.eq(user_id));
    }
    if let Some(status) = filter.status {
        query = query.filter(C::Status.eq(status));
    }
    keyset::newest_first(query, C::CreatedAt, C::Id, page)
}
