//! Limits shared through Redis by two instances on one PostgreSQL database:
//! a client spreading its requests over both is refused at the same count,
//! with the same code and `Retry-After`, as by one instance; when an
//! instance cannot reach Redis it counts alone (a fresh per-instance
//! limit, never an error), and counts with the others again once Redis is
//! back. B reaches Redis through a proxy the tests cut. Without PostgreSQL
//! or Redis these tests fail.

use std::time::Duration;

use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use serde_json::{Value, json};
use tollgate::config::ConfigArgs;

use crate::{
    helpers::{PASSWORD, TestApp, TestResponse, error_code, until},
    proxy::Proxy,
    scale_out::{linked, new_prefix, redis_addr, redis_status, redis_url, up},
};

/// A, and B behind `proxy`, sharing Redis under `prefix`, both configured
/// by `limits`; both are linked before this returns.
async fn pair(proxy: &Proxy, prefix: &str, limits: fn(&mut ConfigArgs)) -> (TestApp, TestApp) {
    let prefix = prefix.to_owned();
    let via_proxy = format!("redis://{}", proxy.addr);
    let a_prefix = prefix.clone();
    let a = TestApp::on_postgres(move |args| {
        linked(redis_url(), a_prefix)(args);
        limits(args);
    })
    .await;
    let b = a
        .sibling(move |args| {
            linked(via_proxy, prefix)(args);
            limits(args);
        })
        .await;
    up(&a, "A").await;
    up(&b, "B").await;
    (a, b)
}

/// Asserts that the limits under `prefix` left keys on Redis, every one
/// expiring (nothing accumulates).
async fn assert_limit_keys_expire(prefix: &str) {
    let client = redis::Client::open(redis_url()).unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:limits:*"))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(!keys.is_empty(), "no limit is kept on Redis");
    for key in keys {
        let ttl: i64 = redis::cmd("PTTL")
            .arg(&key)
            .query_async(&mut redis)
            .await
            .unwrap();
        // -2: expired already (a request rate's key lives a few ms).
        assert_ne!(ttl, -1, "{key} never expires");
    }
}

/// Cuts B off Redis and waits until B says so.
async fn cut_off(proxy: &Proxy, b: &TestApp) {
    proxy.cut();
    let degraded = until(Duration::from_secs(3), || async {
        redis_status(b).await == "degraded"
    })
    .await;
    assert!(degraded.is_some(), "B's /readyz still says redis ok");
}

/// Asserts that `response` refuses the whole request as RATE_LIMITED, its
/// `Retry-After` (equal to `extensions.retryAfter`) within `expected`.
fn assert_limited(response: &TestResponse, expected: std::ops::RangeInclusive<u64>) {
    assert_eq!(
        response.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    let retry_after: u64 = response.header("retry-after").unwrap().parse().unwrap();
    assert!(expected.contains(&retry_after), "Retry-After {retry_after}");
    let body = response.json();
    assert_eq!(error_code(&body), "RATE_LIMITED", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], retry_after);
}

fn assert_ok(response: &TestResponse, what: &str) {
    let body = response.json();
    assert_eq!(response.status, StatusCode::OK, "{what}: {body}");
    assert!(body.get("errors").is_none(), "{what}: {body}");
}

const TYPENAME: &str = "{ __typename }";

fn rate_of_1_with_bursts_of_4(args: &mut ConfigArgs) {
    args.rate_limit_rps = Some("1".into());
    args.rate_limit_burst = Some("4".into());
}

#[tokio::test]
async fn the_request_rate_is_shared_by_instances_and_counted_alone_while_redis_is_cut() {
    let proxy = Proxy::start(redis_addr()).await;
    let prefix = new_prefix();
    let (a, b) = pair(&proxy, &prefix, rate_of_1_with_bursts_of_4).await;
    for (n, app) in [&a, &b, &a, &b].into_iter().enumerate() {
        assert_ok(
            &app.send(None, &[], TYPENAME, json!({})).await,
            &format!("request {n}"),
        );
    }
    assert_limited(&a.send(None, &[], TYPENAME, json!({})).await, 1..=1);
    assert_limited(&b.send(None, &[], TYPENAME, json!({})).await, 1..=1);

    // B alone: a burst of its own, then refused by its own count.
    assert_limit_keys_expire(&prefix).await;
    cut_off(&proxy, &b).await;
    for n in 0..4 {
        assert_ok(
            &b.send(None, &[], TYPENAME, json!({})).await,
            &format!("alone {n}"),
        );
    }
    assert_limited(&b.send(None, &[], TYPENAME, json!({})).await, 1..=1);
    proxy.restore();
    up(&b, "B").await;
}

#[tokio::test]
async fn requests_refused_before_running_count_against_the_shared_rate_and_one_over_it_runs_nothing()
 {
    let proxy = Proxy::start(redis_addr()).await;
    let (a, b) = pair(&proxy, &new_prefix(), rate_of_1_with_bursts_of_4).await;
    // Four requests none of which gets to run an operation: bodies that are
    // not JSON, documents that do not parse.
    for app in [&a, &b] {
        let not_json = Request::post("/graphql")
            .header("content-type", "application/json")
            .body(Body::from("{"))
            .unwrap();
        assert_eq!(app.request(not_json).await.status, StatusCode::BAD_REQUEST);
        let unparsed = app.send(None, &[], "{ products(", json!({})).await;
        assert_eq!(error_code(&unparsed.json()), "GRAPHQL_PARSE_FAILED");
    }
    // The fifth, a registration, is refused as a whole and does not run.
    assert_limited(&register(&b, "late@example.com").await, 1..=1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let registered = register(&a, "late@example.com").await;
    assert_ok(&registered, "the registration, once the rate allows it");
}

#[tokio::test]
async fn a_request_dropped_unanswered_still_counts_against_the_shared_rate() {
    let proxy = Proxy::start(redis_addr()).await;
    let (a, b) = pair(&proxy, &new_prefix(), rate_of_1_with_bursts_of_4).await;
    // Four requests whose bodies never finish, given up by their clients.
    for app in [&a, &b, &a, &b] {
        let endless = Body::from_stream(futures_util::stream::pending::<
            Result<axum::body::Bytes, std::io::Error>,
        >());
        let request = Request::post("/graphql")
            .header("content-type", "application/json")
            .body(endless)
            .unwrap();
        let given_up = tokio::time::timeout(Duration::from_millis(50), app.request(request)).await;
        assert!(given_up.is_err(), "a request without its body was answered");
    }
    // Counted in the background as they were dropped.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_limited(&a.send(None, &[], TYPENAME, json!({})).await, 1..=1);
}

/// 20 objects: a cost of 20, all of it actually spent.
fn twenty_viewers() -> String {
    let fields: String = (0..20).map(|n| format!("v{n}: viewer {{ id }} ")).collect();
    format!("{{ {fields} }}")
}

fn a_bucket_of_100_restoring_1_per_second(args: &mut ConfigArgs) {
    args.cost_bucket_size = Some("100".into());
    args.cost_restore_rate = Some("1".into());
}

/// What is left in the viewer's bucket after `response`.
fn available(response: &TestResponse) -> Value {
    response.json()["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"].clone()
}

#[tokio::test]
async fn a_cost_budget_is_shared_by_instances_and_counted_alone_while_redis_is_cut() {
    let proxy = Proxy::start(redis_addr()).await;
    let prefix = new_prefix();
    let (a, b) = pair(&proxy, &prefix, a_bucket_of_100_restoring_1_per_second).await;
    let ada = a.register("ada@example.com").await;
    let token = Some(ada.access_token.as_str());
    let query = twenty_viewers();
    let mut left = Vec::new();
    for (n, app) in [&a, &b, &a, &b, &a].into_iter().enumerate() {
        let response = app.send(token, &[], &query, json!({})).await;
        assert_ok(&response, &format!("operation {n}"));
        left.push(available(&response).as_u64().unwrap());
    }
    // One bucket, whichever instance answered (a point a second comes back).
    for (n, left) in left.iter().enumerate() {
        let spent = 20 * (n as u64 + 1);
        assert!(
            (100 - spent..=100 - spent + 2).contains(left),
            "{left} after {spent}"
        );
    }
    let refused = b.send(token, &[], &query, json!({})).await;
    assert_limited(&refused, 15..=20);
    assert!(available(&refused).as_u64().unwrap() < 20);

    // B alone: a full bucket of its own, then refused by it.
    assert_limit_keys_expire(&prefix).await;
    cut_off(&proxy, &b).await;
    for n in 0..5 {
        assert_ok(
            &b.send(token, &[], &query, json!({})).await,
            &format!("alone {n}"),
        );
    }
    assert_limited(&b.send(token, &[], &query, json!({})).await, 15..=20);
    proxy.restore();
    up(&b, "B").await;
    assert_limited(&b.send(token, &[], &query, json!({})).await, 1..=20);
}

#[tokio::test]
async fn what_an_operation_did_not_spend_goes_back_to_the_shared_bucket() {
    let proxy = Proxy::start(redis_addr()).await;
    let (a, b) = pair(
        &proxy,
        &new_prefix(),
        a_bucket_of_100_restoring_1_per_second,
    )
    .await;
    let ada = a.register("ada@example.com").await;
    let token = Some(ada.access_token.as_str());
    // Asks for a page of 50 products, and spends little: the catalog is
    // empty.
    let page = "{ products(first: 50) { edges { node { id } } } }";
    let asked = a.send(token, &[], page, json!({})).await;
    assert_ok(&asked, "the page");
    let cost = &asked.json()["extensions"]["cost"];
    let (requested, actual) = (
        cost["requestedQueryCost"].as_u64().unwrap(),
        cost["actualQueryCost"].as_u64().unwrap(),
    );
    assert!(requested >= actual + 40, "{cost}");
    let left = available(&asked).as_u64().unwrap();
    assert!((100 - actual..=100 - actual + 1).contains(&left), "{cost}");

    // B sees the bucket with the points given back, well within a second
    // (each look costs a point; one a second comes back).
    let seen = until(Duration::from_secs(1), || async {
        let looked = b.send(token, &[], "{ viewer { id } }", json!({})).await;
        available(&looked).as_u64().unwrap() + 10 >= 100 - actual
    })
    .await;
    assert!(seen.is_some(), "B never saw the points given back on A");
}

fn three_failures_per_account(args: &mut ConfigArgs) {
    args.login_max_failures = Some("3".into());
}

async fn fails_to_log_in(app: &TestApp, email: &str) {
    let body = app
        .login_response(email, "wrong password!", &[])
        .await
        .json();
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
}

#[tokio::test]
async fn login_failures_are_shared_by_instances_and_counted_alone_while_redis_is_cut() {
    let proxy = Proxy::start(redis_addr()).await;
    let prefix = new_prefix();
    let (a, b) = pair(&proxy, &prefix, three_failures_per_account).await;
    a.register("ada@example.com").await;
    for app in [&a, &b, &a] {
        fails_to_log_in(app, "ada@example.com").await;
    }
    let throttled = b.login_response("ada@example.com", PASSWORD, &[]).await;
    assert_limited(&throttled, 1..=900);
    assert_limited(
        &a.login_response("ada@example.com", PASSWORD, &[]).await,
        1..=900,
    );

    // B alone has seen no failure: it lets Ada in, then counts its own.
    assert_limit_keys_expire(&prefix).await;
    cut_off(&proxy, &b).await;
    assert!(b.login("ada@example.com", PASSWORD).await.is_some());
    for _ in 0..3 {
        fails_to_log_in(&b, "ada@example.com").await;
    }
    assert_limited(
        &b.login_response("ada@example.com", PASSWORD, &[]).await,
        1..=900,
    );
    proxy.restore();
    up(&b, "B").await;
}

fn two_registrations_per_hour(args: &mut ConfigArgs) {
    args.register_per_hour = Some("2".into());
}

async fn register(app: &TestApp, email: &str) -> TestResponse {
    let input = json!({ "email": email, "password": PASSWORD, "displayName": "Someone" });
    app.send(
        None,
        &[],
        "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }",
        json!({ "input": input }),
    )
    .await
}

#[tokio::test]
async fn registrations_are_shared_by_instances_and_counted_alone_while_redis_is_cut() {
    let proxy = Proxy::start(redis_addr()).await;
    let prefix = new_prefix();
    let (a, b) = pair(&proxy, &prefix, two_registrations_per_hour).await;
    assert_ok(&register(&a, "a@example.com").await, "first");
    assert_ok(&register(&b, "b@example.com").await, "second");
    assert_limited(&register(&a, "c@example.com").await, 1..=3600);
    assert_limited(&register(&b, "c@example.com").await, 1..=3600);

    assert_limit_keys_expire(&prefix).await;
    cut_off(&proxy, &b).await;
    assert_ok(&register(&b, "d@example.com").await, "alone, first");
    assert_ok(&register(&b, "e@example.com").await, "alone, second");
    assert_limited(&register(&b, "f@example.com").await, 1..=3600);
    proxy.restore();
    up(&b, "B").await;
    assert_limited(&register(&b, "g@example.com").await, 1..=3600);
}
