//! Automatic persisted queries across instances: a document registered on
//! A is served by its hash on B; Redis keeps it for `APQ_TTL_SECS` at most;
//! what Redis holds is used only if it matches its hash; while B cannot
//! reach Redis, B serves what it holds and asks for the text of the rest.

use std::time::Duration;

use redis::AsyncCommands;
use serde_json::{Value, json};

use super::{linked, new_prefix, pair_via, redis_addr, redis_status, redis_url, until, up};
use crate::{
    caching::sha256,
    helpers::{TestApp, error_code},
    proxy::Proxy,
};

const QUERY: &str = "{ products(first: 1) { edges { cursor } } }";
const TTL_SECS: u64 = 120;

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// Registers `query` on `app` (sent with its hash); the answer's data.
async fn register(app: &TestApp, query: &str) -> Value {
    let body = app
        .post_json(&json!({ "query": query, "extensions": persisted(&sha256(query)) }))
        .await
        .json();
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

/// What `app` answers to the hash of `query` alone.
async fn by_hash(app: &TestApp, query: &str) -> Value {
    app.post_json(&json!({ "extensions": persisted(&sha256(query)) }))
        .await
        .json()
}

/// A and B linked under one prefix, persisted queries kept for
/// [`TTL_SECS`]; and the prefix.
async fn pair_with_ttl() -> (TestApp, TestApp, String) {
    let prefix = new_prefix();
    let link = |url: String| {
        let prefix = prefix.clone();
        move |args: &mut tollgate::config::ConfigArgs| {
            linked(url, prefix)(args);
            args.apq_ttl_secs = Some(TTL_SECS.to_string());
        }
    };
    let a = TestApp::on_postgres(link(redis_url())).await;
    let b = a.sibling(link(redis_url())).await;
    up(&a, "A").await;
    up(&b, "B").await;
    (a, b, prefix)
}

async fn redis() -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(redis_url()).unwrap();
    client.get_multiplexed_async_connection().await.unwrap()
}

#[tokio::test]
async fn a_query_registered_on_one_instance_is_served_by_hash_on_the_other_for_a_bounded_time() {
    let (a, b, prefix) = pair_with_ttl().await;
    let registered = register(&a, QUERY).await;

    let within = Duration::from_secs(1);
    let served = until(within, || async {
        by_hash(&b, QUERY).await["data"] == registered
    })
    .await;
    assert!(
        served.is_some(),
        "B does not serve the hash within {within:?}"
    );

    let key = format!("{prefix}:apq:{}", sha256(QUERY));
    let ttl: i64 = redis().await.ttl(&key).await.unwrap();
    assert!(
        (1..=TTL_SECS as i64).contains(&ttl),
        "{key} expires in {ttl} s, not within {TTL_SECS} s"
    );
    let stored: String = redis().await.get(&key).await.unwrap();
    assert_eq!(stored, QUERY);
}

#[tokio::test]
async fn a_document_in_redis_that_does_not_match_its_hash_is_not_served() {
    let (_a, b, prefix) = pair_with_ttl().await;
    let key = format!("{prefix}:apq:{}", sha256(QUERY));
    let forged = "{ products(first: 2) { edges { cursor } } }";
    let () = redis().await.set_ex(&key, forged, 60).await.unwrap();
    let body = by_hash(&b, QUERY).await;
    assert_eq!(error_code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
}

#[tokio::test]
async fn while_redis_is_unreachable_an_instance_serves_the_queries_it_holds_and_asks_for_the_rest()
{
    let proxy = Proxy::start(redis_addr()).await;
    let (a, b) = pair_via(format!("redis://{}", proxy.addr)).await;
    let held = "{ products(first: 2) { edges { cursor } } }";
    let registered_on_b = register(&b, held).await;

    proxy.cut();
    let degraded = until(Duration::from_secs(3), || async {
        redis_status(&b).await == "degraded"
    })
    .await;
    assert!(degraded.is_some(), "B's /readyz still says redis ok");

    // B serves what it holds without Redis.
    assert_eq!(by_hash(&b, held).await["data"], registered_on_b);
    // A registers a document B cannot fetch: B asks for the text, at once,
    // and the client's second try with the text registers it on B.
    register(&a, QUERY).await;
    let started = std::time::Instant::now();
    let body = by_hash(&b, QUERY).await;
    assert_eq!(error_code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "B waited {:?} on Redis",
        started.elapsed()
    );
    let registered_on_b = register(&b, QUERY).await;
    assert_eq!(by_hash(&b, QUERY).await["data"], registered_on_b);

    proxy.restore();
    up(&b, "B").await;
    let other = "{ products(first: 3) { edges { cursor } } }";
    let registered = register(&a, other).await;
    let within = Duration::from_secs(1);
    let served = until(within, || async {
        by_hash(&b, other).await["data"] == registered
    })
    .await;
    assert!(
        served.is_some(),
        "B does not serve the hash within {within:?}"
    );
}
