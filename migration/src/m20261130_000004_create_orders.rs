//! `orders`, with the two listing indexes: a customer's orders and all orders,
//! newest first.

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .if_not_exists()
                    .col(uuid(Orders::Id).primary_key())
                    .col(uuid(Orders::UserId))
                    .col(text(Orders::Status).check((
                        "orders_status_check",
                        Expr::col(Orders::Status).is_in([
                            "PENDING",
                            "PAID",
                            "SHIPPED",
                            "CANCELLED",
                        ]),
                    )))
                    .col(big_integer(Orders::TotalCents).check((
                        "orders_total_cents_check",
                        Expr::col(Orders::TotalCents).gte(0),
                    )))
                    .col(char_len(Orders::Currency, 3))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("orders_user_id_fkey")
                            .from(Orders::Table, Orders::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("orders_user_id_created_at_id_idx")
                    .table(Orders::Table)
                    .col(Orders::UserId)
                    .col((Orders::CreatedAt, IndexOrder::Desc))
                    .col((Orders::Id, IndexOrder::Desc))
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("orders_created_at_id_idx")
                    .table(Orders::Table)
                    .col((Orders::CreatedAt, IndexOrder::Desc))
                    .col((Orders::Id, IndexOrder::Desc))
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Orders::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Orders {
    Table,
    Id,
    UserId,
    Status,
    TotalCents,
    Currency,
    CreatedAt,
    UpdatedAt,
}
