//! `reviews`: one per author and product, listed per product newest first.

use sea_orm_migration::{prelude::*, schema::*};

use super::m20261130_000001_create_users::Users;
use super::m20261130_000003_create_products::Products;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Reviews::Table)
                    .if_not_exists()
                    .col(uuid(Reviews::Id).primary_key())
                    .col(uuid(Reviews::ProductId))
                    .col(uuid(Reviews::AuthorId))
                    .col(small_integer(Reviews::Rating).check((
                        "reviews_rating_check",
                        Expr::col(Reviews::Rating).between(1, 5),
                    )))
                    .col(text(Reviews::Body))
                    .col(timestamp_with_time_zone(Reviews::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("reviews_product_id_fkey")
                            .from(Reviews::Table, Reviews::ProductId)
                            .to(Products::Table, Products::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("reviews_author_id_fkey")
                            .from(Reviews::Table, Reviews::AuthorId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("reviews_product_id_created_at_id_idx")
                    .table(Reviews::Table)
                    .col(Reviews::ProductId)
                    .col((Reviews::CreatedAt, IndexOrder::Desc))
                    .col((Reviews::Id, IndexOrder::Desc))
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("reviews_product_id_author_id_key")
                    .table(Reviews::Table)
                    .col(Reviews::ProductId)
                    .col(Reviews::AuthorId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("reviews_author_id_created_at_id_idx")
                    .table(Reviews::Table)
                    .col(Reviews::AuthorId)
                    .col((Reviews::CreatedAt, IndexOrder::Desc))
                    .col((Reviews::Id, IndexOrder::Desc))
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Reviews::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Reviews {
    Table,
    Id,
    ProductId,
    AuthorId,
    Rating,
    Body,
    CreatedAt,
}
