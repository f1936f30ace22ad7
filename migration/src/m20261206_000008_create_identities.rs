//! `identities`: users of an external identity provider, by the provider's
//! issuer and subject. The unique pair is what makes two first requests of
//! one new subject create one user, whichever instance serves them.

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
                    .table(Identities::Table)
                    .if_not_exists()
                    .col(uuid(Identities::Id).primary_key())
                    .col(uuid(Identities::UserId))
                    .col(text(Identities::Issuer))
                    .col(text(Identities::Subject))
                    .col(timestamp_with_time_zone(Identities::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("identities_user_id_fkey")
                            .from(Identities::Table, Identities::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            (
                "identities_issuer_subject_key",
                vec![Identities::Issuer, Identities::Subject],
                true,
            ),
            ("identities_user_id_idx", vec![Identities::UserId], false),
        ] {
            let mut index = Index::create();
            index.name(name).table(Identities::Table).if_not_exists();
            for column in columns {
                index.col(column);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Identities::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Identities {
    Table,
    Id,
    UserId,
    Issuer,
    Subject,
    CreatedAt,
}
