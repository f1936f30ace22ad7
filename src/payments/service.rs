//! Paying an order, with Stripe's idempotency semantics: one key pays one
//! order once. Retrying with the key returns the same payment (also when the
//! retries race); the key with another order is a CONFLICT.

use chrono::{SubsecRound, Utc};
use entity::payments;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, SqlErr,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{PayOrderInput, PaymentStatus};
use crate::{
    auth::Viewer,
    db,
    error::{AppError, Result},
    events::Event,
    graphql::ids::{no_nul, parse_id},
    orders::{self, OrderStatus, status},
    state::AppState,
};

pub const KEY_CHARS: std::ops::RangeInclusive<usize> = 8..=255;

/// What one attempt at paying led to.
enum Attempt {
    Paid(payments::Model, entity::orders::Model),
    /// The key's payment exists (made by this call's twin, or earlier).
    Existing(payments::Model),
    /// Another transaction inserted the key first; look again.
    Raced,
}

/// Pays `input.orderId` for its owner; the simulated provider settles at once,
/// so the payment is SUCCEEDED and the order PAID in the same transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn pay(
    state: &AppState,
    viewer: &Viewer,
    input: &PayOrderInput,
) -> Result<payments::Model> {
    let key = input.idempotency_key.as_str();
    if !KEY_CHARS.contains(&key.chars().count()) {
        return Err(AppError::bad_input(
            "input.idempotencyKey",
            "the idempotency key must be 8 to 255 characters",
        ));
    }
    no_nul(key, "input.idempotencyKey")?;
    let order_id = parse_id(&input.order_id, "input.orderId")?;
    let user_id = viewer
        .user_id()
        .ok_or_else(|| AppError::Unauthenticated("sign in to pay".into()))?;
    for _ in 0..3 {
        match attempt(state, viewer, user_id, order_id, key).await? {
            Attempt::Paid(payment, order) => {
                state.events.publish(Event::OrderStatusChanged {
                    order_id: order.id,
                    user_id: order.user_id,
                });
                return Ok(payment);
            }
            Attempt::Existing(payment) => return Ok(payment),
            Attempt::Raced => continue,
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "payment kept racing on its idempotency key"
    )))
}

/// The payment already made with `key`, if any; CONFLICT when it paid
/// another order.
async fn by_key(txn: &impl ConnectionTrait, key: &str, order_id: Uuid) -> Result<Option<Attempt>> {
    let existing = payments::Entity::find()
        .filter(payments::Column::IdempotencyKey.eq(key))
        .one(txn)
        .await?;
    match existing {
        Some(payment) if payment.order_id != order_id => Err(AppError::Conflict {
            field: Some("input.idempotencyKey".into()),
            message: "this idempotency key was used for another order".into(),
        }),
        Some(payment) => Ok(Some(Attempt::Existing(payment))),
        None => Ok(None),
    }
}

async fn attempt(
    state: &AppState,
    viewer: &Viewer,
    user_id: Uuid,
    order_id: Uuid,
    key: &str,
) -> Result<Attempt> {
    let txn = db::begin_write(&state.db).await?;
    if let Some(existing) = by_key(&txn, key, order_id).await? {
        return Ok(existing);
    }
    let order = orders::service::find_visible(&txn, viewer, order_id).await?;
    if order.user_id != user_id {
        return Err(AppError::Forbidden("only the order's owner pays it".into()));
    }
    if let Err(refused) = status::check(order.status, OrderStatus::Paid) {
        // A twin call with this key may have paid the order since the lookup
        // above: each statement of a Read Committed transaction sees the
        // latest commits.
        if let Some(existing) = by_key(&txn, key, order_id).await? {
            return Ok(existing);
        }
        return Err(refused);
    }
    let at = Utc::now().trunc_subsecs(6);
    let inserted = payments::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(order.id),
        amount_cents: Set(order.total_cents),
        status: Set(PaymentStatus::Succeeded),
        idempotency_key: Set(key.to_owned()),
        created_at: Set(at),
    }
    .insert(&txn)
    .await;
    let payment = match inserted {
        Ok(payment) => payment,
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Ok(Attempt::Raced);
        }
        Err(err) => return Err(err.into()),
    };
    orders::service::mark_paid(&txn, &order, at).await?;
    txn.commit().await?;
    Ok(Attempt::Paid(payment, order))
}

/// Refunds the order's settled payment, inside the cancelling transaction
/// `db` (the order and its payment change together).
pub async fn refund(db: &impl ConnectionTrait, order_id: Uuid) -> Result<()> {
    payments::Entity::update_many()
        .col_expr(
            payments::Column::Status,
            Expr::value(PaymentStatus::Refunded),
        )
        .filter(payments::Column::OrderId.eq(order_id))
        .filter(payments::Column::Status.eq(PaymentStatus::Succeeded))
        .exec(db)
        .await?;
    Ok(())
}
