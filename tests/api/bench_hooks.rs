//! The benchmark's hooks (`POST /bench/baseline`, `x-sql-statements`,
//! `GUARDRAILS=false`) exist only in builds with the `bench` feature. The
//! build these tests run by default is the one that ships: its settings are
//! unknown there and change nothing. `cargo test --features bench --test api
//! bench_hooks::` checks that they work where they are built.

/// An operation three levels deep (`products`, `edges`, `node`, `sku`).
const DEEP: &str = "{ products(first: 1) { edges { node { sku } } } }";

#[cfg(not(feature = "bench"))]
mod without_the_feature {
    use super::DEEP;
    use crate::{
        binary::{Server, stderr, tollgate},
        helpers::TestDatabase,
    };

    const SETTINGS: [&str; 3] = ["EXPOSE_SQL_COUNT", "BENCH_BASELINE_BYTES", "GUARDRAILS"];

    #[test]
    fn help_names_none_of_the_benchmark_settings() {
        let output = tollgate(&["serve", "--help"], &[], None);
        assert!(output.status.success(), "{}", stderr(&output));
        let help = String::from_utf8(output.stdout).unwrap();

        for setting in SETTINGS {
            assert!(!help.contains(setting), "--help lists {setting}");
        }
    }

    #[tokio::test]
    async fn the_benchmark_settings_change_nothing() {
        let database = TestDatabase::create().await;
        let server = Server::start(&[
            ("DATABASE_URL", &database.url),
            ("EXPOSE_SQL_COUNT", "true"),
            ("BENCH_BASELINE_BYTES", "64"),
            ("GUARDRAILS", "false"),
            ("MAX_DEPTH", "2"),
        ])
        .unwrap_or_else(|stderr| panic!("serve stopped: {stderr}"));

        let baseline = server.get("/bench/baseline");
        let plain = server.query("{ __typename }");
        let deep = server.query(DEEP);

        assert!(baseline.starts_with("HTTP/1.1 404"), "{baseline}");
        assert!(plain.starts_with("HTTP/1.1 200"), "{plain}");
        assert!(
            !plain.to_ascii_lowercase().contains("x-sql-statements"),
            "{plain}"
        );
        assert!(deep.contains(r#""code":"QUERY_TOO_COMPLEX""#), "{deep}");
    }
}

#[cfg(feature = "bench")]
mod with_the_feature {
    use axum::{
        body::Body,
        http::{Request, StatusCode},
    };
    use serde_json::json;
    use tollgate::{Config, config::ConfigArgs};

    use super::DEEP;
    use crate::helpers::TestApp;

    #[tokio::test]
    async fn the_hooks_work_when_switched_on() {
        let app = TestApp::with(|args| {
            args.bench.expose_sql_count = Some("true".into());
            args.bench.bench_baseline_bytes = Some("64".into());
            args.bench.guardrails = Some("false".into());
            args.max_depth = Some("2".into());
        })
        .await;

        let baseline = app
            .request(
                Request::post("/bench/baseline")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        let deep = app.graphql(DEEP, json!({})).await;

        assert_eq!(baseline.status, StatusCode::OK);
        assert!(baseline.json()["data"]["padding"].is_string());
        assert_eq!(
            deep.json(),
            json!({ "data": { "products": { "edges": [] } } })
        );
        assert_eq!(
            deep.header("x-sql-statements"),
            Some(deep.statements().to_string().as_str())
        );
    }

    #[test]
    fn production_keeps_the_guardrails() {
        let mut args = ConfigArgs {
            environment: Some("production".into()),
            jwt_secret: Some("x".repeat(32)),
            ..ConfigArgs::default()
        };
        args.bench.guardrails = Some("false".into());

        let error = Config::from_args(&args).unwrap_err();

        assert_eq!(error.variable, "GUARDRAILS");
    }
}
