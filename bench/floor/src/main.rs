//! The floor under Q1: async-graphql answering Q1 from rows held in memory.
//!
//! It loads Q1's rows from the benchmark database once, at start-up. Each
//! request then does what Tollgate's Q1 does minus everything else:
//!
//! - it copies the rows a query would return;
//! - it fills per-request maps as Tollgate's primed loaders are filled;
//! - nested fields look their rows up in those maps.
//!
//! For the fields Q1 selects it has the same object types, field types and
//! serial field resolution, and the same HTTP stack: axum, gzip at the
//! fastest level, mimalloc.
//!
//! What it leaves out is what Tollgate adds:
//! - SQL;
//! - authentication, guards and cost limits;
//! - the document cache;
//! - statement counting.
//!
//! Its CPU per request is thus the floor the issue quotes for async-graphql
//! with primed loaders and no database, measured on this machine in the
//! same run (`bench/bench.py --peers`).
//!
//! Settings: `DATABASE_URL` (the seeded benchmark database) and `BIND_ADDR`.

use std::{
    collections::HashMap,
    sync::{Arc, PoisonError, RwLock},
};

use async_graphql::{Context, EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{
    Router,
    extract::State,
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use entity::{order_items, orders, products, users};
use sea_orm::{ColumnTrait, Database, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tower_http::{CompressionLevel, compression::CompressionLayer};
use uuid::Uuid;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Q1's page size.
const PAGE: u64 = 50;

/// The rows Q1 reads, loaded once.
struct Rows {
    orders: Vec<orders::Model>,
    users: Vec<users::Profile>,
    items: Vec<order_items::Model>,
    products: Vec<products::Model>,
}

impl Rows {
    /// The most recent orders and everything they point at, read as
    /// Tollgate's list and loaders read them.
    async fn load(url: &str) -> anyhow::Result<Self> {
        let db = Database::connect(url).await?;
        let orders = orders::Entity::find()
            .order_by_desc(orders::Column::CreatedAt)
            .order_by_desc(orders::Column::Id)
            .limit(PAGE)
            .all(&db)
            .await?;
        let users = users::Entity::find()
            .filter(users::Column::Id.is_in(orders.iter().map(|o| o.user_id)))
            .into_partial_model::<users::Profile>()
            .all(&db)
            .await?;
        let items = order_items::Entity::find()
            .filter(order_items::Column::OrderId.is_in(orders.iter().map(|o| o.id)))
            .order_by_asc(order_items::Column::Id)
            .all(&db)
            .await?;
        let products = products::Entity::find()
            .filter(products::Column::Id.is_in(items.iter().map(|i| i.product_id)))
            .all(&db)
            .await?;
        Ok(Self {
            orders,
            users,
            items,
            products,
        })
    }
}

/// One request's primed loaders: rows by id, as Tollgate's `ById`.
#[derive(Default)]
struct Primed {
    users: RwLock<HashMap<Uuid, Arc<users::Profile>>>,
    items: RwLock<HashMap<Uuid, Vec<order_items::Model>>>,
    products: RwLock<HashMap<Uuid, Arc<products::Model>>>,
}

impl Primed {
    /// Copies the rows the priming queries would return into the maps
    /// (users and products shared, as Tollgate's loaders hold them).
    fn fill(&self, rows: &Rows) {
        let mut items: HashMap<Uuid, Vec<order_items::Model>> = HashMap::new();
        for item in &rows.items {
            items.entry(item.order_id).or_default().push(item.clone());
        }
        *self.items.write().unwrap_or_else(PoisonError::into_inner) = items;
        self.users
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(rows.users.iter().map(|u| (u.id, Arc::new(u.clone()))));
        self.products
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(rows.products.iter().map(|p| (p.id, Arc::new(p.clone()))));
    }
}

/// The row `id` of a primed map.
fn find<T: Clone>(map: &RwLock<HashMap<Uuid, T>>, id: Uuid) -> async_graphql::Result<T> {
    map.read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&id)
        .cloned()
        .ok_or_else(|| "not primed".into())
}

fn cents(value: i64) -> async_graphql::Result<i32> {
    i32::try_from(value).map_err(|_| "amount out of range".into())
}

struct Query;

#[Object]
impl Query {
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<OrderConnection> {
        let (rows, primed) = (ctx.data::<Rows>()?, ctx.data::<Primed>()?);
        // The rows held are Q1's page; a larger page is not served.
        let first = usize::try_from(first.unwrap_or(20).clamp(1, PAGE as i32))?;
        let edges = rows.orders.iter().take(first);
        let edges = edges
            .map(|o| OrderEdge {
                node: Order(o.clone()),
            })
            .collect();
        primed.fill(rows);
        Ok(OrderConnection { edges })
    }
}

#[derive(SimpleObject)]
struct OrderConnection {
    edges: Vec<OrderEdge>,
}

#[derive(SimpleObject)]
#[graphql(serial)]
struct OrderEdge {
    node: Order,
}

struct Order(orders::Model);

#[Object(serial)]
impl Order {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn status(&self) -> orders::OrderStatus {
        self.0.status
    }

    async fn total_cents(&self) -> async_graphql::Result<i32> {
        cents(self.0.total_cents)
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User(find(&ctx.data::<Primed>()?.users, self.0.user_id)?))
    }

    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OrderItem>> {
        let items = find(&ctx.data::<Primed>()?.items, self.0.id).unwrap_or_default();
        Ok(items.into_iter().map(OrderItem).collect())
    }
}

struct User(Arc<users::Profile>);

#[Object(serial)]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    async fn email(&self) -> Option<&str> {
        Some(&self.0.email)
    }
}

struct OrderItem(order_items::Model);

#[Object(serial)]
impl OrderItem {
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }

    async fn unit_price_cents(&self) -> async_graphql::Result<i32> {
        cents(self.0.unit_price_cents)
    }

    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Product> {
        Ok(Product(find(
            &ctx.data::<Primed>()?.products,
            self.0.product_id,
        )?))
    }
}

struct Product(Arc<products::Model>);

#[Object(serial)]
impl Product {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn sku(&self) -> &str {
        &self.0.sku
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn price_cents(&self) -> async_graphql::Result<i32> {
        cents(self.0.price_cents)
    }
}

type FloorSchema = Schema<Query, EmptyMutation, EmptySubscription>;

async fn graphql(State(schema): State<FloorSchema>, request: GraphQLRequest) -> GraphQLResponse {
    let request = request.into_inner().data(Primed::default());
    schema.execute(request).await.into()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL")?;
    let bind = std::env::var("BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:8081".to_owned());
    let rows = Rows::load(&url).await?;
    let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
        .data(rows)
        .finish();
    let app = Router::new()
        .route("/graphql", post(graphql))
        .route("/healthz", get(|| async { "ok" }))
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        .with_state(schema);
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
