//! Review queries.

use std::collections::HashMap;

use entity::reviews;
use sea_orm::{
    ConnectionTrait, DbErr, FromQueryResult,
    sea_query::{Alias, Expr, ExprTrait, Func, Query},
};
use uuid::Uuid;

use crate::{db::window::Relation, paging::PageArgs};

/// A page of reviews (newest first) for each product, in one statement.
#[tracing::instrument(level = "debug", skip_all, fields(products = product_ids.len()))]
pub async fn pages_by_product(
    db: &impl ConnectionTrait,
    product_ids: &[Uuid],
    page: &PageArgs,
) -> Result<HashMap<Uuid, Vec<reviews::Model>>, DbErr> {
    relation(reviews::Column::ProductId)
        .pages(db, product_ids, page, |r: &reviews::Model| r.product_id)
        .await
}

/// A page of reviews (newest first) for each author, in one statement.
#[tracing::instrument(level = "debug", skip_all, fields(authors = author_ids.len()))]
pub async fn pages_by_author(
    db: &impl ConnectionTrait,
    author_ids: &[Uuid],
    page: &PageArgs,
) -> Result<HashMap<Uuid, Vec<reviews::Model>>, DbErr> {
    relation(reviews::Column::AuthorId)
        .pages(db, author_ids, page, |r: &reviews::Model| r.author_id)
        .await
}

fn relation(parent: reviews::Column) -> Relation<reviews::Entity> {
    Relation {
        entity: reviews::Entity,
        parent,
        created_at: reviews::Column::CreatedAt,
        id: reviews::Column::Id,
    }
}

/// Average rating of each product that has reviews. The sum and count are
/// read as integers and divided here, which decodes the same on both databases.
pub async fn average_ratings(
    db: &impl ConnectionTrait,
    product_ids: &[Uuid],
) -> Result<HashMap<Uuid, f64>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        product_id: Uuid,
        total: i64,
        count: i64,
    }
    use reviews::Column as C;
    let query = Query::select()
        .column(C::ProductId)
        .expr_as(Func::sum(Expr::col(C::Rating)), Alias::new("total"))
        .expr_as(Func::count(Expr::col(C::Id)), Alias::new("count"))
        .from(reviews::Entity)
        .and_where(Expr::col(C::ProductId).is_in(product_ids.iter().copied()))
        .group_by_col(C::ProductId)
        .to_owned();
    let statement = db.get_database_backend().build(&query);
    let rows = Row::find_by_statement(statement).all(db).await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.count > 0)
        .map(|r| (r.product_id, r.total as f64 / r.count as f64))
        .collect())
}
