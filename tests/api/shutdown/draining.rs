//! Draining in-process, on the test's own server: readiness, WebSockets
//! finishing what they run before closing, and event streams ending.

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
    // Hashing a password keeps the mutation busy while shutdown begins.
    let login = "mutation($input: LoginInput!) { login(input: $input) { accessToken } }";
    let input = json!({ "input": { "email": "nobody@example.com", "password": PASSWORD } });
    let payload = json!({ "query": login, "variables": input });
    send(
        &mut socket,
        json!({ "id": "2", "type": "subscribe", "payload": payload }),
    )
    .await;
    let follow = "subscription { stockChanged { stock } }";
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": follow } }),
    )
    .await;
    // The connection reads its messages in order: once the subscription
    // listens, the mutation sent before it is running.
    app.listening(1).await;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sse_subscription_ends_without_complete_and_its_connection_closes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let addr = app.serve().await;
    let body = json!({ "query": "subscription { stockChanged { stock } }" }).to_string();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nhost: localhost\r\naccept: text/event-stream\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    client.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buffer = vec![0; 4096];
    // Up to the comment that says the subscription listens.
    while !String::from_utf8_lossy(&received).contains(":\n\n") {
        let read = client.read(&mut buffer).await.unwrap();
        assert!(read > 0, "{}", String::from_utf8_lossy(&received));
        received.extend_from_slice(&buffer[..read]);
    }

    app.state.shutdown.begin();

    let rest = tokio::time::timeout(Duration::from_secs(5), async {
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.unwrap();
        String::from_utf8(rest).unwrap()
    })
    .await
    .expect("the connection closes");
    assert!(!rest.contains("complete"), "{rest}");
    assert!(
        rest.ends_with("0\r\n\r\n"),
        "the body ends cleanly: {rest:?}"
    );
}
