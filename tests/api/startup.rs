//! `serve` as an operator starts it: what it seeds, which SQLite files it
//! creates, and which configuration errors it names before touching the
//! database.

use std::{path::Path, process::Output};

use entity::{products, users};
use migration::{Migrator, MigratorTrait};
use sea_orm::{Database, EntityTrait, PaginatorTrait};

use crate::{
    binary::{Server, assert_fails_naming, stderr, tollgate, tollgate_in},
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

/// `migrate` on `url`, run in the folder `dir`.
fn migrate_in(dir: &Path, url: &str) -> Output {
    tollgate_in(Some(dir), &["migrate"], &[("DATABASE_URL", url)], None)
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

#[test]
fn a_missing_sqlite_file_is_created_with_its_folder_whatever_the_query_string() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("sqlite://data/app.db", "data/app.db"),
        ("sqlite:plain.db", "plain.db"),
        ("sqlite://shared.db?cache=shared", "shared.db"),
        ("sqlite://a/b/rw.db?mode=rw", "a/b/rw.db"),
        ("sqlite://rwc.db?mode=rwc", "rwc.db"),
    ];
    for (url, file) in cases {
        let output = migrate_in(dir.path(), url);
        assert!(output.status.success(), "{url}: {}", stderr(&output));
        assert!(dir.path().join(file).is_file(), "{url} made no {file}");
    }

    let served = dir.path().join("served/app.db");
    let url = format!("sqlite://{}", served.display());
    drop(start(&[("DATABASE_URL", &url)]));
    assert!(served.is_file());
}

#[test]
fn a_read_only_sqlite_url_never_creates_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = "sqlite://missing/ro.db?mode=ro";

    let output = migrate_in(dir.path(), url);

    assert_fails_naming(&output, "DATABASE_URL");
    assert!(!dir.path().join("missing").exists());
}

#[test]
fn in_memory_sqlite_urls_still_work_and_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = "sqlite::memory:";
    let output = migrate_in(dir.path(), url);
    assert!(output.status.success(), "{}", stderr(&output));
    let server = start(&[("DATABASE_URL", url)]);
    assert!(server.query(FIRST_PRODUCT).contains(r#""sku":"TG-"#));
    drop(server);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// Manifests `TRUSTED_DOCUMENTS=only` cannot start with: none, unreadable,
/// not JSON, and an entry whose key is not its document's hash.
fn bad_manifests(dir: &Path) -> [Option<String>; 4] {
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        Some(path.display().to_string())
    };
    [
        None,
        Some(dir.join("missing.json").display().to_string()),
        write("invalid.json", "not json"),
        write(
            "forged.json",
            &format!(r#"{{"{}": "{{ viewer {{ id }} }}"}}"#, "0".repeat(64)),
        ),
    ]
}

#[tokio::test]
async fn a_bad_trusted_documents_manifest_is_named_before_the_database_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create().await;
    let unreachable = "postgres://postgres@127.0.0.1:1/none";
    let production = [("TOLLGATE_ENV", "production"), ("JWT_SECRET", SECRET)];
    // Production with pending migrations, development (which would migrate),
    // and a database that does not answer.
    let settings: [(&str, &[(&str, &str)]); 3] = [
        (&database.url, &production),
        (&database.url, &[]),
        (unreachable, &[]),
    ];
    for manifest in bad_manifests(dir.path()) {
        for (url, extra) in settings {
            let mut envs = vec![("DATABASE_URL", url), ("TRUSTED_DOCUMENTS", "only")];
            envs.extend_from_slice(extra);
            if let Some(path) = &manifest {
                envs.push(("TRUSTED_DOCUMENTS_MANIFEST", path));
            }

            let output = tollgate(&["serve"], &envs, None);

            assert_fails_naming(&output, "TRUSTED_DOCUMENTS_MANIFEST");
        }
    }

    let db = Database::connect(&database.url).await.unwrap();
    let pending = Migrator::get_pending_migrations(&db).await.unwrap().len();
    assert_eq!(
        pending,
        Migrator::migrations().len(),
        "nothing was migrated"
    );
}
