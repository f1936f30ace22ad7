//! GraphQL types of the catalog.

use std::sync::{Arc, OnceLock};

use async_graphql::{Context, Enum, ID, InputObject, Object, ResultExt};
use chrono::{DateTime, Utc};
use entity::products;
use uuid::Uuid;

use crate::{
    error::AppError,
    graphql::{
        Loaders,
        ids::cents,
        loaders::many,
        paged::PageKey,
        pagination::{Connection, page_of},
    },
    paging::Cursor,
    reviews::{self, Review},
};

/// Something the shop sells.
pub struct Product {
    id: Uuid,
    known: Known,
}

/// What a `Product` holds of its row.
enum Known {
    /// The whole row.
    Row(Arc<products::Model>),
    /// An order line's summary; the row loads for the first field beyond it
    /// (primed when a list of orders selects one).
    Summary {
        summary: Arc<products::Summary>,
        row: OnceLock<Arc<products::Model>>,
    },
}

impl Product {
    pub fn new(row: Arc<products::Model>) -> Self {
        Self {
            id: row.id,
            known: Known::Row(row),
        }
    }

    /// The product `id` of an order line, as the line's summary shows it.
    pub fn summary(id: Uuid, summary: Arc<products::Summary>) -> Self {
        Self {
            id,
            known: Known::Summary {
                summary,
                row: OnceLock::new(),
            },
        }
    }

    /// A field of the summary, from the row when the product holds it.
    fn shown<T: ?Sized>(
        &self,
        row: fn(&products::Model) -> &T,
        summary: fn(&products::Summary) -> &T,
    ) -> &T {
        match &self.known {
            Known::Row(whole) => row(whole),
            Known::Summary { summary: held, .. } => summary(held),
        }
    }

    /// The whole row: held, or loaded by the first field that needs it.
    async fn row(&self, ctx: &Context<'_>) -> async_graphql::Result<&products::Model> {
        let row = match &self.known {
            Known::Row(row) => return Ok(row),
            Known::Summary { row, .. } => row,
        };
        if let Some(row) = row.get() {
            return Ok(row);
        }
        let loaders = ctx.data::<Loaders>()?;
        let loaded = loaders.products.one(self.id, "product").await.extend()?;
        Ok(row.get_or_init(|| loaded))
    }
}

impl From<products::Model> for Product {
    fn from(row: products::Model) -> Self {
        Self::new(Arc::new(row))
    }
}

/// Something the shop sells.
#[Object(serial)]
impl Product {
    /// Unique id of the product.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// Stock-keeping unit: unique, upper-case letters, digits and dashes.
    async fn sku(&self) -> &str {
        self.shown(|r| &r.sku, |s| &s.sku)
    }

    /// Name shown to shoppers.
    async fn name(&self) -> &str {
        self.shown(|r| &r.name, |s| &s.name)
    }

    /// Longer description; may be empty.
    async fn description(&self, ctx: &Context<'_>) -> async_graphql::Result<&str> {
        Ok(&self.row(ctx).await?.description)
    }

    /// Price in the smallest unit of `currency` (cents).
    async fn price_cents(&self) -> async_graphql::Result<i32> {
        cents(*self.shown(|r| &r.price_cents, |s| &s.price_cents)).extend()
    }

    /// ISO 4217 currency code, such as EUR.
    async fn currency(&self) -> &str {
        self.shown(|r| &r.currency, |s| &s.currency)
    }

    /// Units in stock; never negative.
    async fn stock(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        Ok(self.row(ctx).await?.stock)
    }

    /// Whether the product is for sale. Inactive products are visible to STAFF and ADMIN only.
    async fn active(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        Ok(self.row(ctx).await?.active)
    }

    /// When the product was created.
    async fn created_at(&self, ctx: &Context<'_>) -> async_graphql::Result<DateTime<Utc>> {
        Ok(self.row(ctx).await?.created_at)
    }

    /// The product's reviews, newest first.
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100; 20 when absent.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last review already seen.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Review>> {
        let page = page_of(ctx, first, after.as_deref(), reviews::CURSOR_TAG).extend()?;
        let key = PageKey {
            parent: self.id,
            page,
        };
        let loaders = ctx.data::<Loaders>()?;
        let rows = many(&loaders.reviews_by_product, key).await.extend()?;
        Ok(Connection::build(
            rows,
            &page,
            reviews::CURSOR_TAG,
            |r| Cursor::from_time(r.created_at, r.id),
            Review,
        ))
    }

    /// Mean rating of all reviews, from 1 to 5; null when there are none.
    async fn average_rating(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<f64>> {
        let loaders = ctx.data::<Loaders>()?;
        let rating = loaders
            .ratings
            .load_one(self.id)
            .await
            .map_err(AppError::from);
        Ok(rating.extend()?.flatten())
    }
}

/// Narrows a product listing.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ProductFilter {
    /// Case-insensitive substring of the name or sku (at most 100 characters;
    /// `%`, `_` and `\` match themselves).
    pub search: Option<String>,
    /// Only active (true) or inactive (false) products; honoured for STAFF and
    /// ADMIN, everyone else sees active products only.
    pub active: Option<bool>,
}

/// Order of a product listing.
#[derive(Enum, Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum ProductOrder {
    /// Newest first.
    #[default]
    Newest,
    /// Cheapest first.
    PriceAsc,
    /// Most expensive first.
    PriceDesc,
}

/// A new product.
#[derive(InputObject, Clone, Debug)]
pub struct CreateProductInput {
    /// Unique stock-keeping unit: 3 to 32 of A-Z, 0-9 and -.
    pub sku: String,
    /// 1 to 200 characters.
    pub name: String,
    /// At most 5,000 characters; empty when absent.
    pub description: Option<String>,
    /// 0 to 100,000,000 cents.
    pub price_cents: i32,
    /// ISO 4217 code, such as EUR.
    pub currency: String,
    /// Units in stock, zero or more.
    pub stock: i32,
}

/// Changes to a product; absent fields stay as they are.
#[derive(InputObject, Clone, Debug, Default)]
pub struct UpdateProductInput {
    /// 1 to 200 characters.
    pub name: Option<String>,
    /// At most 5,000 characters.
    pub description: Option<String>,
    /// 0 to 100,000,000 cents.
    pub price_cents: Option<i32>,
    /// Whether the product is for sale.
    pub active: Option<bool>,
}
