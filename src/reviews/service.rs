//! Review queries.

use std::collections::HashMap;

use entity::reviews;
use sea_orm::{
    ConnectionTrait, DbErr, FromQueryResult, Order,
    sea_query::{Alias, Expr, ExprTrait, Func, Query, WindowStatement},
};
use uuid::Uuid;

use crate::{db::keyset, graphql::pagination::PageArgs};

/// A page of reviews (newest first) for each product, in one statement: a
/// window function numbers each product's reviews and the outer query keeps
/// the first `page.fetch_limit()` of each.
#[tracing::instrument(skip_all, fields(products = product_ids.len()))]
pub async fn pages_by_product(
    db: &impl ConnectionTrait,
    product_ids: &[Uuid],
    page: &PageArgs,
) -> Result<HashMap<Uuid, Vec<reviews::Model>>, DbErr> {
    use reviews::Column as C;
    let mut inner = Query::select();
    inner
        .columns([
            C::Id,
            C::ProductId,
            C::AuthorId,
            C::Rating,
            C::Body,
            C::CreatedAt,
        ])
        .expr_window_as(
            Expr::cust("ROW_NUMBER()"),
            WindowStatement::partition_by(C::ProductId)
                .order_by(C::CreatedAt, Order::Desc)
                .order_by(C::Id, Order::Desc)
                .take(),
            Alias::new("rn"),
        )
        .from(reviews::Entity)
        .and_where(Expr::col(C::ProductId).is_in(product_ids.iter().copied()));
    if let Some(after) = page.after {
        let at = after.time().map_err(|e| DbErr::Custom(e.to_string()))?;
        inner.cond_where(keyset::after(C::CreatedAt, C::Id, at, after.id, true));
    }
    let ranked = Alias::new("ranked");
    let outer = Query::select()
        .column((ranked.clone(), sea_orm::sea_query::Asterisk))
        .from_subquery(inner, ranked.clone())
        .and_where(Expr::col((ranked.clone(), Alias::new("rn"))).lte(page.fetch_limit()))
        .order_by((ranked.clone(), C::CreatedAt), Order::Desc)
        .order_by((ranked, C::Id), Order::Desc)
        .to_owned();
    let statement = db.get_database_backend().build(&outer);
    let rows = reviews::Model::find_by_statement(statement).all(db).await?;
    let mut pages: HashMap<Uuid, Vec<reviews::Model>> = HashMap::new();
    for row in rows {
        pages.entry(row.product_id).or_default().push(row);
    }
    Ok(pages)
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
