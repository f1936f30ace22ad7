//! `products`: the catalog. Money is integer cents plus an ISO 4217 code;
//! `stock` never goes below zero (a CHECK constraint backs that up).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub stock: i32,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// What an order line shows of its product unless more is asked: the
/// columns a list of orders selects (beside the id, which the line holds).
/// Reading only these keeps the join of many lines with their products
/// narrow; the product's other fields load the whole row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub sku: String,
    pub name: String,
    pub price_cents: i64,
    pub currency: String,
}

impl Summary {
    /// The columns of a summary, in the order of its fields.
    pub const COLUMNS: [Column; 4] = [
        Column::Sku,
        Column::Name,
        Column::PriceCents,
        Column::Currency,
    ];
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::order_items::Entity")]
    OrderItems,
    #[sea_orm(has_many = "super::reviews::Entity")]
    Reviews,
}

impl Related<super::order_items::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrderItems.def()
    }
}

impl Related<super::reviews::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Reviews.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

crate::positional!(Model { id, sku, name, description, price_cents, currency, stock, active, created_at, updated_at }, columns: Entity);
crate::positional!(Summary { sku, name, price_cents, currency }, select: super::Summary::COLUMNS);
