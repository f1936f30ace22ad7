//! Review mutations of the GraphQL root.

use async_graphql::{Context, Object, ResultExt};

use super::{AddReviewInput, Review, service};
use crate::{auth::SignedIn, error::AppError, graphql::RequestMeta, state::AppState};

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
        Ok(Review(service::add(state, author, &input).await.extend()?))
    }
}
