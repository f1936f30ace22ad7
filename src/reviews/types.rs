//! The GraphQL types of reviews: `Review` and the input of `addReview`.

use async_graphql::{Context, ID, InputObject, Object, ResultExt};
use chrono::{DateTime, Utc};
use entity::reviews;

use crate::{accounts::User, catalog::Product, graphql::Loaders};

/// A customer's review of a product.
pub struct Review(pub reviews::Model);

/// A customer's review of a product.
#[Object(serial)]
impl Review {
    /// Unique id of the review.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Rating from 1 (poor) to 5 (excellent).
    async fn rating(&self) -> i32 {
        i32::from(self.0.rating)
    }

    /// The review's text.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// When the review was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Who wrote the review.
    async fn author(&self) -> User {
        User::author(self.0.author_id, self.0.author_name.clone())
    }

    /// The product reviewed; resolves whatever the product's status.
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Product> {
        let loaders = ctx.data::<Loaders>()?;
        let product = loaders
            .products
            .one(self.0.product_id, "product")
            .await
            .extend()?;
        Ok(Product::new(product))
    }
}

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
