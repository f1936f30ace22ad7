//! `order_items`: order lines, deleted with their order.

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000003_create_products::Products;
use super::m20261130_000004_create_orders::Orders;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrderItems::Table)
                    .if_not_exists()
                    .col(uuid(OrderItems::Id).primary_key())
                    .col(uuid(OrderItems::OrderId))
                    .col(uuid(OrderItems::ProductId))
                    .col(integer(OrderItems::Quantity).check((
                        "order_items_quantity_check",
                        Expr::col(OrderItems::Quantity).gt(0),
                    )))
                    .col(big_integer(OrderItems::UnitPriceCents).check((
                        "order_items_unit_price_cents_check",
                        Expr::col(OrderItems::UnitPriceCents).gte(0),
                    )))
                    .foreign_key(
                        ForeignKey::create()
                            .name("order_items_order_id_fkey")
                            .from(OrderItems::Table, OrderItems::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("order_items_product_id_fkey")
                            .from(OrderItems::Table, OrderItems::ProductId)
                            .to(Products::Table, Products::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("order_items_order_id_idx", OrderItems::OrderId),
            ("order_items_product_id_idx", OrderItems::ProductId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(OrderItems::Table)
                        .col(column)
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrderItems::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OrderItems {
    Table,
    Id,
    OrderId,
    ProductId,
    Quantity,
    UnitPriceCents,
}
