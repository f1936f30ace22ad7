//! `payments`, unique per idempotency key.

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000004_create_orders::Orders;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .if_not_exists()
                    .col(uuid(Payments::Id).primary_key())
                    .col(uuid(Payments::OrderId))
                    .col(big_integer(Payments::AmountCents).check((
                        "payments_amount_cents_check",
                        Expr::col(Payments::AmountCents).gte(0),
                    )))
                    .col(text(Payments::Status).check((
                        "payments_status_check",
                        Expr::col(Payments::Status).is_in([
                            "PENDING",
                            "SUCCEEDED",
                            "FAILED",
                            "REFUNDED",
                        ]),
                    )))
                    .col(text(Payments::IdempotencyKey).unique_key())
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("payments_order_id_fkey")
                            .from(Payments::Table, Payments::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("payments_order_id_idx")
                    .table(Payments::Table)
                    .col(Payments::OrderId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Payments::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    OrderId,
    AmountCents,
    Status,
    IdempotencyKey,
    CreatedAt,
}
