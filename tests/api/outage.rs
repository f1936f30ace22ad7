//! A database that cannot be reached: clients are told SERVICE_UNAVAILABLE
//! with `retryAfter` (HTTP 503 and `Retry-After` when nothing could be
//! answered), never UNAUTHENTICATED, so nobody discards their tokens; no
//! acknowledged order is lost, none is half-written, and orders resume as
//! soon as the database is back.

use std::{
    sync::{
        OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{body::Body, http::Request};
use futures_util::future::join_all;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tollgate::auth::Role;

use crate::{
    commerce::subscriptions::init,
    helpers::{Session, TestApp, TestResponse, until},
    proxy::Proxy,
};

const VIEWER_AND_CATALOG: &str = "{ viewer { id } products(first: 1) { edges { node { id } } } }";

const PLACE_ORDER: &str =
    "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id items { quantity } } }";

/// Asserts that nothing could be answered because the database is down.
fn assert_unavailable(response: &TestResponse, what: &str) {
    let body = response.json();
    assert_eq!(response.status, 503, "{what}: {body}");
    assert_eq!(response.header("retry-after"), Some("2"), "{what}");
    let errors = body["errors"].as_array().unwrap();
    for error in errors {
        assert_eq!(
            error["extensions"]["code"], "SERVICE_UNAVAILABLE",
            "{what}: {body}"
        );
        assert_eq!(error["extensions"]["retryAfter"], 2, "{what}: {body}");
    }
}

#[tokio::test]
async fn a_signed_in_client_is_told_the_service_is_unavailable_not_unauthenticated() {
    let app = TestApp::seeded().await;
    let session = app.register("ada@example.com").await;
    let product = app.newest_product_id().await;
    let down = app.sibling(|_| {}).await;
    down.state.db.close_by_ref().await.unwrap();

    let token = Some(session.access_token.as_str());
    let read = down.send(token, &[], VIEWER_AND_CATALOG, json!({})).await;
    assert_unavailable(&read, "viewer and catalog");
    assert_eq!(read.json().get("data"), Some(&Value::Null));
    let input = json!({ "input": { "items": [{ "productId": product, "quantity": 1 }] } });
    let write = down.send(token, &[], PLACE_ORDER, input).await;
    assert_unavailable(&write, "placeOrder");
    let anonymous = down.send(None, &[], VIEWER_AND_CATALOG, json!({})).await;
    assert_unavailable(&anonymous, "anonymous catalog");
    let ready = down
        .request(Request::get("/readyz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(ready.status, 503);

    // A WebSocket whose token cannot be checked is told to try again later
    // (1013), not that its token is refused (4403).
    let addr = down.serve().await;
    let (_, closed) = init(addr, Some(&session.access_token)).await;
    assert_eq!(closed, Some(Err(Some(1013))));

    // The session is intact: the instance that can reach the database
    // still honours the token.
    let viewer = app.data_as(&session, "{ viewer { id } }").await;
    assert_eq!(viewer["viewer"]["id"], session.user_id.as_str());
}

/// One placeOrder as a writer saw it.
struct Attempt {
    started: Instant,
    took: Duration,
    status: u16,
    body: Value,
}

#[tokio::test]
async fn orders_through_a_postgres_outage_lose_nothing_and_resume_at_once() {
    let app = TestApp::seeded().await;
    // An outage of an embedded SQLite file cannot happen; the test above
    // covers what clients are told on both databases.
    let Some((head, rest)) = app
        .database_url()
        .strip_prefix("postgres://")
        .and_then(|url| url.split_once('@'))
    else {
        return;
    };
    let (upstream, database) = rest.split_once('/').unwrap();
    let proxy = Proxy::start(upstream.to_owned()).await;
    let url = format!("postgres://{head}@{}/{database}", proxy.addr);
    let shop = app
        .sibling_at(&url, |args| {
            args.db_acquire_timeout_secs = Some("1".into());
            args.db_max_connections = Some("16".into());
        })
        .await;
    let staff = app.user_with_role("staff@example.com", Role::Staff).await;
    let product = app.create_product(&staff, "OUTAGE-1", 100, 100_000).await;
    let mut writers = Vec::new();
    for i in 0..16 {
        writers.push(app.register(&format!("writer{i}@example.com")).await);
    }

    // The database goes once orders are flowing, and comes back once a
    // writer has been told it is unavailable.
    let timeline = Timeline::default();
    let outage = async {
        let flowing = until(Duration::from_secs(30), || async {
            timeline.acknowledged.load(Ordering::Acquire) >= writers.len()
        })
        .await;
        proxy.cut();
        let noticed = until(Duration::from_secs(30), || async {
            timeline.refused.load(Ordering::Acquire) > 0
        })
        .await;
        proxy.restore();
        let _ = timeline.restored.set(Instant::now());
        (flowing, noticed)
    };
    let writing = join_all(
        writers
            .iter()
            .map(|writer| write_until(&shop, writer, &product, &timeline)),
    );
    let ((flowing, noticed), attempts) = tokio::join!(outage, writing);
    assert!(flowing.is_some(), "orders flowed before the outage");
    assert!(noticed.is_some(), "the outage was noticed");
    let restored = *timeline.restored.get().unwrap();
    let attempts: Vec<Attempt> = attempts.into_iter().flatten().collect();

    let mut acknowledged = Vec::new();
    for attempt in &attempts {
        assert!(
            attempt.took < Duration::from_secs(3),
            "answered after {:?}: {}",
            attempt.took,
            attempt.body
        );
        match attempt.body["data"]["placeOrder"]["id"].as_str() {
            Some(id) => acknowledged.push(id.to_owned()),
            None => {
                assert_eq!(attempt.status, 503, "{}", attempt.body);
                assert_eq!(
                    attempt.body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
                    "{}",
                    attempt.body
                );
            }
        }
    }
    let failed = attempts.iter().filter(|a| a.status == 503).count();
    let resumed = attempts
        .iter()
        .filter(|a| a.status == 200 && a.started > restored)
        .map(|a| a.started + a.took - restored)
        .min()
        .expect("orders resumed after the outage");
    assert!(
        resumed < Duration::from_secs(2),
        "resumed after {resumed:?}"
    );
    println!(
        "{} placeOrder attempts by 16 writers: {} acknowledged, {failed} told SERVICE_UNAVAILABLE; first order {resumed:?} after the database came back",
        attempts.len(),
        acknowledged.len(),
    );

    // Every acknowledged order is there, whole; no order is half-written,
    // and the stock matches the orders that exist.
    for id in &acknowledged {
        let order = app
            .data_as(
                &staff,
                &format!("{{ order(id: \"{id}\") {{ items {{ quantity }} }} }}"),
            )
            .await;
        assert_eq!(order["order"]["items"], json!([{ "quantity": 1 }]), "{id}");
    }
    let count = |sql: String| {
        let db = app.state.db.clone();
        async move {
            let statement = Statement::from_string(db.get_database_backend(), sql);
            let row = db.query_one_raw(statement).await.unwrap().unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    let partial = count(
        "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)".into(),
    )
    .await;
    assert_eq!(partial, 0, "orders without their lines");
    let ordered = count(format!(
        "SELECT COALESCE(SUM(quantity), 0)::bigint FROM order_items WHERE product_id = '{product}'"
    ))
    .await;
    assert!(ordered >= acknowledged.len() as i64);
    assert_eq!(i64::from(app.stock(&product).await), 100_000 - ordered);
}

/// What the writers have seen, and when the database came back.
#[derive(Default)]
struct Timeline {
    acknowledged: AtomicUsize,
    refused: AtomicUsize,
    restored: OnceLock<Instant>,
}

impl Timeline {
    /// Whether writing goes on: until two seconds after the database came
    /// back, or a minute if it never goes.
    fn writing(&self, since: Instant) -> bool {
        match self.restored.get() {
            Some(restored) => restored.elapsed() < Duration::from_secs(2),
            None => since.elapsed() < Duration::from_secs(60),
        }
    }
}

/// Places one-unit orders of `product` until the timeline says stop.
async fn write_until(
    shop: &TestApp,
    writer: &Session,
    product: &str,
    timeline: &Timeline,
) -> Vec<Attempt> {
    let mut attempts = Vec::new();
    let since = Instant::now();
    while timeline.writing(since) {
        let started = Instant::now();
        let input = json!({ "input": { "items": [{ "productId": product, "quantity": 1 }] } });
        let response = shop
            .send(Some(&writer.access_token), &[], PLACE_ORDER, input)
            .await;
        let status = response.status.as_u16();
        let counter = match status {
            200 => &timeline.acknowledged,
            _ => &timeline.refused,
        };
        counter.fetch_add(1, Ordering::AcqRel);
        attempts.push(Attempt {
            started,
            took: started.elapsed(),
            status,
            body: response.json(),
        });
    }
    attempts
}
