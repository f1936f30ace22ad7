//! `reviews.author_name`: the author's display name, kept with each review so
//! that a page of reviews shows who wrote them without reading `users`.
//!
//! A display name is set when its account is created and never changes; code
//! that ever renames a user must rename their reviews in the same
//! transaction. Existing reviews are filled in from `users`.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

use super::m20261130_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds a NOT NULL column only with a default; PostgreSQL
        // drops it once the rows are filled in, so an insert without a
        // name fails there.
        manager
            .alter_table(
                Table::alter()
                    .table(Reviews::Table)
                    .add_column(text(Reviews::AuthorName).default(""))
                    .to_owned(),
            )
            .await?;
        let name_of_author = Query::select()
            .column((Users::Table, Users::DisplayName))
            .from(Users::Table)
            .and_where(
                Expr::col((Users::Table, Users::Id)).equals((Reviews::Table, Reviews::AuthorId)),
            )
            .to_owned();
        manager
            .exec_stmt(
                Query::update()
                    .table(Reviews::Table)
                    .value(
                        Reviews::AuthorName,
                        SimpleExpr::SubQuery(
                            None,
                            Box::new(name_of_author.into_sub_query_statement()),
                        ),
                    )
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("ALTER TABLE reviews ALTER COLUMN author_name DROP DEFAULT")
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Reviews::Table)
                    .drop_column(Reviews::AuthorName)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Reviews {
    Table,
    AuthorId,
    AuthorName,
}
