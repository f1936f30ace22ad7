//! `serve` as an operator starts it: what it seeds.

use entity::{products, users};
use sea_orm::{Database, EntityTrait, PaginatorTrait};

use crate::{
    binary::{Server, stderr, tollgate},
    helpers::TestDatabase,
};

const SECRET: &str = "a production secret of more than 32 bytes";
const FIRST_PRODUCT: &str = "{ products(first: 1) { edges { node { sku } } } }";
const NO_PRODUCTS: &str = r#""edges":[]"#;

/// The number of users and of products.
async fn counts(url: &str) -> (u64, u64) {
    let db = Database::connect(url).await.unwrap();
    let users = users::Entity::find().count(&db).await.unwrap();
    let products = products::Entity::find().count(&db).await.unwrap();
    db.close().await.unwrap();
    (users, products)
}

fn succeeds(args: &[&str], envs: &[(&str, &str)]) {
    let output = tollgate(args, envs, None);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
}

fn start(envs: &[(&str, &str)]) -> Server {
    Server::start(envs).unwrap_or_else(|stderr| panic!("serve stopped: {stderr}"))
}

#[tokio::test]
async fn production_never_seeds_an_empty_database() {
    let database = TestDatabase::create().await;
    let url = database.url.as_str();
    succeeds(&["migrate"], &[("DATABASE_URL", url)]);

    let server = start(&[
        ("DATABASE_URL", url),
        ("TOLLGATE_ENV", "production"),
        ("JWT_SECRET", SECRET),
    ]);
    let response = server.query(FIRST_PRODUCT);
    drop(server);

    assert!(response.contains(NO_PRODUCTS), "{response}");
    assert_eq!(counts(url).await, (0, 0));
}

#[tokio::test]
async fn development_seeds_the_demo_catalog_into_a_database_without_users_or_products() {
    let database = TestDatabase::create().await;
    let url = database.url.as_str();

    let server = start(&[("DATABASE_URL", url)]);
    let response = server.query(FIRST_PRODUCT);
    drop(server);

    assert!(response.contains(r#""sku":"TG-"#), "{response}");
    assert_eq!(counts(url).await, (20, 60));
}

#[tokio::test]
async fn serve_after_create_admin_starts_and_seeds_nothing() {
    let database = TestDatabase::create().await;
    let url = database.url.as_str();
    let env = [("DATABASE_URL", url)];
    succeeds(&["migrate"], &env);
    succeeds(
        &[
            "create-admin",
            "--email",
            "boss@example.com",
            "--password",
            "a long enough password",
        ],
        &env,
    );

    let server = start(&env);
    let response = server.query(FIRST_PRODUCT);
    drop(server);

    assert!(response.contains(NO_PRODUCTS), "{response}");
    assert_eq!(counts(url).await, (1, 0));
}
