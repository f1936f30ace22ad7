//! Review rules: adding one (one per author and product), and the average
//! ratings of products.

use std::collections::HashMap;

use chrono::{SubsecRound, Utc};
use entity::{products, reviews, users};
use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    sea_query::{Alias, Expr, ExprTrait, Func, Query},
};
use uuid::Uuid;

use super::AddReviewInput;
use crate::{
    cache::Change,
    error::{AppError, OnConflict, Result},
    graphql::ids::{no_nul, parse_id},
    state::AppState,
};

/// The longest review body, in characters.
pub const MAX_BODY_CHARS: usize = 2_000;

/// Adds the author's review of a product they have not reviewed yet.
#[tracing::instrument(level = "debug", skip(state, input))]
pub async fn add(
    state: &AppState,
    author_id: Uuid,
    input: &AddReviewInput,
) -> Result<reviews::Model> {
    let product_id = parse_id(&input.product_id, "input.productId")?;
    let rating = i16::try_from(input.rating)
        .ok()
        .filter(|r| (1..=5).contains(r))
        .ok_or_else(|| AppError::bad_input("input.rating", "rating must be 1 to 5"))?;
    let body = input.body.trim();
    if body.is_empty() || body.chars().count() > MAX_BODY_CHARS {
        return Err(AppError::bad_input(
            "input.body",
            format!("body must be 1 to {MAX_BODY_CHARS} characters"),
        ));
    }
    no_nul(body, "input.body")?;
    products::Entity::find_by_id(product_id)
        .one(&state.db)
        .await?
        .filter(|p| p.active)
        .ok_or_else(|| AppError::bad_input("input.productId", "no such product for sale"))?;
    let review = insert(
        &state.db,
        reviews::Model {
            id: Uuid::now_v7(),
            product_id,
            author_id,
            rating,
            body: body.to_owned(),
            created_at: Utc::now().trunc_subsecs(6),
            author_name: String::new(),
        },
    )
    .await
    .on_unique_violation("input.productId", "you have reviewed this product already")?
    .ok_or_else(|| AppError::Unauthenticated("the account no longer exists".into()))?;
    state.caches.changed(Change::Reviews { product_id }).await;
    Ok(review)
}

/// Inserts `review` with its author's display name, read from `users` by
/// the same statement (`INSERT … SELECT … RETURNING`); `None` when the
/// author has no account.
async fn insert(
    db: &impl ConnectionTrait,
    review: reviews::Model,
) -> Result<Option<reviews::Model>, DbErr> {
    use reviews::Column as C;
    let values = Query::select()
        .exprs([
            Expr::val(review.id),
            Expr::val(review.product_id),
            Expr::val(review.author_id),
            Expr::val(review.rating),
            Expr::val(review.body),
            Expr::val(review.created_at),
        ])
        .column(users::Column::DisplayName)
        .from(users::Entity)
        .and_where(Expr::col(users::Column::Id).eq(review.author_id))
        .to_owned();
    let insert = Query::insert()
        .into_table(reviews::Entity)
        .columns([
            C::Id,
            C::ProductId,
            C::AuthorId,
            C::Rating,
            C::Body,
            C::CreatedAt,
            C::AuthorName,
        ])
        .select_from(values)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .returning_all()
        .to_owned();
    reviews::Model::find_by_statement(db.get_database_backend().build(&insert))
        .one(db)
        .await
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
