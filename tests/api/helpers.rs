//! `TestApp`: the router on its own database, with typed request helpers.

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tollgate::{
    AppState, Config,
    app::{Http, router},
    config::ConfigArgs,
    db, seed,
};
use tower::ServiceExt;
use uuid::Uuid;

/// A running application on a database of its own, dropped with it.
pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    _database: TestDatabase,
}

/// A response as a client sees it.
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The number of SQL statements the request ran.
    pub fn statements(&self) -> u64 {
        self.header("x-sql-statements")
            .expect("statement count header")
            .parse()
            .unwrap()
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
        let mut args = ConfigArgs {
            database_url: Some(database.url.clone()),
            expose_sql_count: Some("true".into()),
            db_max_connections: Some("5".into()),
            ..ConfigArgs::default()
        };
        configure(&mut args);
        let config = Config::from_args(&args).unwrap();
        let conn = db::connect(&config).await.unwrap();
        db::migrate(&conn).await.unwrap();
        let state = AppState::new(conn, config);
        Self {
            router: router(Http::new(state.clone())),
            state,
            _database: database,
        }
    }

    /// The deterministic demo dataset.
    pub async fn seeded() -> Self {
        let app = Self::spawn().await;
        seed::seed(&app.state.db, &app.state.passwords, seed::Size::Demo)
            .await
            .unwrap();
        app
    }

    pub async fn request(&self, request: Request<Body>) -> TestResponse {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
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
        let response = self
            .post_json(&json!({ "query": query, "variables": variables }))
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&response.body)
        );
        response
    }

    /// Runs one operation that must succeed and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await.json();
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
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
struct TestDatabase {
    url: String,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    async fn create() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("tollgate_test_{}", Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("TEST_DATABASE_URL: PostgreSQL must be reachable");
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
