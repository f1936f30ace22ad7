//! Subscriptions across instances, over real WebSockets: an event committed
//! on A reaches subscribers on B, each checked as a local event would be;
//! while B cannot reach Redis, B's own events still reach B's subscribers.

use std::{
    collections::HashSet,
    future::Future,
    net::SocketAddr,
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tollgate::auth::Role;

use super::{pair, pair_via, redis_addr, redis_status, until, up};
use crate::{
    commerce::subscriptions::{Socket, next, open, send},
    helpers::{Session, TestApp},
    proxy::Proxy,
};

const ORDER_STATUS: &str = "subscription { orderStatusChanged { id status } }";
const STOCK: &str = "subscription($id: ID) { stockChanged(productId: $id) { id stock } }";
/// How long a subscription may take to start listening, at most.
const STARTED: Duration = Duration::from_secs(5);
/// How soon a subscriber hears of an event committed on another instance.
const FAN_OUT: Duration = Duration::from_secs(1);

/// A socket on `addr` as `viewer`, subscribed to `query` as "1".
async fn subscribed(
    addr: SocketAddr,
    viewer: Option<&Session>,
    query: &str,
    variables: Value,
) -> Socket {
    let mut socket = open(addr, viewer.map(|v| v.access_token.as_str())).await;
    let payload = json!({ "query": query, "variables": variables });
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": payload }),
    )
    .await;
    socket
}

/// The `field` of each event `socket` receives within `wait` of the last.
async fn events(socket: &mut Socket, field: &str, wait: Duration) -> Vec<Value> {
    let mut heard = Vec::new();
    while let Some(message) = next(socket, wait).await {
        let message = message.unwrap_or_else(|code| panic!("the socket closed: {code:?}"));
        assert_eq!(message["type"], "next", "{message}");
        heard.push(message["payload"]["data"][field].clone());
    }
    heard
}

/// Repeats `act` until `socket` receives an event (the subscription has
/// started) or [`STARTED`] passes; what each act returned, and the events
/// received.
async fn once_started<F, Fut, T>(
    socket: &mut Socket,
    field: &str,
    mut act: F,
) -> (Vec<T>, Vec<Value>)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    let start = Instant::now();
    let mut acted = Vec::new();
    loop {
        acted.push(act().await);
        let heard = events(socket, field, Duration::from_millis(200)).await;
        if !heard.is_empty() {
            return (acted, heard);
        }
        assert!(
            start.elapsed() < STARTED,
            "no event within {STARTED:?} of subscribing"
        );
    }
}

/// Events on `socket` until one equals `wanted` (within `within`), the
/// ones before it included.
async fn until_heard(
    socket: &mut Socket,
    field: &str,
    wanted: &Value,
    within: Duration,
) -> Vec<Value> {
    let start = Instant::now();
    let mut heard = Vec::new();
    while start.elapsed() < within {
        let Some(message) = next(socket, within.saturating_sub(start.elapsed())).await else {
            break;
        };
        let message = message.unwrap_or_else(|code| panic!("the socket closed: {code:?}"));
        assert_eq!(message["type"], "next", "{message}");
        let event = message["payload"]["data"][field].clone();
        let found = event == *wanted;
        heard.push(event);
        if found {
            return heard;
        }
    }
    panic!("{wanted} not heard within {within:?}; heard {heard:?}");
}

/// Places and pays an order of one `product` as `customer` on `app`; its id.
async fn paid_order(app: &TestApp, customer: &Session, product: &str) -> String {
    let placed = app.place_order(customer, &[(product, 1)]).await;
    let id = placed["data"]["placeOrder"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("placeOrder failed: {placed}"))
        .to_owned();
    let paid = app.pay(customer, &id, &format!("pay-{id}")).await;
    assert_eq!(
        paid["data"]["payOrder"]["order"]["status"], "PAID",
        "{paid}"
    );
    id
}

async fn ship(app: &TestApp, staff: &Session, order: &str) {
    let body = app
        .graphql_as(
            Some(&staff.access_token),
            "mutation($id: ID!) { shipOrder(id: $id) { status } }",
            json!({ "id": order }),
        )
        .await
        .json();
    assert_eq!(body["data"]["shipOrder"]["status"], "SHIPPED", "{body}");
}

/// The ids of `events`, each of which must be one of `own`.
fn all_own(events: &[Value], own: &HashSet<String>, who: &str) {
    for event in events {
        let id = event["id"].as_str().unwrap_or_default();
        assert!(
            own.contains(id),
            "{who} heard of an order not theirs: {event}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_shipped_on_one_instance_reaches_its_owner_on_the_other_and_nobody_else() {
    let (a, b) = pair().await;
    let addr = b.serve().await;
    let staff = a.user_with_role("staff@example.com", Role::Staff).await;
    let ada = a.register("ada@example.com").await;
    let bob = a.register("bob@example.com").await;
    let mug = a.create_product(&staff, "MUG-1", 1250, 100).await;
    let mut ada_socket = subscribed(addr, Some(&ada), ORDER_STATUS, json!({})).await;
    let mut bob_socket = subscribed(addr, Some(&bob), ORDER_STATUS, json!({})).await;
    let field = "orderStatusChanged";

    // Both subscriptions on B hear their owner's orders paid on A.
    let (adas, heard) = once_started(&mut ada_socket, field, || paid_order(&a, &ada, &mug)).await;
    let adas: HashSet<String> = adas.into_iter().collect();
    all_own(&heard, &adas, "ada");
    let (bobs, heard) = once_started(&mut bob_socket, field, || paid_order(&a, &bob, &mug)).await;
    let bobs: HashSet<String> = bobs.into_iter().collect();
    all_own(&heard, &bobs, "bob");

    // Ada's order ships on A: Ada hears it on B.
    let adas_order = adas.iter().next().unwrap().clone();
    ship(&a, &staff, &adas_order).await;
    let shipped = json!({ "id": adas_order, "status": "SHIPPED" });
    let heard = until_heard(&mut ada_socket, field, &shipped, FAN_OUT).await;
    all_own(&heard, &adas, "ada");

    // Then Bob's: events come in order, so Bob's subscription has passed
    // over Ada's by the time it shows him his own.
    let bobs_order = bobs.iter().next().unwrap().clone();
    ship(&a, &staff, &bobs_order).await;
    let shipped = json!({ "id": bobs_order, "status": "SHIPPED" });
    let heard = until_heard(&mut bob_socket, field, &shipped, FAN_OUT).await;
    all_own(&heard, &bobs, "bob");
    let more = events(&mut ada_socket, field, Duration::from_millis(100)).await;
    all_own(&more, &adas, "ada");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stock_change_on_one_instance_reaches_a_subscriber_on_the_other_and_its_own_once() {
    let (a, b) = pair().await;
    let (a_addr, b_addr) = (a.serve().await, b.serve().await);
    let staff = a.user_with_role("staff@example.com", Role::Staff).await;
    let mug = a.create_product(&staff, "MUG-1", 1250, 10).await;
    let mut on_b = subscribed(b_addr, None, STOCK, json!({ "id": mug })).await;
    let mut on_a = subscribed(a_addr, None, STOCK, json!({ "id": mug })).await;
    let field = "stockChanged";

    once_started(&mut on_b, field, || adjust(&a, &staff, &mug, 1)).await;
    once_started(&mut on_a, field, || adjust(&a, &staff, &mug, 1)).await;
    let quiet = Duration::from_millis(300);
    events(&mut on_a, field, quiet).await;
    events(&mut on_b, field, quiet).await;

    adjust(&a, &staff, &mug, -3).await;
    let wanted = json!({ "id": mug, "stock": a.stock(&mug).await });
    assert_eq!(
        until_heard(&mut on_b, field, &wanted, FAN_OUT).await,
        std::slice::from_ref(&wanted)
    );
    // A's subscriber hears it from A, and not again when A's own message
    // comes back from Redis.
    assert_eq!(events(&mut on_a, field, quiet).await, [wanted]);
    assert_eq!(events(&mut on_b, field, quiet).await, Vec::<Value>::new());
}

async fn adjust(app: &TestApp, staff: &Session, product: &str, delta: i64) {
    let body = app
        .graphql_as(
            Some(&staff.access_token),
            "mutation($id: ID!, $d: Int!) { adjustStock(productId: $id, delta: $d) { stock } }",
            json!({ "id": product, "d": delta }),
        )
        .await
        .json();
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_redis_is_unreachable_an_instance_s_subscribers_still_hear_its_own_events() {
    let proxy = Proxy::start(redis_addr()).await;
    let (a, b) = pair_via(format!("redis://{}", proxy.addr)).await;
    let addr = b.serve().await;
    let staff = a.user_with_role("staff@example.com", Role::Staff).await;
    let mug = a.create_product(&staff, "MUG-1", 1250, 10).await;

    proxy.cut();
    let degraded = until(Duration::from_secs(3), || async {
        redis_status(&b).await == "degraded"
    })
    .await;
    assert!(degraded.is_some(), "B's /readyz still says redis ok");
    let mut socket = subscribed(addr, None, STOCK, json!({ "id": mug })).await;
    let field = "stockChanged";
    once_started(&mut socket, field, || adjust(&b, &staff, &mug, 1)).await;
    adjust(&b, &staff, &mug, -2).await;
    let wanted = json!({ "id": mug, "stock": b.stock(&mug).await });
    until_heard(&mut socket, field, &wanted, FAN_OUT).await;

    // Redis back: A's events reach B's subscribers again.
    proxy.restore();
    up(&b, "B").await;
    once_started(&mut socket, field, || adjust(&a, &staff, &mug, 1)).await;
}
