//! Results as Apollo Client, urql and GraphiQL read them: errored fields
//! completed as the GraphQL spec says, request errors for inputs no
//! resolver can take, introspection refused as a validation error, repeated
//! directives refused, and refusals over graphql-transport-ws as `error`.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::{
    commerce::subscriptions::{next, open, send},
    helpers::{TestApp, TestResponse, error_code},
};

const GRAPHQL_RESPONSE: (&str, &str) = ("accept", "application/graphql-response+json");

#[tokio::test]
async fn an_errored_nullable_field_is_present_as_null_and_its_parent_survives() {
    let app = TestApp::seeded().await;
    let body = app
        .graphql(
            "{ products(first: 10) { edges { node { reviews(first: 1) { edges { node {
                author { id displayName email orders(first: 1) { edges { cursor } } }
            } } } } } } }",
            json!({}),
        )
        .await
        .json();
    let author = body["data"]["products"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|p| p.pointer("/node/reviews/edges/0/node/author"))
        .expect("a reviewed product");
    assert_eq!(
        author,
        &json!({
            "id": author["id"],
            "displayName": author["displayName"],
            "email": null,
            "orders": null,
        }),
        "{body}"
    );
    assert!(author["id"].is_string() && author["displayName"].is_string());
    let paths: Vec<&Value> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_array().unwrap().last().unwrap())
        .collect();
    assert!(paths.contains(&&json!("email")) && paths.contains(&&json!("orders")));
}

#[tokio::test]
async fn a_nullable_root_field_that_errors_is_null_in_data() {
    let app = TestApp::seeded().await;
    let body = app
        .graphql_as(Some("not-a-token"), "{ viewer { id } }", json!({}))
        .await
        .json();
    assert_eq!(body["data"], json!({ "viewer": null }), "{body}");
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_errored_non_null_field_makes_its_nearest_nullable_parent_null() {
    let app = TestApp::seeded().await;
    let id = app.newest_product_id().await;
    // `orders` is non-null and needs a viewer: `data` itself becomes null.
    let body = app
        .graphql(
            "query($id: ID!) { product(id: $id) { id } orders { edges { cursor } } }",
            json!({ "id": id }),
        )
        .await
        .json();
    assert_eq!(body.get("data"), Some(&Value::Null), "{body}");
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    assert_eq!(body["errors"][0]["path"], json!(["orders"]));
}

/// Each operation with an `Int` beyond 32 bits, and where the message names it.
fn ints_beyond_32_bits() -> Vec<(&'static str, Value, &'static str)> {
    let big = json!(2_147_483_648_i64);
    vec![
        (
            "query($n: Int) { products(first: $n) { edges { cursor } } }",
            json!({ "n": big }),
            "$n",
        ),
        (
            "{ products(first: 2147483648) { edges { cursor } } }",
            json!({}),
            "first",
        ),
        (
            "query($n: Int) { orders(first: $n) { edges { cursor } } }",
            json!({ "n": -2_147_483_649_i64 }),
            "$n",
        ),
        (
            "{ users(first: 99999999999) { edges { cursor } } }",
            json!({}),
            "first",
        ),
        (
            "query($n: Int) { viewer { orders(first: $n) { edges { cursor } } } }",
            json!({ "n": big }),
            "$n",
        ),
        (
            "mutation { adjustStock(productId: \"x\", delta: 1000000000000) { id } }",
            json!({}),
            "delta",
        ),
        (
            "mutation($d: Int!) { adjustStock(productId: \"x\", delta: $d) { id } }",
            json!({ "d": 1_000_000_000_000_i64 }),
            "$d",
        ),
        (
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }",
            json!({ "input": { "items": [
                { "productId": "x", "quantity": 1 },
                { "productId": "x", "quantity": 1_000_000_000_000_i64 },
            ] } }),
            "input.items.1.quantity",
        ),
        (
            "mutation { placeOrder(input: { items: [{ productId: \"x\", quantity: 4294967296 }] }) { id } }",
            json!({}),
            "input.items.0.quantity",
        ),
    ]
}

#[tokio::test]
async fn ints_beyond_32_bits_are_request_errors_naming_the_variable_or_argument() {
    let app = TestApp::seeded().await;
    let admin = app
        .user_with_role("boss@example.com", tollgate::auth::Role::Admin)
        .await;
    for (query, variables, named) in ints_beyond_32_bits() {
        let response: TestResponse = app
            .send(
                Some(&admin.access_token),
                &[GRAPHQL_RESPONSE],
                query,
                variables,
            )
            .await;
        let body = response.json();
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body.get("data").is_none(), "{query}: {body}");
        assert!(
            ["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"].contains(&error_code(&body)),
            "{query}: {body}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(named), "{query}: {message}");
    }
    // The largest Int is no request error: `first` is then out of its range.
    let body = app
        .graphql(
            "{ products(first: 2147483647) { edges { cursor } } }",
            json!({}),
        )
        .await
        .json();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "first");
}

#[tokio::test]
async fn values_that_are_not_objects_where_an_input_object_is_expected_are_request_errors() {
    // async-graphql's validation lets them through and its argument parsing
    // refused them as INTERNAL_SERVER_ERROR.
    let app = TestApp::seeded().await;
    let cases = [
        (
            "mutation { payOrder(input: true) { id } }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
            "\"input\"",
        ),
        (
            "{ products(filter: [{}]) { edges { cursor } } }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
            "\"filter\"",
        ),
        (
            "mutation($line: OrderLineInput!) { placeOrder(input: { items: [$line, 7] }) { id } }",
            json!({ "line": { "productId": "x", "quantity": 1 } }),
            "GRAPHQL_VALIDATION_FAILED",
            "\"input.items.1\"",
        ),
        (
            "mutation($i: PayOrderInput!) { payOrder(input: $i) { id } }",
            json!({ "i": "x" }),
            "BAD_USER_INPUT",
            "i",
        ),
        (
            "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }",
            json!({ "i": { "items": [true] } }),
            "BAD_USER_INPUT",
            "i.items.0",
        ),
    ];
    for (query, variables, code, named) in cases {
        let response = app.send(None, &[GRAPHQL_RESPONSE], query, variables).await;
        let body = response.json();
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(error_code(&body), code, "{query}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(named), "{query}: {message}");
        if code == "BAD_USER_INPUT" {
            assert_eq!(body["errors"][0]["extensions"]["field"], named);
        }
    }
}

#[tokio::test]
async fn production_answers_introspection_with_a_validation_error() {
    let app = TestApp::with(|args| args.environment = Some("production".into())).await;
    for query in [
        "{ __schema { queryType { name } } }",
        "{ __type(name: \"Product\") { name } }",
        "{ ...Q } fragment Q on Query { __schema { types { name } } }",
        "{ products(first: 1) { edges { cursor } } ... on Query { __type(name: \"User\") { name } } }",
    ] {
        let response = app.send(None, &[GRAPHQL_RESPONSE], query, json!({})).await;
        let body = response.json();
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body.get("data").is_none(), "{query}: {body}");
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{query}");
        assert_eq!(body["errors"][0]["message"], "introspection is disabled");
    }
    let typename = app.data("{ __typename }", json!({})).await;
    assert_eq!(typename, json!({ "__typename": "Query" }));
}

const REPEATED_DIRECTIVES: [&str; 4] = [
    "{ products(first: 1) @skip(if: false) @skip(if: true) { edges { cursor } } }",
    "{ products(first: 1) { edges @include(if: true) @include(if: false) { cursor } } }",
    "{ ... on Query @skip(if: false) @skip(if: false) { products(first: 1) { edges { cursor } } } }",
    "{ ...P @include(if: true) @include(if: true) } fragment P on Query { products(first: 1) { edges { cursor } } }",
];

#[tokio::test]
async fn a_directive_repeated_at_one_location_is_a_validation_error() {
    let app = TestApp::seeded().await;
    for query in REPEATED_DIRECTIVES {
        let response = app.send(None, &[GRAPHQL_RESPONSE], query, json!({})).await;
        let body = response.json();
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body.get("data").is_none(), "{query}: {body}");
        assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{query}");
    }
}

#[tokio::test]
async fn graphql_transport_ws_refuses_before_execution_with_an_error_message() {
    let app = TestApp::seeded_with(|args| args.max_depth = Some("3".into())).await;
    let addr = app.serve().await;
    let mut socket = open(addr, None).await;
    let refused = [
        (
            "invalid",
            "subscription { stockChanged { nope } }",
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "unparsable",
            "subscription { stockChanged {",
            "GRAPHQL_PARSE_FAILED",
        ),
        (
            "too-deep",
            "{ products { edges { node { reviews { edges { node { rating } } } } } } }",
            "QUERY_TOO_COMPLEX",
        ),
        (
            "repeated",
            REPEATED_DIRECTIVES[0],
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "too-big",
            "query($n: Int) { products(first: $n) { pageInfo { hasNextPage } } }",
            "BAD_USER_INPUT",
        ),
    ];
    for (id, query, code) in refused {
        let variables = json!({ "n": 2_147_483_648_i64 });
        send(
            &mut socket,
            json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }),
        )
        .await;
        let message = next(&mut socket, Duration::from_secs(5))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(message["type"], "error", "{id}: {message}");
        assert_eq!(message["id"], id, "{message}");
        let errors = message["payload"].as_array().expect("a list of errors");
        assert_eq!(errors[0]["extensions"]["code"], code, "{id}: {message}");
        assert!(
            errors[0]["extensions"]["requestId"].is_string(),
            "{message}"
        );
    }
    // No `complete` follows an `error`, and the id may be used again.
    send(
        &mut socket,
        json!({ "id": "invalid", "type": "subscribe", "payload": { "query": "{ products(first: 1) { edges { cursor } } }" } }),
    )
    .await;
    let answer = next(&mut socket, Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer["type"], "next", "{answer}");
    assert_eq!(answer["id"], "invalid", "{answer}");
    assert!(
        answer["payload"]["data"]["products"]["edges"].is_array(),
        "{answer}"
    );
    let complete = next(&mut socket, Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(complete, json!({ "type": "complete", "id": "invalid" }));
}
