//! What operators observe, from the real binary: Prometheus metrics on
//! their own listener, OTLP spans sent to a collector (a receiver in this
//! test), and logs that carry the trace.

use std::{collections::HashMap, time::Duration};

use axum::{Router, body::Bytes, routing::post};
use opentelemetry_proto::tonic::{
    collector::trace::v1::ExportTraceServiceRequest,
    common::v1::{AnyValue, any_value},
    trace::v1::{Span, span::SpanKind},
};
use prost::Message;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::{
    binary::{Server, stderr, tollgate},
    commerce::subscriptions,
    helpers::{TestDatabase, until},
};

/// The value of the sample whose name and labels are `series` exactly.
pub fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == series).then(|| value.parse().ok())?
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_known_requests_by_route_status_operation_and_code() {
    let database = TestDatabase::create().await;
    let server = Server::start(&[
        ("DATABASE_URL", &database.url),
        ("METRICS_ADDR", "127.0.0.1:0"),
        ("MAX_ALIASES", "1"),
    ])
    .unwrap();
    let catalog = "query Catalog { products(first: 2) { edges { node { name } } } }";
    for _ in 0..2 {
        assert!(server.query(catalog).starts_with("HTTP/1.1 200"));
    }
    // Clients name the operation to run; Catalog left it to the document.
    server.post(
        &json!({ "query": "query Aliased { a: __typename b: __typename }", "operationName": "Aliased" }),
        &[],
    );
    server.query("{ nope }");

    let metrics = server.metrics();
    let expected = [
        (
            r#"tollgate_http_requests_total{route="/graphql",status="200"}"#,
            4.0,
        ),
        (
            r#"tollgate_graphql_operations_total{operation="Catalog",type="query",outcome="ok"}"#,
            2.0,
        ),
        (
            r#"tollgate_graphql_operations_total{operation="Aliased",type="unknown",outcome="QUERY_TOO_COMPLEX"}"#,
            1.0,
        ),
        (
            r#"tollgate_graphql_operations_total{operation="anonymous",type="query",outcome="GRAPHQL_VALIDATION_FAILED"}"#,
            1.0,
        ),
        (
            r#"tollgate_graphql_operation_duration_seconds_count{operation="Catalog",type="query"}"#,
            2.0,
        ),
        (
            r#"tollgate_graphql_errors_total{code="QUERY_TOO_COMPLEX"}"#,
            1.0,
        ),
        (
            r#"tollgate_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}"#,
            1.0,
        ),
        (r#"tollgate_limit_refusals_total{reason="aliases"}"#, 1.0),
        (
            r#"tollgate_cache_requests_total{cache="response",result="miss"}"#,
            1.0,
        ),
        (
            r#"tollgate_cache_requests_total{cache="response",result="hit"}"#,
            1.0,
        ),
        (
            r#"tollgate_cache_requests_total{cache="document",result="miss"}"#,
            3.0,
        ),
        (
            r#"tollgate_cache_requests_total{cache="document",result="hit"}"#,
            1.0,
        ),
        (
            &format!(
                r#"tollgate_build_info{{version="{}"}}"#,
                env!("CARGO_PKG_VERSION")
            ),
            1.0,
        ),
        // Every operation over HTTP, the refused ones with none.
        ("tollgate_db_statements_per_operation_count", 4.0),
    ];
    for (series, value) in expected {
        assert_eq!(
            sample(&metrics, series),
            Some(value),
            "{series} in\n{metrics}"
        );
    }
    // The first Catalog ran SQL; the cached one and the refused ones did not.
    let statements = sample(&metrics, "tollgate_db_statements_per_operation_sum").unwrap();
    assert!(statements >= 1.0, "{metrics}");
    for series in [
        r#"tollgate_db_pool_connections{state="in_use"}"#,
        r#"tollgate_db_pool_connections{state="idle"}"#,
        "tollgate_db_acquire_seconds_count",
    ] {
        assert!(sample(&metrics, series).is_some(), "{series} in\n{metrics}");
    }
    assert!(
        sample(&metrics, "tollgate_db_acquire_seconds_count").unwrap() >= 1.0,
        "{metrics}"
    );
    assert!(
        metrics.contains("# TYPE tollgate_graphql_operation_duration_seconds histogram"),
        "{metrics}"
    );
}

/// The settings of a production server on `database`, migrated.
fn migrated_for_production(database: &TestDatabase) -> Vec<(&str, &str)> {
    let envs = vec![
        ("DATABASE_URL", database.url.as_str()),
        ("TOLLGATE_ENV", "production"),
        ("JWT_SECRET", "a-production-secret-of-32-bytes-or-more"),
    ];
    assert!(tollgate(&["migrate"], &envs, None).status.success());
    envs
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_off_in_production_unless_an_address_is_given() {
    let database = TestDatabase::create().await;
    let mut production = vec![("METRICS_ADDR", "")];
    production.extend(migrated_for_production(&database));
    let server = Server::start(&production).unwrap();
    assert_eq!(server.metrics, None);
}

/// Spans the receiver has been sent, until `done` holds for them.
async fn spans_until(
    received: &mut mpsc::UnboundedReceiver<ExportTraceServiceRequest>,
    done: impl Fn(&[(Span, String)]) -> bool,
) -> Vec<(Span, String)> {
    let mut spans = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done(&spans) {
        let batch = tokio::time::timeout_at(deadline, received.recv())
            .await
            .unwrap_or_else(|_| panic!("spans never arrived; got {spans:#?}"))
            .unwrap();
        for resource in batch.resource_spans {
            let service = resource
                .resource
                .as_ref()
                .and_then(|r| attribute(&r.attributes, "service.name"))
                .unwrap_or_default();
            for scope in resource.scope_spans {
                spans.extend(scope.spans.into_iter().map(|s| (s, service.clone())));
            }
        }
    }
    spans
}

fn attribute(
    attributes: &[opentelemetry_proto::tonic::common::v1::KeyValue],
    key: &str,
) -> Option<String> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|AnyValue { value }| match value.as_ref()? {
            any_value::Value::StringValue(s) => Some(s.clone()),
            any_value::Value::IntValue(i) => Some(i.to_string()),
            any_value::Value::BoolValue(b) => Some(b.to_string()),
            any_value::Value::DoubleValue(d) => Some(d.to_string()),
            _ => None,
        })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
const CALLER_SPAN: &str = "b7ad6b7169203331";

/// An OTLP/HTTP receiver of traces: its endpoint, and what it is sent.
async fn otlp_receiver() -> (String, mpsc::UnboundedReceiver<ExportTraceServiceRequest>) {
    let (sent, received) = mpsc::unbounded_channel();
    let receiver = Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| {
            let sent = sent.clone();
            async move {
                let _ = sent.send(ExportTraceServiceRequest::decode(body).unwrap());
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    (endpoint, received)
}

#[tokio::test(flavor = "multi_thread")]
async fn spans_reach_an_otlp_receiver_as_children_of_the_callers_trace() {
    let (endpoint, mut received) = otlp_receiver().await;
    let database = TestDatabase::create().await;
    let mut traced = migrated_for_production(&database);
    traced.extend([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_SERVICE_NAME", "tollgate-under-test"),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
        ("SLOW_OPERATION_MS", "1"),
    ]);
    let server = Server::start(&traced).unwrap();
    let query = "mutation Join($input: RegisterInput!) { register(input: $input) { __typename } }";
    let email = "traced@example.com";
    let response = server.post(
        &json!({
            "query": query,
            "operationName": "Join",
            "variables": { "input": { "email": email, "password": "correct horse battery", "displayName": "Traced" } },
        }),
        &[("traceparent", &format!("00-{TRACE_ID}-{CALLER_SPAN}-01"))],
    );
    assert!(
        response.contains(r#""register":{"__typename""#),
        "{response}"
    );

    let spans = spans_until(&mut received, |spans| {
        ["POST /graphql", "mutation Join", "argon2id", "INSERT"]
            .iter()
            .all(|name| spans.iter().any(|(s, _)| s.name == *name))
    })
    .await;
    let named = |name: &str| {
        spans
            .iter()
            .map(|(span, _)| span)
            .find(|s| s.name == name)
            .unwrap()
    };
    let request = named("POST /graphql");
    let operation = named("mutation Join");
    let argon2 = named("argon2id");
    let insert = named("INSERT");
    for (span, service) in &spans {
        assert_eq!(hex(&span.trace_id), TRACE_ID, "{span:?}");
        assert_eq!(service, "tollgate-under-test");
    }
    assert_eq!(hex(&request.parent_span_id), CALLER_SPAN);
    assert_eq!(request.kind, SpanKind::Server as i32);
    assert_eq!(operation.parent_span_id, request.span_id);
    assert_eq!(argon2.parent_span_id, operation.span_id, "{spans:#?}");
    assert_eq!(insert.parent_span_id, operation.span_id, "{spans:#?}");
    assert_eq!(insert.kind, SpanKind::Client as i32);

    let request_attributes: HashMap<&str, Option<String>> = [
        "http.request.method",
        "http.route",
        "http.response.status_code",
    ]
    .into_iter()
    .map(|key| (key, attribute(&request.attributes, key)))
    .collect();
    assert_eq!(
        request_attributes,
        HashMap::from([
            ("http.request.method", Some("POST".into())),
            ("http.route", Some("/graphql".into())),
            ("http.response.status_code", Some("200".into())),
        ])
    );
    let document_hash = hex(&Sha256::digest(query.as_bytes()));
    assert_eq!(
        attribute(&operation.attributes, "graphql.operation.name").as_deref(),
        Some("Join")
    );
    assert_eq!(
        attribute(&operation.attributes, "graphql.operation.type").as_deref(),
        Some("mutation")
    );
    assert_eq!(
        attribute(&operation.attributes, "graphql.document.hash"),
        Some(document_hash)
    );
    assert!(attribute(&operation.attributes, "tollgate.cost").is_some());
    let statements: u64 = attribute(&operation.attributes, "db.statement.count")
        .unwrap()
        .parse()
        .unwrap();
    assert!(statements >= 1);
    let sql = attribute(&insert.attributes, "db.query.text").unwrap();
    assert!(sql.starts_with("INSERT INTO"), "{sql}");
    assert!(!sql.contains(email), "values never reach a span: {sql}");
    let system = attribute(&insert.attributes, "db.system.name").unwrap();
    let expected = if database.url.starts_with("postgres") {
        "postgresql"
    } else {
        "sqlite"
    };
    assert_eq!(system, expected);

    // The slow-operation warning (every operation is slow at 1 ms) is a JSON
    // line carrying the trace id, the operation, its statements and cost.
    let warning = server
        .stdout()
        .into_iter()
        .filter_map(|line| serde_json::from_str::<Value>(&line).ok())
        .find(|line| line["fields"]["message"] == "slow operation")
        .expect("a slow-operation warning");
    assert_eq!(warning["level"], "WARN");
    assert_eq!(warning["fields"]["operation"], "Join");
    assert_eq!(warning["fields"]["statements"], json!(statements));
    assert!(warning["fields"]["cost"].is_u64(), "{warning}");
    assert!(warning["fields"]["duration_ms"].is_u64(), "{warning}");
    assert_eq!(warning["spans"][0]["trace_id"], TRACE_ID, "{warning}");
    assert_eq!(warning["fields"]["trace_id"], TRACE_ID, "{warning}");
}

/// The statements of `spans` that read order lines with their products, in
/// the order they ran.
fn lines_statements(spans: &[(Span, String)]) -> Vec<String> {
    let mut lines: Vec<(u64, String)> = spans
        .iter()
        .filter_map(|(span, _)| {
            let sql = attribute(&span.attributes, "db.query.text")?;
            let joins = sql.contains(r#"FROM "order_items" INNER JOIN "products""#);
            joins.then_some((span.start_time_unix_nano, sql))
        })
        .collect();
    lines.sort();
    lines.into_iter().map(|(_, sql)| sql).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn order_lines_read_only_their_products_summaries_unless_more_is_selected() {
    let (endpoint, mut received) = otlp_receiver().await;
    let database = TestDatabase::create().await;
    let mut envs = migrated_for_production(&database);
    let (email, password) = ("ops@example.com", "a long admin password");
    for command in [
        &["seed", "--size", "demo"][..],
        &["create-admin", "--email", email, "--password", password],
    ] {
        let output = tollgate(command, &envs, None);
        assert!(output.status.success(), "{command:?}: {}", stderr(&output));
    }
    envs.extend([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
        // Products not cached: the lines read them (a join).
        ("ENTITY_CACHE", "false"),
    ]);
    let server = Server::start(&envs).unwrap();
    let login = server.post(
        &json!({
            "query": "mutation($input: LoginInput!) { login(input: $input) { accessToken } }",
            "variables": { "input": { "email": email, "password": password } },
        }),
        &[],
    );
    let token = login
        .split(r#""accessToken":""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("{login}"));
    let bearer = format!("Bearer {token}");
    for selection in [
        "id sku name priceCents currency",
        "name ... on Product { description }",
    ] {
        let query = format!(
            "{{ orders(first: 5) {{ edges {{ node {{ items {{ product {{ {selection} }} }} }} }} }} }}"
        );
        let response = server.post(&json!({ "query": query }), &[("authorization", &bearer)]);
        assert!(response.contains(r#""items":[{"product":{"#), "{response}");
    }

    let spans = spans_until(&mut received, |spans| lines_statements(spans).len() == 2).await;
    let statements = lines_statements(&spans);
    // what each statement reads of the products: its select list
    let products = |sql: &str| -> Vec<String> {
        let select = sql.split(" FROM ").next().unwrap();
        let columns = select.split(", ").filter(|c| c.contains(r#""products"."#));
        columns
            .map(|c| c.replace(r#""products"."#, "").replace('"', ""))
            .collect()
    };
    assert_eq!(
        products(&statements[0]),
        ["sku", "name", "price_cents", "currency"],
        "{statements:#?}"
    );
    assert_eq!(
        products(&statements[1]),
        [
            "id",
            "sku",
            "name",
            "description",
            "price_cents",
            "currency",
            "stock",
            "active",
            "created_at",
            "updated_at"
        ],
        "{statements:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn running_subscriptions_are_counted_until_they_end() {
    let database = TestDatabase::create().await;
    let server = Server::start(&[
        ("DATABASE_URL", &database.url),
        ("METRICS_ADDR", "127.0.0.1:0"),
    ])
    .unwrap();
    let active = "tollgate_subscriptions_active";
    let addr = server.addr().parse().unwrap();
    let mut socket = subscriptions::open(addr, None).await;
    let subscribe = json!({
        "id": "1",
        "type": "subscribe",
        "payload": { "query": "subscription Stock { stockChanged { id stock } }" },
    });
    subscriptions::send(&mut socket, subscribe).await;
    let counted = |value: f64| {
        let metrics = server.metrics();
        sample(&metrics, active) == Some(value)
    };
    wait_until(|| counted(1.0)).await;
    let metrics = server.metrics();
    let started =
        r#"tollgate_graphql_operations_total{operation="Stock",type="subscription",outcome="ok"}"#;
    assert_eq!(sample(&metrics, started), Some(1.0), "{metrics}");

    subscriptions::send(&mut socket, json!({ "id": "1", "type": "complete" })).await;
    wait_until(|| counted(0.0)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn subscriptions_over_sse_are_counted_until_the_client_leaves() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let database = TestDatabase::create().await;
    let server = Server::start(&[
        ("DATABASE_URL", &database.url),
        ("METRICS_ADDR", "127.0.0.1:0"),
    ])
    .unwrap();
    let active = "tollgate_subscriptions_active";
    let body = json!({ "query": "subscription Stock { stockChanged { id stock } }" }).to_string();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nhost: localhost\r\naccept: text/event-stream\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut client = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    client.write_all(request.as_bytes()).await.unwrap();
    let mut head = vec![0; 4096];
    let read = client.read(&mut head).await.unwrap();
    let head = String::from_utf8_lossy(&head[..read]);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let counted = |value: f64| sample(&server.metrics(), active) == Some(value);
    wait_until(|| counted(1.0)).await;

    drop(client);
    wait_until(|| counted(0.0)).await;
}

#[tokio::test]
async fn report_mode_counts_and_logs_documents_outside_the_manifest_once_each() {
    let database = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let known = "query Known { products(first: 1) { edges { node { sku } } } }";
    let manifest = dir.path().join("manifest.json");
    std::fs::write(
        &manifest,
        json!({ hex(&Sha256::digest(known)): known }).to_string(),
    )
    .unwrap();
    let server = Server::start(&[
        ("DATABASE_URL", &database.url),
        ("METRICS_ADDR", "127.0.0.1:0"),
        ("TRUSTED_DOCUMENTS", "report"),
        ("TRUSTED_DOCUMENTS_MANIFEST", manifest.to_str().unwrap()),
    ])
    .unwrap();
    let untrusted = "query Stranger { products(first: 2) { edges { node { sku } } } }";
    let counted = "tollgate_untrusted_documents_total";

    let response = server.query(known);
    assert!(response.contains(r#""products""#), "{response}");
    assert_eq!(sample(&server.metrics(), counted), None);
    for _ in 0..2 {
        let response = server.query(untrusted);
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.contains(r#""products""#), "{response}");
    }

    assert_eq!(sample(&server.metrics(), counted), Some(2.0));
    let hash = hex(&Sha256::digest(untrusted));
    let logged: Vec<String> = server
        .stdout()
        .into_iter()
        .filter(|line| line.contains("trusted-documents manifest"))
        .collect();
    assert_eq!(logged.len(), 1, "logged once: {logged:?}");
    assert!(logged[0].contains(&hash), "{logged:?}");
    assert!(logged[0].contains("Stranger"), "{logged:?}");
    assert!(
        !logged[0].contains("products(first"),
        "no document text: {logged:?}"
    );
}

/// Waits up to ten seconds for `done`.
async fn wait_until(done: impl Fn() -> bool) {
    let waited = until(Duration::from_secs(10), || async { done() }).await;
    assert!(waited.is_some(), "timed out");
}
