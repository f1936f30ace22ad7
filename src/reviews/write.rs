//! Writing reviews: one per author and product.

use async_graphql::{Context, ID, InputObject, Object, ResultExt};
use chrono::{SubsecRound, Utc};
use entity::{products, reviews};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use uuid::Uuid;

use super::Review;
use crate::{
    auth::SignedIn,
    cache::Change,
    error::{AppError, OnConflict, Result},
    graphql::{
        RequestMeta,
        ids::{no_nul, parse_id},
    },
    state::AppState,
};

pub const MAX_BODY_CHARS: usize = 2_000;

/// A review of a product.
#[derive(InputObject, Clone, Debug)]
pub struct AddReviewInput {
    /// The product reviewed.
    pub product_id: ID,
    /// 1 (poor) to 5 (excellent).
    pub rating: i32,
    /// 1 to 2,000 characters.
    pub body: String,
}

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
    let review = reviews::ActiveModel {
        id: Set(Uuid::now_v7()),
        product_id: Set(product_id),
        author_id: Set(author_id),
        rating: Set(rating),
        body: Set(body.to_owned()),
        created_at: Set(Utc::now().trunc_subsecs(6)),
    }
    .insert(&state.db)
    .await
    .on_unique_violation("input.productId", "you have reviewed this product already")?;
    state.caches.changed(Change::Reviews { product_id }).await;
    Ok(review)
}

#[derive(Default)]
pub struct ReviewsMutation;

#[Object]
impl ReviewsMutation {
    /// Reviews a product, once per user and product.
    #[graphql(guard = "SignedIn")]
    async fn add_review(
        &self,
        ctx: &Context<'_>,
        input: AddReviewInput,
    ) -> async_graphql::Result<Review> {
        let (state, meta) = (ctx.data::<AppState>()?, ctx.data::<RequestMeta>()?);
        let author = meta
            .viewer
            .user_id()
            .ok_or(AppError::NotFound("user"))
            .extend()?;
        Ok(Review(add(state, author, &input).await.extend()?))
    }
}
