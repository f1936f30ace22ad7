//! Catalog queries.

use std::sync::Arc;

use entity::products;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};
use uuid::Uuid;

use super::{ProductFilter, ProductOrder};
use crate::{
    auth::Viewer,
    cache::EntityCache,
    db::{self, keyset},
    error::{AppError, Result},
    graphql::ids::no_nul,
    paging::{Cursor, PageArgs},
};

pub const SEARCH_MAX_CHARS: usize = 100;

impl ProductOrder {
    /// Cursor tag of a listing in this order.
    pub fn cursor_tag(self) -> &'static str {
        match self {
            Self::Newest => "pn",
            Self::PriceAsc => "pa",
            Self::PriceDesc => "pd",
        }
    }

    /// The cursor of `row` in this order.
    pub fn cursor(self, row: &products::Model) -> Cursor {
        match self {
            Self::Newest => Cursor::from_time(row.created_at, row.id),
            Self::PriceAsc | Self::PriceDesc => Cursor {
                key: row.price_cents,
                id: row.id,
            },
        }
    }
}

/// A product by id, if the viewer may see it (inactive ones are for staff).
#[tracing::instrument(level = "debug", skip(db, entities))]
pub async fn find_visible(
    db: &impl ConnectionTrait,
    entities: &EntityCache,
    viewer: &Viewer,
    id: Uuid,
) -> Result<Option<Arc<products::Model>>> {
    let load = || products::Entity::find_by_id(id).one(db);
    let product = entities.product(id, load).await?;
    Ok(product.filter(|p| p.active || viewer.is_staff()))
}

/// One page (plus one row, to tell whether more follow) of the products the
/// viewer may see, filtered and ordered.
#[tracing::instrument(level = "debug", skip(db))]
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &ProductFilter,
    order: ProductOrder,
    page: &PageArgs,
) -> Result<Vec<products::Model>> {
    use products::Column as C;
    let active = if viewer.is_staff() {
        filter.active
    } else {
        Some(true)
    };
    let mut query = products::Entity::find();
    if let Some(active) = active {
        query = query.filter(C::Active.eq(active));
    }
    if let Some(search) = filter.search.as_deref() {
        query = query.filter(search_condition(search)?);
    }
    if let Some(after) = page.after {
        query = query.filter(match order {
            ProductOrder::Newest => {
                keyset::after(C::CreatedAt, C::Id, after.time()?, after.id, true)
            }
            ProductOrder::PriceAsc => {
                keyset::after(C::PriceCents, C::Id, after.key, after.id, false)
            }
            ProductOrder::PriceDesc => {
                keyset::after(C::PriceCents, C::Id, after.key, after.id, true)
            }
        });
    }
    let query = match order {
        ProductOrder::Newest => query
            .order_by(C::CreatedAt, Order::Desc)
            .order_by(C::Id, Order::Desc),
        ProductOrder::PriceAsc => query
            .order_by(C::PriceCents, Order::Asc)
            .order_by(C::Id, Order::Asc),
        ProductOrder::PriceDesc => query
            .order_by(C::PriceCents, Order::Desc)
            .order_by(C::Id, Order::Desc),
    };
    Ok(db::rows(query.limit(page.fetch_limit()), db).await?)
}

/// Case-insensitive substring match on name or sku, with `%`, `_` and `\`
/// taken literally.
fn search_condition(search: &str) -> Result<Condition> {
    if search.chars().count() > SEARCH_MAX_CHARS {
        return Err(AppError::bad_input(
            "filter.search",
            format!("search must be at most {SEARCH_MAX_CHARS} characters"),
        ));
    }
    no_nul(search, "filter.search")?;
    let mut pattern = String::with_capacity(search.len() + 2);
    pattern.push('%');
    for c in search.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    let like = |column: products::Column| {
        Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(pattern.clone()).escape('\\'))
    };
    Ok(Condition::any()
        .add(like(products::Column::Name))
        .add(like(products::Column::Sku)))
}
