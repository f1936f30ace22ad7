//! `TestApp`: the router on its own database, with typed request helpers.

use std::{
    future::Future,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Body,
    extract::connect_info::MockConnectInfo,
    http::{HeaderMap, Request, StatusCode, header},
};
use futures_util::{StreamExt, stream::BoxStream};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, Database, EntityTrait};
use serde_json::{Value, json};
use tollgate::{
    AppState, Application, Config,
    accounts::{
        input::{Email, Password},
        service::create_or_promote,
    },
    app::{Http, router},
    auth::Role,
    config::ConfigArgs,
    db,
    events::{Event, EventBus},
    seed,
};
use tower::ServiceExt;
use uuid::Uuid;

/// The secret test apps sign access tokens with.
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret!";

/// A running application on a database of its own, dropped with it.
pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    database_url: String,
    /// The subscriptions listening to this app's events.
    listeners: Listeners,
    _database: Option<TestDatabase>,
}

/// A signed-in test user.
pub struct Session {
    pub user_id: String,
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
}

/// A password that passes every rule.
pub const PASSWORD: &str = "violet staircase umbrella";

const AUTH_FIELDS: &str = "accessToken refreshToken expiresIn user { id email role }";

/// A response as a client sees it.
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The SQL statements the request ran, as the server counted them, if
    /// it ran any operation.
    pub statements: Option<u64>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The number of SQL statements the request ran, if it ran any query.
    pub fn statements_or_none(&self) -> Option<u64> {
        self.statements
    }

    /// The number of SQL statements the request ran.
    pub fn statements(&self) -> u64 {
        self.statements.expect("a statement count")
    }
}

impl TestApp {
    /// An empty, migrated database.
    pub async fn spawn() -> Self {
        Self::with(|_| {}).await
    }

    /// An empty database, with settings adjusted by `configure`.
    pub async fn with(configure: impl FnOnce(&mut ConfigArgs)) -> Self {
        let database = TestDatabase::create().await;
        let mut app = Self::on(&database.url, configure).await;
        app._database = Some(database);
        app
    }

    /// An empty PostgreSQL database, whatever TEST_DATABASE_URL says, with
    /// settings adjusted by `configure`: for several instances on one database.
    pub async fn on_postgres(configure: impl FnOnce(&mut ConfigArgs)) -> Self {
        let database = TestDatabase::postgres().await;
        let mut app = Self::on(&database.url, configure).await;
        app._database = Some(database);
        app
    }

    /// GET /readyz: the status and the body.
    pub async fn readyz(&self) -> (StatusCode, Value) {
        let response = self
            .request(Request::get("/readyz").body(Body::empty()).unwrap())
            .await;
        (response.status, response.json())
    }

    /// Another instance on this app's database, configured anew.
    pub async fn sibling(&self, configure: impl FnOnce(&mut ConfigArgs)) -> Self {
        Self::on(&self.database_url, configure).await
    }

    /// Another instance on this app's database, reached through `url`
    /// (a proxy in front of the same server), configured anew.
    pub async fn sibling_at(&self, url: &str, configure: impl FnOnce(&mut ConfigArgs)) -> Self {
        Self::on(url, configure).await
    }

    /// The URL of this app's database, for a server process of its own.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    fn config_on(database_url: &str, configure: impl FnOnce(&mut ConfigArgs)) -> Config {
        let mut args = ConfigArgs {
            database_url: Some(database_url.to_owned()),
            db_max_connections: Some("5".into()),
            // The router runs in the test's runtime: one pool of 5.
            workers: Some("1".into()),
            jwt_secret: Some(JWT_SECRET.into()),
            // Tests share one client address: budgets and rate limits have
            // their own tests.
            cost_bucket_size: Some("1000000000".into()),
            cost_restore_rate: Some("1000000".into()),
            rate_limit_rps: Some("100000".into()),
            rate_limit_burst: Some("100000".into()),
            ..ConfigArgs::default()
        };
        configure(&mut args);
        Config::from_args(&args).unwrap()
    }

    async fn on(database_url: &str, configure: impl FnOnce(&mut ConfigArgs)) -> Self {
        let config = Self::config_on(database_url, configure);
        let conn = db::connect(&config).await.unwrap();
        db::migrate(&conn).await.unwrap();
        let mut state = AppState::new(conn, config).unwrap();
        let listeners = Listeners::default();
        state.events = Arc::new(CountedBus {
            inner: state.events.clone(),
            listeners: listeners.clone(),
        });
        let peer = SocketAddr::from(([127, 0, 0, 1], 40_000));
        Self {
            router: router(Http::new(state.clone())).layer(MockConnectInfo(peer)),
            state,
            database_url: database_url.to_owned(),
            listeners,
            _database: None,
        }
    }

    /// The deterministic demo dataset, with the entity and response caches
    /// off: every read reaches the database (for statement counts).
    pub async fn seeded_uncached() -> Self {
        Self::seeded_with(|args| {
            args.entity_cache = Some("false".into());
            args.response_cache = Some("false".into());
        })
        .await
    }

    /// The deterministic demo dataset.
    pub async fn seeded() -> Self {
        Self::seeded_with(|_| {}).await
    }

    /// The deterministic demo dataset, with settings adjusted by `configure`.
    pub async fn seeded_with(configure: impl FnOnce(&mut ConfigArgs)) -> Self {
        let app = Self::with(configure).await;
        seed::seed(&app.state.db, &app.state.passwords, seed::Size::Demo)
            .await
            .unwrap();
        app
    }

    pub async fn request(&self, request: Request<Body>) -> TestResponse {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let statements = response
            .extensions()
            .get::<db::StatementCount>()
            .map(|count| count.0);
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        TestResponse {
            status,
            headers,
            body,
            statements,
        }
    }

    /// POSTs a JSON body to /graphql.
    pub async fn post_json(&self, body: &Value) -> TestResponse {
        self.request(
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    /// Runs one operation and returns the response, which must be HTTP 200.
    pub async fn graphql(&self, query: &str, variables: Value) -> TestResponse {
        self.graphql_as(None, query, variables).await
    }

    /// Runs one operation with a bearer token; the response must be HTTP 200.
    pub async fn graphql_as(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> TestResponse {
        let response = self.send(token, &[], query, variables).await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&response.body)
        );
        response
    }

    /// Runs one operation with a token and extra headers, whatever the status.
    pub async fn send(
        &self,
        token: Option<&str>,
        headers: &[(&str, &str)],
        query: &str,
        variables: Value,
    ) -> TestResponse {
        let mut request =
            Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = json!({ "query": query, "variables": variables }).to_string();
        self.request(request.body(Body::from(body)).unwrap()).await
    }

    /// Registers a customer and returns their session.
    pub async fn register(&self, email: &str) -> Session {
        let body = self
            .graphql(
                &format!("mutation($input: RegisterInput!) {{ register(input: $input) {{ {AUTH_FIELDS} }} }}"),
                json!({ "input": { "email": email, "password": PASSWORD, "displayName": "Test User" } }),
            )
            .await
            .json();
        session(&body["data"]["register"]).unwrap_or_else(|| panic!("register failed: {body}"))
    }

    /// Signs in; `None` when refused.
    pub async fn login(&self, email: &str, password: &str) -> Option<Session> {
        let body = self.login_response(email, password, &[]).await.json();
        session(&body["data"]["login"])
    }

    /// The raw response to a login attempt.
    pub async fn login_response(
        &self,
        email: &str,
        password: &str,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        self.send(
            None,
            headers,
            &format!(
                "mutation($input: LoginInput!) {{ login(input: $input) {{ {AUTH_FIELDS} }} }}"
            ),
            json!({ "input": { "email": email, "password": password } }),
        )
        .await
    }

    /// Exchanges a refresh token; the raw body.
    pub async fn refresh(&self, refresh_token: &str) -> Value {
        self.graphql(
            &format!(
                "mutation($t: String!) {{ refreshToken(refreshToken: $t) {{ {AUTH_FIELDS} }} }}"
            ),
            json!({ "t": refresh_token }),
        )
        .await
        .json()
    }

    /// A signed-in user with `role` (created as the CLI would).
    pub async fn user_with_role(&self, email: &str, role: Role) -> Session {
        create_or_promote(
            &self.state.db,
            &self.state.passwords,
            &Email::parse(email, "email").unwrap(),
            Password::parse(PASSWORD, "password").unwrap(),
            role,
        )
        .await
        .unwrap();
        self.login(email, PASSWORD).await.expect("login")
    }

    /// Serves the app on a real socket as the binary does (for WebSocket
    /// and raw HTTP clients); the server drains when `state.shutdown` begins,
    /// and stops with the test's runtime.
    pub async fn serve(&self) -> SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = Application::on_listener(listener, self.state.clone());
        tokio::spawn(server.run_until(std::future::pending()));
        addr
    }

    /// Waits until `count` subscriptions listen to this app's events (a
    /// subscription listens once its resolver has run), so that an event
    /// caused next reaches them.
    pub async fn listening(&self, count: usize) {
        let listeners = &self.listeners;
        let heard = until(Duration::from_secs(5), || async {
            listeners.count() == count
        })
        .await;
        assert!(
            heard.is_some(),
            "{} subscriptions listen, not {count}",
            listeners.count()
        );
    }

    /// Creates an active product as `staff` and returns its id.
    pub async fn create_product(
        &self,
        staff: &Session,
        sku: &str,
        price_cents: i64,
        stock: i64,
    ) -> String {
        let body = self
            .graphql_as(
                Some(&staff.access_token),
                "mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }",
                json!({ "input": {
                    "sku": sku, "name": format!("Product {sku}"), "priceCents": price_cents,
                    "currency": "EUR", "stock": stock
                } }),
            )
            .await
            .json();
        body["data"]["createProduct"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createProduct failed: {body}"))
            .to_owned()
    }

    /// Places an order of `(product id, quantity)` lines; the raw body.
    pub async fn place_order(&self, customer: &Session, lines: &[(&str, i64)]) -> Value {
        let items: Vec<Value> = lines
            .iter()
            .map(|(id, quantity)| json!({ "productId": id, "quantity": quantity }))
            .collect();
        self.graphql_as(
            Some(&customer.access_token),
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status totalCents items { quantity unitPriceCents product { id } } } }",
            json!({ "input": { "items": items } }),
        )
        .await
        .json()
    }

    /// Pays an order with `key`; the raw body.
    pub async fn pay(&self, customer: &Session, order_id: &str, key: &str) -> Value {
        self.graphql_as(
            Some(&customer.access_token),
            "mutation($input: PayOrderInput!) { payOrder(input: $input) { id status amountCents order { id status } } }",
            json!({ "input": { "orderId": order_id, "idempotencyKey": key } }),
        )
        .await
        .json()
    }

    /// The stock of a product, read from the database.
    pub async fn stock(&self, product_id: &str) -> i32 {
        let id: Uuid = product_id.parse().unwrap();
        entity::products::Entity::find_by_id(id)
            .one(&self.state.db)
            .await
            .unwrap()
            .unwrap()
            .stock
    }

    /// Runs one operation as `session` that must succeed and returns its `data`.
    pub async fn data_as(&self, session: &Session, query: &str) -> Value {
        let body = self
            .graphql_as(Some(&session.access_token), query, json!({}))
            .await
            .json();
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// The id of the newest product a visitor sees.
    pub async fn newest_product_id(&self) -> Value {
        let data = self
            .data(
                "{ products(first: 1) { edges { node { id } } } }",
                json!({}),
            )
            .await;
        data["products"]["edges"][0]["node"]["id"].clone()
    }

    /// Runs one operation that must succeed and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await.json();
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }
}

/// The session in an `AuthPayload`, if the value is one.
pub fn session(payload: &Value) -> Option<Session> {
    Some(Session {
        user_id: payload["user"]["id"].as_str()?.to_owned(),
        email: payload["user"]["email"].as_str()?.to_owned(),
        access_token: payload["accessToken"].as_str()?.to_owned(),
        refresh_token: payload["refreshToken"].as_str()?.to_owned(),
    })
}

/// Polls `condition` until it holds (how long that took) or `deadline` passes.
pub async fn until<F, Fut>(deadline: Duration, mut condition: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if condition().await {
            return Some(start.elapsed());
        }
        if start.elapsed() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The number of subscriptions listening to an event bus.
#[derive(Clone, Default)]
struct Listeners(Arc<AtomicUsize>);

impl Listeners {
    fn count(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }
}

/// One listening subscription, counted until its stream drops.
struct Listening(Listeners);

impl Drop for Listening {
    fn drop(&mut self) {
        (self.0).0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A test app's event bus: the app's own, counting who listens, so that a
/// test waits for a subscription to be in place instead of sleeping.
struct CountedBus {
    inner: Arc<dyn EventBus>,
    listeners: Listeners,
}

impl EventBus for CountedBus {
    fn publish(&self, event: Event) {
        self.inner.publish(event);
    }

    fn subscribe(&self) -> BoxStream<'static, Event> {
        self.listeners.0.fetch_add(1, Ordering::AcqRel);
        let listening = Listening(self.listeners.clone());
        self.inner
            .subscribe()
            .map(move |event| {
                let _listening = &listening;
                event
            })
            .boxed()
    }
}

/// The first error's `extensions.code`.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

/// A database for one test: a SQLite file in a temporary folder, or a fresh
/// PostgreSQL database when TEST_DATABASE_URL is set (dropped afterwards).
pub struct TestDatabase {
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

/// The PostgreSQL server of tests that need one whatever TEST_DATABASE_URL
/// says (several instances on one database).
const MACHINE_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

impl TestDatabase {
    pub async fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                Self::postgres_at(admin_url).await
            }
            _ => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                Self {
                    url,
                    postgres: None,
                    _dir: Some(dir),
                }
            }
        }
    }
}

impl TestDatabase {
    /// A fresh PostgreSQL database on TEST_DATABASE_URL's server when that
    /// is PostgreSQL, else on the machine's.
    pub async fn postgres() -> Self {
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|url| url.starts_with("postgres"))
            .unwrap_or_else(|| MACHINE_POSTGRES.to_owned());
        Self::postgres_at(admin_url).await
    }

    async fn postgres_at(admin_url: String) -> Self {
        let name = format!("tollgate_test_{}", Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL must be reachable at {admin_url}: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
        admin.close().await.unwrap();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        Self {
            url: format!("{base}/{name}"),
            postgres: Some((admin_url.clone(), name)),
            _dir: None,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime; use a runtime of our own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}
