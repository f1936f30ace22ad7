//! GraphQL over HTTP: status codes, media types, limits and error details.

use std::io::Write;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, error_code};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

async fn post_with(
    app: &TestApp,
    content_type: &str,
    accept: Option<&str>,
    body: &str,
) -> TestResponse {
    let mut request = Request::post("/graphql").header(header::CONTENT_TYPE, content_type);
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    app.request(request.body(Body::from(body.to_owned())).unwrap())
        .await
}

async fn get(app: &TestApp, uri: &str, accept: Option<&str>) -> TestResponse {
    let mut request = Request::get(uri);
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    app.request(request.body(Body::empty()).unwrap()).await
}

fn assert_request_id(body: &Value, response: &TestResponse) {
    let id = response
        .header("x-request-id")
        .expect("x-request-id header");
    for error in body["errors"].as_array().unwrap() {
        assert_eq!(error["extensions"]["requestId"], id, "{body}");
    }
}

#[tokio::test]
async fn a_query_over_post_answers_json_that_is_never_stored() {
    let app = TestApp::seeded_uncached().await;
    let response = post_with(
        &app,
        "application/json",
        None,
        r#"{"query":"{ products(first: 2) { edges { cursor } } }"}"#,
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(
        response.json()["data"]["products"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn the_response_type_follows_accept() {
    let app = TestApp::spawn().await;
    let body = r#"{"query":"{ products { pageInfo { hasNextPage } } }"}"#;
    let response = post_with(&app, "application/json", Some(GRAPHQL_RESPONSE_JSON), body).await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with(GRAPHQL_RESPONSE_JSON)
    );
    let response = post_with(&app, "application/json", Some("text/csv"), body).await;
    assert_eq!(response.status, StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn a_document_that_does_not_parse_is_400_with_graphql_response_json_and_200_with_json() {
    let app = TestApp::spawn().await;
    let body = r#"{"query":"{ products { "}"#;
    let strict = post_with(&app, "application/json", Some(GRAPHQL_RESPONSE_JSON), body).await;
    assert_eq!(strict.status, StatusCode::BAD_REQUEST);
    let json = strict.json();
    assert_eq!(error_code(&json), "GRAPHQL_PARSE_FAILED");
    assert!(
        json.get("data").is_none(),
        "a request error has no data: {json}"
    );
    assert_request_id(&json, &strict);

    let legacy = post_with(&app, "application/json", Some("application/json"), body).await;
    assert_eq!(legacy.status, StatusCode::OK);
    assert_eq!(error_code(&legacy.json()), "GRAPHQL_PARSE_FAILED");
}

#[tokio::test]
async fn a_document_that_does_not_validate_is_graphql_validation_failed() {
    let app = TestApp::spawn().await;
    let needs_n = "query($n: Int!) { products(first: $n) { pageInfo { hasNextPage } } }";
    for (query, variables) in [
        ("{ products { edges { node { noSuchField } } } }", json!({})),
        (
            "query A { products { pageInfo { hasNextPage } } } query B { products { pageInfo { hasNextPage } } }",
            json!({}),
        ),
        (needs_n, json!({})),
        (needs_n, json!({ "n": null })),
        (needs_n, json!({ "n": "not a number" })),
    ] {
        let body = json!({ "query": query, "variables": variables }).to_string();
        let strict = post_with(&app, "application/json", Some(GRAPHQL_RESPONSE_JSON), &body).await;
        assert_eq!(
            strict.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            String::from_utf8_lossy(&strict.body)
        );
        let json = strict.json();
        assert_eq!(error_code(&json), "GRAPHQL_VALIDATION_FAILED", "{json}");
        assert!(json.get("data").is_none());
        assert_request_id(&json, &strict);
        let legacy = post_with(&app, "application/json", None, &body).await;
        assert_eq!(legacy.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn bodies_that_are_not_json_are_415() {
    let app = TestApp::spawn().await;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/graphql",
    ] {
        let response = post_with(&app, content_type, None, r#"{"query":"{ __typename }"}"#).await;
        assert_eq!(
            response.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        assert_eq!(error_code(&response.json()), "BAD_REQUEST");
    }
}

#[tokio::test]
async fn a_body_that_is_not_a_graphql_request_is_400_bad_request() {
    let app = TestApp::spawn().await;
    for body in [
        "{not json",
        "42",
        r#"{"query": 7}"#,
        r#"{"variables": {}}"#,
        "[]",
    ] {
        let response = post_with(&app, "application/json", None, body).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        let json = response.json();
        assert_eq!(error_code(&json), "BAD_REQUEST", "{body}");
        assert_request_id(&json, &response);
    }
}

#[tokio::test]
async fn batches_are_answered_in_order_up_to_ten_operations() {
    let app = TestApp::seeded().await;
    let batch: Vec<Value> = (1..=10)
        .map(|n| json!({ "query": format!("{{ products(first: {n}) {{ edges {{ cursor }} }} }}") }))
        .collect();
    let response = app.post_json(&Value::Array(batch.clone())).await;
    assert_eq!(response.status, StatusCode::OK);
    let results = response.json();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 10);
    for (i, result) in results.iter().enumerate() {
        assert_eq!(
            result["data"]["products"]["edges"]
                .as_array()
                .unwrap()
                .len(),
            i + 1
        );
    }
    let mut too_many = batch;
    too_many.push(json!({ "query": "{ __typename }" }));
    let response = app.post_json(&Value::Array(too_many)).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&response.json()), "BAD_REQUEST");
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_413_even_when_compressed() {
    let app = TestApp::spawn().await;
    let padding = " ".repeat(1 << 20);
    let body = format!(r#"{{"query":"{{ __typename }}"{padding}}}"#);
    let response = post_with(&app, "application/json", None, &body).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&response.json()), "PAYLOAD_TOO_LARGE");

    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(body.as_bytes()).unwrap();
    let compressed = gzip.finish().unwrap();
    assert!(compressed.len() < 1 << 16, "the compressed body is small");
    let response = app
        .request(
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_ENCODING, "gzip")
                .body(Body::from(compressed))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_gzip_body_within_the_limit_is_accepted() {
    let app = TestApp::spawn().await;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(br#"{"query":"{ products { edges { cursor } } }"}"#)
        .unwrap();
    let response = app
        .request(
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_ENCODING, "gzip")
                .body(Body::from(gzip.finish().unwrap()))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.json()["data"]["products"]["edges"].is_array());
}

#[tokio::test]
async fn responses_are_gzipped_for_clients_that_accept_it_and_plain_otherwise() {
    let app = TestApp::seeded().await;
    let body = r#"{"query":"{ products(first: 50) { edges { node { id name description } } } }"}"#;
    let request = |encoding: Option<&str>| {
        let mut request =
            Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(encoding) = encoding {
            request = request.header(header::ACCEPT_ENCODING, encoding);
        }
        request.body(Body::from(body)).unwrap()
    };

    // What browsers and load generators send: gzip is chosen.
    let response = app.request(request(Some("gzip, deflate, br, zstd"))).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers[header::CONTENT_ENCODING], "gzip");
    let mut json = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(response.body.as_slice()),
        &mut json,
    )
    .unwrap();
    assert!(json.len() > 2 * response.body.len(), "the body shrank");
    let json: Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(
        json["data"]["products"]["edges"].as_array().unwrap().len(),
        50
    );

    // A client that accepts nothing else gets identity.
    let response = app.request(request(None)).await;
    assert!(!response.headers.contains_key(header::CONTENT_ENCODING));
    assert_eq!(
        response.json()["data"]["products"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        50
    );
}

#[tokio::test]
async fn get_runs_queries_with_variables_from_the_query_string() {
    let app = TestApp::seeded().await;
    let uri = "/graphql?query=query(%24n%3AInt)%7Bproducts(first%3A%24n)%7Bedges%7Bcursor%7D%7D%7D&variables=%7B%22n%22%3A3%7D";
    let response = get(&app, uri, Some("application/json")).await;
    assert_eq!(
        response.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(
        response.json()["data"]["products"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    let bad_variables = "/graphql?query=%7B__typename%7D&variables=not-json";
    let response = get(&app, bad_variables, None).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&response.json()), "BAD_REQUEST");
}

#[tokio::test]
async fn a_mutation_over_get_is_405_allowing_post() {
    let app = TestApp::spawn().await;
    for uri in [
        "/graphql?query=mutation%20%7B%20logout%20%7D",
        "/graphql?query=query%20A%7B__typename%7D%20mutation%20B%7Bx%7D&operationName=B",
    ] {
        let response = get(&app, uri, None).await;
        assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED, "{uri}");
        assert_eq!(response.header("allow"), Some("POST"));
        assert_eq!(error_code(&response.json()), "BAD_REQUEST");
    }
}

#[tokio::test]
async fn other_methods_are_405() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Request::put("/graphql").body(Body::empty()).unwrap())
        .await;
    assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(response.header("allow").unwrap().contains("POST"));
}

#[tokio::test]
async fn errors_raised_by_the_middleware_have_the_same_json_error_body() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            Request::put("/graphql").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_REQUEST",
        ),
        (
            Request::get("/nowhere").body(Body::empty()).unwrap(),
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        ),
        (
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_ENCODING, "zstd")
                .body(Body::from("{}"))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_REQUEST",
        ),
    ];
    for (request, status, code) in cases {
        let what = format!("{} {}", request.method(), request.uri());
        let response = app.request(request).await;
        assert_eq!(response.status, status, "{what}");
        assert_eq!(
            response.header("content-type"),
            Some("application/json; charset=utf-8"),
            "{what}"
        );
        let body = response.json();
        assert_eq!(error_code(&body), code, "{what}: {body}");
        assert!(body.get("data").is_none(), "{what}: {body}");
        assert_request_id(&body, &response);
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_security_headers() {
    let app = TestApp::spawn().await;
    for uri in ["/healthz", "/graphql?query=%7B__typename%7D"] {
        let response = get(&app, uri, None).await;
        assert!(
            response
                .header("x-request-id")
                .is_some_and(|id| !id.is_empty())
        );
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(response.header("x-frame-options"), Some("DENY"));
        assert!(
            response
                .header("content-security-policy")
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
    }
    let response = app
        .request(
            Request::get("/healthz")
                .header("x-request-id", "client-id-42")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.header("x-request-id"), Some("client-id-42"));
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let health = get(&app, "/healthz", None).await;
    assert_eq!(health.status, StatusCode::OK);
    let ready = get(&app, "/readyz", None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json()["database"], "ok");
    app.state.db.clone().close().await.unwrap();
    let ready = get(&app, "/readyz", None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn browsers_get_graphiql_served_from_this_server_only() {
    let app = TestApp::spawn().await;
    let page = get(
        &app,
        "/graphql",
        Some("text/html,application/xhtml+xml,*/*;q=0.8"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = String::from_utf8(page.body.clone()).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("\"//"),
        "{html}"
    );
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|s| s.starts_with("/graphiql/assets/"))
        .collect();
    assert!(assets.len() >= 4, "{html}");
    for asset in assets {
        let response = get(&app, asset, None).await;
        assert_eq!(response.status, StatusCode::OK, "{asset}");
        assert!(!response.body.is_empty());
    }
    let disabled = TestApp::with(|args| args.graphiql = Some("false".into())).await;
    let page = get(&disabled, "/graphql", Some("text/html")).await;
    assert_ne!(page.status, StatusCode::OK);
}
