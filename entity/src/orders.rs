//! `orders`: a customer's order; `status` is PENDING, PAID, SHIPPED or CANCELLED.

use sea_orm::entity::prelude::*;

/// Where an order is in its life.
//
// Stored as its GraphQL name; a stored value that names no variant fails to
// decode instead of reading as some default. (Doc comments here are the
// GraphQL descriptions.)
#[derive(
    async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum OrderStatus {
    /// Placed, stock reserved, waiting for payment.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Paid, waiting to be shipped.
    #[sea_orm(string_value = "PAID")]
    Paid,
    /// On its way; final.
    #[sea_orm(string_value = "SHIPPED")]
    Shipped,
    /// Cancelled, stock returned; final.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub status: OrderStatus,
    pub total_cents: i64,
    pub currency: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id"
    )]
    User,
    #[sea_orm(has_many = "super::order_items::Entity")]
    OrderItems,
    #[sea_orm(has_many = "super::payments::Entity")]
    Payments,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::order_items::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrderItems.def()
    }
}

impl Related<super::payments::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Payments.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

crate::positional!(Model { id, user_id, status, total_cents, currency, created_at, updated_at }, columns: Entity);
