//! One test per attack: abusive documents, oversized requests, exhausted
//! budgets, schema discovery in production, untrusted documents, cross-site
//! requests, and errors that would leak internals.

use std::io::Write;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, error_code};

fn limit_of(body: &Value) -> (&str, u64, u64) {
    let extensions = &body["errors"][0]["extensions"];
    assert_eq!(extensions["code"], "QUERY_TOO_COMPLEX", "{body}");
    (
        extensions["limit"].as_str().unwrap(),
        extensions["max"].as_u64().unwrap(),
        extensions["found"].as_u64().unwrap(),
    )
}

/// `{ products { edges { node { reviews { … author { reviews { …` nested `levels` connections deep.
fn nested(levels: usize) -> String {
    let mut query = String::from("{ products { edges { node { id ");
    for _ in 0..levels {
        query.push_str("reviews { edges { node { author { ");
    }
    query.push_str("id ");
    for _ in 0..levels {
        query.push_str("} } } } ");
    }
    query.push_str("} } } }");
    query
}

async fn production(configure: impl FnOnce(&mut tollgate::config::ConfigArgs)) -> TestApp {
    TestApp::with(|args| {
        args.environment = Some("production".into());
        configure(args);
    })
    .await
}

#[tokio::test]
async fn a_query_fifty_levels_deep_is_refused_before_it_runs() {
    let app = TestApp::seeded().await;
    let mut query = String::from("{ products { edges { node { ");
    for _ in 0..16 {
        query.push_str("reviews { edges { node { product { ");
    }
    query.push_str("id } } } } ".repeat(16).as_str());
    query.push_str("} } } }");
    let body = app.graphql(&query, json!({})).await.json();
    let (limit, max, found) = limit_of(&body);
    assert_eq!((limit, max), ("depth", 10));
    assert_eq!(found, 4 * 16 + 4);
    assert_eq!(body.get("data"), Some(&Value::Null));
    let eleven = app.graphql(&nested(2), json!({})).await.json();
    assert_eq!(limit_of(&eleven).0, "depth");
    let ten = app
        .graphql(&nested(1).replace("author { id }", "rating"), json!({}))
        .await
        .json();
    assert!(ten.get("errors").is_none(), "{ten}");
}

#[tokio::test]
async fn a_thousand_aliased_logins_are_refused_without_a_single_attempt() {
    let app = TestApp::spawn().await;
    app.register("ada@example.com").await;
    let aliases: String = (0..1000)
        .map(|n| format!("a{n}: login(input: {{ email: \"ada@example.com\", password: \"guess{n}guess\" }}) {{ accessToken }} "))
        .collect();
    let body = app
        .graphql(&format!("mutation {{ {aliases} }}"), json!({}))
        .await
        .json();
    assert_eq!(error_code(&body), "QUERY_TOO_COMPLEX");
    let few: String = (0..31).map(|n| format!("a{n}: __typename ")).collect();
    let body = app.graphql(&format!("{{ {few} }}"), json!({})).await.json();
    assert_eq!(limit_of(&body), ("aliases", 30, 31));
    // Not one of the thousand guesses counted as a failed login.
    let throttled = TestApp::with(|a| a.login_max_failures = Some("1".into())).await;
    throttled.register("ada@example.com").await;
    throttled
        .graphql(&format!("mutation {{ {aliases} }}"), json!({}))
        .await;
    assert!(
        throttled
            .login("ada@example.com", crate::helpers::PASSWORD)
            .await
            .is_some()
    );
}

#[tokio::test]
async fn too_many_root_fields_or_directives_are_refused() {
    let app = TestApp::spawn().await;
    let roots: String = (0..21)
        .map(|n| format!("p{n}: products {{ pageInfo {{ hasNextPage }} }} "))
        .collect();
    let body = app
        .graphql(&format!("{{ {roots} }}"), json!({}))
        .await
        .json();
    assert_eq!(limit_of(&body), ("rootFields", 20, 21));
    let directives = "@include(if: true) ".repeat(51);
    let body = app
        .graphql(&format!("{{ __typename {directives} }}"), json!({}))
        .await
        .json();
    assert_eq!(limit_of(&body), ("directives", 50, 51));
}

#[tokio::test]
async fn a_batch_of_five_hundred_operations_is_refused() {
    let app = TestApp::spawn().await;
    let batch: Vec<Value> = (0..500)
        .map(|_| json!({ "query": "{ __typename }" }))
        .collect();
    let response = app.post_json(&Value::Array(batch)).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&response.json()), "BAD_REQUEST");
}

#[tokio::test]
async fn a_hundred_thousand_braces_are_refused_and_the_server_stays_healthy() {
    let app = TestApp::spawn().await;
    let flood = "{".repeat(100_000);
    let response = app.post_json(&json!({ "query": flood })).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(limit_of(&response.json()).0, "size");
    let deep_but_small = "{".repeat(5_000);
    let response = app.post_json(&json!({ "query": deep_but_small })).await;
    assert_eq!(limit_of(&response.json()).0, "depth");
    let health = app
        .request(Request::get("/readyz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(health.status, StatusCode::OK);
}

#[tokio::test]
async fn a_ten_megabyte_body_is_413() {
    let app = TestApp::spawn().await;
    let body = format!(
        r#"{{"query":"{{ __typename }}","variables":{{"x":"{}"}}}}"#,
        "x".repeat(10 << 20)
    );
    let response = app.post_json(&serde_json::from_str(&body).unwrap()).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&response.json()), "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn page_sizes_outside_one_to_a_hundred_are_bad_user_input() {
    let app = TestApp::seeded().await;
    for first in [99_999_999, -1] {
        let body = app
            .graphql(
                "query($n: Int) { products(first: $n) { edges { cursor } } }",
                json!({ "n": first }),
            )
            .await
            .json();
        assert_eq!(error_code(&body), "BAD_USER_INPUT");
        assert_eq!(body["errors"][0]["extensions"]["field"], "first");
    }
}

#[tokio::test]
async fn a_connection_nested_four_deep_at_a_hundred_is_over_the_cost_limit() {
    let app = TestApp::seeded().await;
    let query = "{ products(first: 100) { edges { node { reviews(first: 100) { edges { node { author { reviews(first: 100) { edges { node { product { reviews(first: 100) { edges { node { rating } } } } } } } } } } } } } } }";
    let body = app.graphql(query, json!({})).await.json();
    assert_eq!(body.get("data"), Some(&Value::Null));
    let cost = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["extensions"]["limit"] == "cost")
        .unwrap_or_else(|| panic!("no cost error: {body}"));
    assert_eq!(cost["extensions"]["code"], "QUERY_TOO_COMPLEX");
    assert_eq!(cost["extensions"]["max"], 1000);
    assert!(
        cost["extensions"]["found"].as_u64().unwrap() > 100_000_000,
        "{cost}"
    );
}

#[tokio::test]
async fn an_exhausted_cost_budget_is_429_with_retry_after_and_throttle_status() {
    let app = TestApp::seeded_with(|a| {
        a.cost_bucket_size = Some("1000".into());
        a.cost_restore_rate = Some("50".into());
        a.response_cache = Some("false".into());
    })
    .await;
    let query = "{ products(first: 50) { edges { node { reviews(first: 5) { edges { node { author { displayName } } } } } } } }";
    let first = app.graphql(query, json!({})).await.json();
    let cost = &first["extensions"]["cost"];
    assert_eq!(cost["requestedQueryCost"], 601);
    assert!(cost["actualQueryCost"].as_u64().unwrap() <= 601);
    assert_eq!(cost["throttleStatus"]["maximumAvailable"], 1000);
    assert_eq!(cost["throttleStatus"]["restoreRate"], 50);
    assert!(
        cost["throttleStatus"]["currentlyAvailable"]
            .as_u64()
            .unwrap()
            >= 399
    );
    let mut refused = None;
    for _ in 0..5 {
        let response = app.send(None, &[], query, json!({})).await;
        if response.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(response);
            break;
        }
    }
    let refused = refused.expect("the budget runs out");
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry_after));
    let body = refused.json();
    assert_eq!(error_code(&body), "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], retry_after);
    assert!(
        body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
            .as_u64()
            .unwrap()
            < 601
    );
}

#[tokio::test]
async fn requests_over_the_per_ip_rate_are_429() {
    let app = TestApp::with(|a| {
        a.rate_limit_rps = Some("1".into());
        a.rate_limit_burst = Some("2".into());
    })
    .await;
    let statuses: Vec<StatusCode> = {
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(
                app.send(None, &[], "{ __typename }", json!({}))
                    .await
                    .status,
            );
        }
        statuses
    };
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    let limited = app.send(None, &[], "{ __typename }", json!({})).await;
    assert!(limited.header("retry-after").is_some());
    assert_eq!(error_code(&limited.json()), "RATE_LIMITED");
    let health = app
        .request(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        health.status,
        StatusCode::OK,
        "health probes are not limited"
    );
}

#[tokio::test]
async fn production_hides_the_schema_unless_introspection_is_enabled() {
    let app = production(|_| {}).await;
    let introspection = app
        .graphql("{ __schema { types { name } } }", json!({}))
        .await
        .json();
    assert!(introspection.get("data").is_none(), "{introspection}");
    assert_eq!(error_code(&introspection), "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(
        introspection["errors"][0]["message"], "introspection is disabled",
        "{introspection}"
    );
    assert!(
        !introspection.to_string().contains("Product"),
        "{introspection}"
    );
    let typo = app
        .graphql("{ prodcts { edges { cursor } } }", json!({}))
        .await
        .json();
    assert!(!typo.to_string().contains("Did you mean"), "{typo}");
    let page = app
        .request(
            Request::get("/graphql")
                .header(header::ACCEPT, "text/html")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_ne!(page.status, StatusCode::OK, "no GraphiQL in production");

    let development = TestApp::spawn().await;
    let typo = development
        .graphql("{ prodcts { edges { cursor } } }", json!({}))
        .await
        .json();
    assert!(typo.to_string().contains("Did you mean"), "{typo}");
    let enabled = production(|a| a.introspection = Some("true".into())).await;
    let schema = enabled
        .graphql("{ __schema { queryType { name } } }", json!({}))
        .await
        .json();
    assert_eq!(schema["data"]["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn introspection_is_exempt_from_depth_and_cost() {
    let app = TestApp::spawn().await;
    let deep = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }";
    let body = app.graphql(deep, json!({})).await.json();
    assert!(body.get("errors").is_none(), "{body}");
}

/// The document every app of [`trusting`] trusts.
pub const TRUSTED: &str = "query Catalog { products(first: 2) { edges { node { sku } } } }";

/// A seeded app with `TRUSTED_DOCUMENTS=mode` and a manifest of [`TRUSTED`];
/// its hash; the folder of the manifest.
pub async fn trusting(mode: &str) -> (TestApp, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let hash = crate::caching::sha256(TRUSTED);
    let manifest = dir.path().join("manifest.json");
    std::fs::File::create(&manifest)
        .unwrap()
        .write_all(json!({ hash.clone(): TRUSTED }).to_string().as_bytes())
        .unwrap();
    let app = TestApp::seeded_with(|a| {
        a.trusted_documents = Some(mode.into());
        a.trusted_documents_manifest = Some(manifest.display().to_string());
    })
    .await;
    (app, hash, dir)
}

#[tokio::test]
async fn only_trusted_documents_run_in_only_trusted_mode() {
    let (app, hash, _dir) = trusting("only").await;
    let trusted = TRUSTED;
    let by_id = app
        .post_json(&json!({ "documentId": format!("sha256:{hash}") }))
        .await;
    assert_eq!(
        by_id.json()["data"]["products"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let by_hash = app
        .post_json(
            &json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } }),
        )
        .await;
    assert!(by_hash.json()["data"]["products"].is_object());
    let by_text = app.post_json(&json!({ "query": trusted })).await;
    assert!(by_text.json()["data"]["products"].is_object());
    for untrusted in [
        json!({ "query": "{ products(first: 100) { edges { node { sku } } } }" }),
        json!({ "documentId": "sha256:0000000000000000000000000000000000000000000000000000000000000000" }),
        json!({ "query": "{ __typename }", "extensions": { "persistedQuery": { "version": 1, "sha256Hash": crate::caching::sha256("{ __typename }") } } }),
    ] {
        let response: TestResponse = app.post_json(&untrusted).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{untrusted}");
        assert_eq!(error_code(&response.json()), "PERSISTED_QUERY_NOT_FOUND");
    }
    // Over WebSocket too.
    use crate::commerce::subscriptions::{next, open, send};
    let addr = app.serve().await;
    let mut socket = open(addr, None).await;
    let subscription = "subscription { stockChanged { id } }";
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": subscription } }),
    )
    .await;
    let refused = next(&mut socket, std::time::Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    // graphql-transport-ws refuses an operation before it runs with `error`.
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["id"], "1", "{refused}");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND",
        "{refused}"
    );
}

#[tokio::test]
async fn report_mode_runs_every_document() {
    let (app, hash, _dir) = trusting("report").await;
    let by_id = app.post_json(&json!({ "documentId": hash })).await;
    assert!(by_id.json()["data"]["products"].is_object());
    let untrusted = app
        .post_json(&json!({ "query": "{ products(first: 1) { edges { node { sku } } } }" }))
        .await;
    assert_eq!(untrusted.status, StatusCode::OK);
    assert!(untrusted.json()["data"]["products"].is_object());
}

#[tokio::test]
async fn cors_answers_allowed_origins_only() {
    let preflight = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/graphql")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
            .body(Body::empty())
            .unwrap()
    };
    let development = TestApp::spawn().await;
    let local = development
        .request(preflight("http://localhost:5173"))
        .await;
    assert_eq!(
        local.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    let foreign = development.request(preflight("https://evil.example")).await;
    assert_eq!(foreign.header("access-control-allow-origin"), None);
    let lookalike = development
        .request(preflight("http://localhost.evil.example"))
        .await;
    assert_eq!(lookalike.header("access-control-allow-origin"), None);

    let configured = production(|a| a.cors_origins = Some("https://shop.example".into())).await;
    let allowed = configured.request(preflight("https://shop.example")).await;
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://shop.example")
    );
    assert_eq!(allowed.header("access-control-allow-credentials"), None);
    let local = configured.request(preflight("http://localhost:5173")).await;
    assert_eq!(
        local.header("access-control-allow-origin"),
        None,
        "the list replaces the development default"
    );
}

#[tokio::test]
async fn strict_transport_security_is_sent_when_configured() {
    let plain = TestApp::spawn().await;
    let response = plain
        .request(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(response.header("strict-transport-security"), None);
    let tls = TestApp::with(|a| a.hsts = Some("true".into())).await;
    let response = tls
        .request(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert!(
        response
            .header("strict-transport-security")
            .unwrap()
            .starts_with("max-age=")
    );
}

#[tokio::test]
async fn a_database_failure_is_masked_and_logged_under_the_request_id() {
    let app = production(|_| {}).await;
    tollgate::seed::seed(
        &app.state.db,
        &app.state.passwords,
        tollgate::seed::Size::Demo,
    )
    .await
    .unwrap();
    app.state
        .db
        .execute_unprepared("DROP TABLE reviews")
        .await
        .unwrap();
    let response = app
        .graphql(
            "{ products(first: 3) { edges { node { sku reviews { edges { cursor } } } } } }",
            json!({}),
        )
        .await;
    let body = response.json();
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "INTERNAL_SERVER_ERROR");
    assert_eq!(error["message"], "internal server error");
    assert_eq!(
        error["extensions"]["requestId"],
        response.header("x-request-id").unwrap()
    );
    let text = body.to_string().to_lowercase();
    for leak in [
        "select",
        "reviews\"",
        "relation",
        "sqlx",
        "no such table",
        ".rs",
        "panicked",
    ] {
        assert!(!text.contains(leak), "{leak} leaked: {body}");
    }
}
