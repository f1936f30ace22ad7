//! Draining in-process, on the test's own server: readiness, and WebSockets
//! finishing what they run before closing.

use std::time::Duration;

use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use serde_json::json;

use crate::{
    commerce::subscriptions::{next, open, send},
    helpers::{PASSWORD, TestApp},
};

#[tokio::test]
async fn readiness_turns_503_once_shutdown_begins_while_liveness_stays_ok() {
    let app = TestApp::spawn().await;
    let probe = |path: &'static str| app.request(Request::get(path).body(Body::empty()).unwrap());
    assert_eq!(probe("/readyz").await.status, StatusCode::OK);

    app.state.shutdown.begin();

    let ready = probe("/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.json(), json!({ "status": "shutting down" }));
    assert_eq!(probe("/healthz").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_answers_the_mutation_in_flight_then_closes_with_1001() {
    let app = TestApp::spawn().await;
    let addr = app.serve().await;
    let mut socket = open(addr, None).await;
    let follow = "subscription { stockChanged { stock } }";
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": follow } }),
    )
    .await;
    // Hashing a password keeps the mutation busy while shutdown begins.
    let login = "mutation($input: LoginInput!) { login(input: $input) { accessToken } }";
    let input = json!({ "input": { "email": "nobody@example.com", "password": PASSWORD } });
    let payload = json!({ "query": login, "variables": input });
    send(
        &mut socket,
        json!({ "id": "2", "type": "subscribe", "payload": payload }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(10)).await;

    app.state.shutdown.begin();

    let wait = Duration::from_secs(10);
    let answer = next(&mut socket, wait).await.unwrap().unwrap();
    assert_eq!(
        (&answer["type"], &answer["id"]),
        (&json!("next"), &json!("2"))
    );
    assert!(answer["payload"]["errors"].is_array(), "{answer}");
    let complete = next(&mut socket, wait).await.unwrap().unwrap();
    assert_eq!(complete, json!({ "type": "complete", "id": "2" }));
    assert_eq!(next(&mut socket, wait).await, Some(Err(Some(1001))));
}
