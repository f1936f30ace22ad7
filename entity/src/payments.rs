//! `payments`: payment attempts of an order, unique per idempotency key.

use sea_orm::entity::prelude::*;

/// Where a payment is in its life.
//
// Stored as its GraphQL name; a stored value that names no variant fails to
// decode instead of reading as some default. (Doc comments here are the
// GraphQL descriptions.)
#[derive(
    async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum PaymentStatus {
    /// Sent to the provider, not settled yet.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Settled: the order is paid.
    #[sea_orm(string_value = "SUCCEEDED")]
    Succeeded,
    /// Refused by the provider.
    #[sea_orm(string_value = "FAILED")]
    Failed,
    /// Returned to the customer after the order was cancelled.
    #[sea_orm(string_value = "REFUNDED")]
    Refunded,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    pub amount_cents: i64,
    pub status: PaymentStatus,
    #[sea_orm(unique)]
    pub idempotency_key: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::orders::Entity",
        from = "Column::OrderId",
        to = "super::orders::Column::Id"
    )]
    Order,
}

impl Related<super::orders::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

crate::positional!(Model { id, order_id, amount_cents, status, idempotency_key, created_at }, columns: Entity);
