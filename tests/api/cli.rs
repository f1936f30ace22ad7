//! The `tollgate` binary: subcommands and start-up failures.

use entity::users;
use sea_orm::{ColumnTrait, Database, EntityTrait, QueryFilter};

use crate::binary::{assert_fails_naming, stderr, tollgate};

#[test]
fn schema_prints_the_committed_sdl() {
    let output = tollgate(&["schema"], &[], None);
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        tollgate::graphql::sdl()
    );
}

#[test]
fn bad_configuration_stops_start_up_with_one_line_naming_the_variable() {
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("BIND_ADDR", "nowhere")], "BIND_ADDR"),
        (&[("TOLLGATE_ENV", "production")], "JWT_SECRET"),
        (&[("DATABASE_URL", "mysql://localhost/x")], "DATABASE_URL"),
        (
            &[("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none")],
            "DATABASE_URL",
        ),
    ];
    for (envs, variable) in cases {
        assert_fails_naming(&tollgate(&["migrate"], envs, None), variable);
    }
}

#[tokio::test]
async fn migrate_is_idempotent_and_create_admin_creates_then_promotes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let env = [("DATABASE_URL", url.as_str())];
    for _ in 0..2 {
        let output = tollgate(&["migrate"], &env, None);
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let output = tollgate(
        &["create-admin", "--email", "Boss@Example.com"],
        &env,
        Some("a long enough password\n"),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let output = tollgate(
        &[
            "create-admin",
            "--email",
            "boss@example.com",
            "--password",
            "another good password",
            "--role",
            "STAFF",
        ],
        &env,
        None,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("promoted"));
    let db = Database::connect(&url).await.unwrap();
    let boss = users::Entity::find()
        .filter(users::Column::Email.eq("boss@example.com"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(boss.len(), 1);
    assert_eq!(boss[0].role, users::Role::Staff);
    assert!(boss[0].password_hash.starts_with("$argon2id$"));

    let short = tollgate(
        &[
            "create-admin",
            "--email",
            "x@example.com",
            "--password",
            "short",
        ],
        &env,
        None,
    );
    assert!(!short.status.success());
    assert!(stderr(&short).contains("password"));
}

#[tokio::test]
async fn seed_loads_the_demo_catalog_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("seed.db").display());
    let env = [("DATABASE_URL", url.as_str())];
    let output = tollgate(&["seed"], &env, None);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("60 products"));
    let again = tollgate(&["seed"], &env, None);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("already"));
}
