//! `products`: the catalog, with non-negative price and stock enforced by the
//! database and the index behind the default listing (active, newest first).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .if_not_exists()
                    .col(uuid(Products::Id).primary_key())
                    .col(text(Products::Sku).unique_key())
                    .col(text(Products::Name))
                    .col(text(Products::Description))
                    .col(big_integer(Products::PriceCents).check((
                        "products_price_cents_check",
                        Expr::col(Products::PriceCents).gte(0),
                    )))
                    .col(char_len(Products::Currency, 3))
                    .col(
                        integer(Products::Stock)
                            .check(("products_stock_check", Expr::col(Products::Stock).gte(0))),
                    )
                    .col(boolean(Products::Active).default(true))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        let indexes = [
            (
                "products_active_created_at_id_idx",
                vec![
                    (Products::Active, IndexOrder::Asc),
                    (Products::CreatedAt, IndexOrder::Desc),
                    (Products::Id, IndexOrder::Desc),
                ],
            ),
            (
                "products_active_price_cents_id_idx",
                vec![
                    (Products::Active, IndexOrder::Asc),
                    (Products::PriceCents, IndexOrder::Asc),
                    (Products::Id, IndexOrder::Asc),
                ],
            ),
            (
                "products_created_at_id_idx",
                vec![
                    (Products::CreatedAt, IndexOrder::Desc),
                    (Products::Id, IndexOrder::Desc),
                ],
            ),
        ];
        for (name, columns) in indexes {
            let mut index = Index::create();
            index.name(name).table(Products::Table).if_not_exists();
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Products::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Products {
    Table,
    Id,
    Sku,
    Name,
    Description,
    PriceCents,
    Currency,
    Stock,
    Active,
    CreatedAt,
    UpdatedAt,
}
