//! GraphQL over Server-Sent Events (graphql-sse, distinct connections):
//! the same answers, rules and refusals as POST, as `next` and `complete`
//! events.

use std::time::Duration;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::{
    commerce::Shop,
    helpers::{TestApp, error_code},
};

/// An open event stream, read event by event.
pub(crate) struct Events {
    body: Body,
    buffer: String,
}

impl Events {
    /// The next event as (name, data), comments skipped; `None` when the
    /// stream ended or nothing came within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<(String, String)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut event, mut data) = (String::new(), Vec::new());
                for line in block.lines() {
                    if let Some(name) = line.strip_prefix("event:") {
                        event = name.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push(value.strip_prefix(' ').unwrap_or(value).to_owned());
                    }
                }
                if event.is_empty() && data.is_empty() {
                    continue;
                }
                return Some((event, data.join("\n")));
            }
            let frame = tokio::time::timeout(wait, self.body.frame())
                .await
                .ok()??
                .unwrap();
            if let Ok(bytes) = frame.into_data() {
                self.buffer.push_str(std::str::from_utf8(&bytes).unwrap());
            }
        }
    }

    /// What the stream says first: `None` when it is the comment that tells
    /// that the subscription listens, else the first `next` event's result.
    pub(crate) async fn opening(&mut self) -> Option<Value> {
        while !self.buffer.contains("\n\n") {
            let frame = tokio::time::timeout(Duration::from_secs(5), self.body.frame())
                .await
                .unwrap_or_else(|_| panic!("nothing said: {:?}", self.buffer))
                .unwrap()
                .unwrap();
            let bytes = frame.into_data().unwrap();
            self.buffer.push_str(std::str::from_utf8(&bytes).unwrap());
        }
        if self.buffer.starts_with(":\n\n") {
            self.buffer.drain(..3);
            return None;
        }
        Some(self.result().await)
    }

    /// Reads the comment that tells that the subscription listens.
    async fn listening(&mut self) {
        if let Some(result) = self.opening().await {
            panic!("not listening: {result}");
        }
    }

    /// The next `next` event's result, then whether `complete` follows.
    async fn result(&mut self) -> Value {
        let (event, data) = self.next(Duration::from_secs(5)).await.expect("an event");
        assert_eq!(event, "next", "{data}");
        serde_json::from_str(&data).unwrap()
    }

    async fn completes(&mut self) {
        let (event, data) = self.next(Duration::from_secs(5)).await.expect("complete");
        assert_eq!((event.as_str(), data.as_str()), ("complete", ""));
        assert!(self.next(Duration::from_secs(1)).await.is_none());
    }
}

/// Sends `request` and returns the open stream, which must be one.
async fn stream(app: &TestApp, request: Request<Body>) -> Events {
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers();
    assert_eq!(headers[header::CONTENT_TYPE], "text/event-stream");
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    assert_eq!(headers["x-accel-buffering"], "no");
    // Never compressed: gzip would hold events back.
    assert!(headers.get(header::CONTENT_ENCODING).is_none());
    Events {
        body: response.into_body(),
        buffer: String::new(),
    }
}

fn post(token: Option<&str>, body: &Value) -> Request<Body> {
    let mut request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "text/event-stream")
        .header(header::ACCEPT_ENCODING, "gzip");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::from(body.to_string())).unwrap()
}

pub(crate) async fn subscribe(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Events {
    stream(
        app,
        post(token, &json!({ "query": query, "variables": variables })),
    )
    .await
}

const CATALOG: &str = "{ products(first: 3) { edges { node { sku name priceCents } } } }";

#[tokio::test]
async fn a_query_over_sse_is_one_next_with_the_data_of_post_then_complete() {
    let app = TestApp::seeded().await;
    let mut events = subscribe(&app, None, CATALOG, json!({})).await;
    let result = events.result().await;
    events.completes().await;
    let posted = app.graphql(CATALOG, json!({})).await.json();
    assert_eq!(result["data"], posted["data"]);
    assert_eq!(
        result["data"]["products"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn a_mutation_over_sse_runs_once_as_the_viewer() {
    let shop = Shop::open().await;
    let mug = shop
        .app
        .create_product(&shop.staff, "MUG-1", 1250, 10)
        .await;
    let place =
        "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { status totalCents } }";
    let input = json!({ "input": { "items": [{ "productId": mug, "quantity": 2 }] } });
    let mut events = subscribe(&shop.app, Some(&shop.ada.access_token), place, input).await;
    let result = events.result().await;
    events.completes().await;
    assert_eq!(
        result["data"]["placeOrder"],
        json!({ "status": "PENDING", "totalCents": 2500 })
    );
    assert_eq!(shop.app.stock(&mug).await, 8);
}

const ORDER_STATUS: &str =
    "subscription($id: ID) { orderStatusChanged(orderId: $id) { id status } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_hears_their_order_ship_over_sse_and_another_customer_hears_nothing() {
    let shop = Shop::open().await;
    let order = shop.paid_order("sse-test-payment").await;
    let variables = json!({ "id": order });
    let mut ada = subscribe(
        &shop.app,
        Some(&shop.ada.access_token),
        ORDER_STATUS,
        variables.clone(),
    )
    .await;
    let mut bob = subscribe(
        &shop.app,
        Some(&shop.bob.access_token),
        ORDER_STATUS,
        variables,
    )
    .await;
    for events in [&mut ada, &mut bob] {
        events.listening().await;
    }

    shop.ship(&order).await;

    let heard = ada.result().await;
    assert_eq!(
        heard["data"]["orderStatusChanged"],
        json!({ "id": order, "status": "SHIPPED" })
    );
    assert!(
        bob.next(Duration::from_millis(500)).await.is_none(),
        "bob hears nothing"
    );
}

#[tokio::test]
async fn an_anonymous_order_subscription_over_sse_is_unauthenticated() {
    let shop = Shop::open().await;
    let mut events = subscribe(&shop.app, None, ORDER_STATUS, json!({})).await;
    let refused = events.result().await;
    events.completes().await;
    assert_eq!(error_code(&refused), "UNAUTHENTICATED", "{refused}");
    assert!(refused["errors"][0]["extensions"]["requestId"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_hears_stock_changes_over_sse_past_the_request_timeout_and_a_get_may_subscribe() {
    let shop = Shop::open().await;
    let mug = shop
        .app
        .create_product(&shop.staff, "MUG-1", 1250, 10)
        .await;
    let query = "subscription { stockChanged { sku stock } }";
    let uri = format!(
        "/graphql?query={}",
        query
            .replace(' ', "%20")
            .replace('{', "%7B")
            .replace('}', "%7D")
    );
    let get = Request::get(uri)
        .header(header::ACCEPT, "text/event-stream")
        .body(Body::empty())
        .unwrap();
    // The request timeout bounds the answer's start, not a stream.
    let app = shop
        .app
        .sibling(|a| a.request_timeout_secs = Some("1".into()))
        .await;
    let mut events = stream(&app, get).await;
    events.listening().await;
    // The stream outlives the one-second request timeout.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    app.place_order(&shop.ada, &[(&mug, 3)]).await;
    let heard = events.result().await;
    assert_eq!(
        heard["data"]["stockChanged"],
        json!({ "sku": "MUG-1", "stock": 7 })
    );
}

#[tokio::test]
async fn a_mutation_cannot_be_sent_with_get_over_sse_either() {
    let app = TestApp::spawn().await;
    let get = Request::get("/graphql?query=mutation%7Blogout(refreshToken:%22x%22)%7D")
        .header(header::ACCEPT, "text/event-stream")
        .body(Body::empty())
        .unwrap();
    let response = app.request(get).await;
    assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.header("allow"), Some("POST"));
}

#[tokio::test]
async fn limits_over_sse_refuse_with_the_codes_of_post() {
    let app = TestApp::seeded().await;
    let deep = "{ products { edges { node { reviews { edges { node { author { reviews { edges { node { author { id } } } } } } } } } } } }";
    let mut events = subscribe(&app, None, deep, json!({})).await;
    let refused = events.result().await;
    events.completes().await;
    let posted = app.graphql(deep, json!({})).await.json();
    assert_eq!(error_code(&refused), "QUERY_TOO_COMPLEX", "{refused}");
    assert_eq!(
        refused["errors"][0]["extensions"]["limit"],
        posted["errors"][0]["extensions"]["limit"]
    );
    let mut unparsable = subscribe(&app, None, "{ products {", json!({})).await;
    assert_eq!(
        error_code(&unparsable.result().await),
        "GRAPHQL_PARSE_FAILED"
    );
    unparsable.completes().await;
}

#[tokio::test]
async fn an_empty_cost_budget_refuses_over_sse_with_rate_limited() {
    let app = TestApp::seeded_with(|a| {
        a.cost_bucket_size = Some("5".into());
        a.cost_restore_rate = Some("1".into());
    })
    .await;
    let mut refused = None;
    for _ in 0..5 {
        let mut events = subscribe(&app, None, CATALOG, json!({ "n": 1 })).await;
        let result = events.result().await;
        events.completes().await;
        if error_code(&result) == "RATE_LIMITED" {
            refused = Some(result);
            break;
        }
    }
    let refused = refused.expect("the budget runs out");
    assert!(
        refused["errors"][0]["extensions"]["retryAfter"].is_u64(),
        "{refused}"
    );
}

#[tokio::test]
async fn only_trusted_documents_run_over_sse_in_only_trusted_mode() {
    let (app, hash, _dir) = crate::security::trusting("only").await;
    let mut known = stream(&app, post(None, &json!({ "documentId": hash }))).await;
    assert_eq!(
        known.result().await["data"]["products"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    known.completes().await;
    for untrusted in [
        "{ products(first: 100) { edges { node { sku } } } }",
        "subscription { stockChanged { id } }",
    ] {
        let mut events = subscribe(&app, None, untrusted, json!({})).await;
        let refused = events.result().await;
        events.completes().await;
        assert_eq!(
            error_code(&refused),
            "PERSISTED_QUERY_NOT_FOUND",
            "{refused}"
        );
    }
}

#[tokio::test]
async fn without_text_event_stream_in_accept_nothing_changes() {
    let app = TestApp::seeded().await;
    for accept in [
        "application/json",
        "*/*",
        "application/json, text/event-stream;q=0.5",
    ] {
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, accept)
            .body(Body::from(json!({ "query": CATALOG }).to_string()))
            .unwrap();
        let response = app.request(request).await;
        assert_eq!(response.status, StatusCode::OK, "{accept}");
        assert!(
            response
                .header("content-type")
                .unwrap()
                .starts_with("application/json"),
            "{accept}"
        );
        assert!(response.json()["data"]["products"].is_object());
    }
}

#[tokio::test]
async fn requests_that_post_refuses_are_refused_with_the_same_http_errors() {
    let app = TestApp::spawn().await;
    let batch = json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }]);
    let mut request = post(None, &batch);
    request.headers_mut().remove(header::ACCEPT_ENCODING);
    let response = app.request(request).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&response.json()), "BAD_REQUEST");
    let not_json = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::ACCEPT, "text/event-stream")
        .body(Body::from("{ __typename }"))
        .unwrap();
    assert_eq!(
        app.request(not_json).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let garbage = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "text/event-stream")
        .body(Body::from("{ not json"))
        .unwrap();
    let response = app.request(garbage).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&response.json()), "BAD_REQUEST");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_over_sse_ends_unauthenticated_when_its_token_expires() {
    let app = TestApp::with(|a| a.access_token_ttl_secs = Some("3".into())).await;
    let ada = app.register("ada@example.com").await;
    let mut events = subscribe(&app, Some(&ada.access_token), ORDER_STATUS, json!({})).await;
    events.listening().await;
    let (event, data) = events
        .next(Duration::from_secs(6))
        .await
        .expect("an event at expiry");
    assert_eq!(event, "next");
    let expired: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(error_code(&expired), "UNAUTHENTICATED", "{expired}");
    events.completes().await;
}
