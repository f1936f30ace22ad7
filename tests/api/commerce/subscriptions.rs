//! Subscriptions over WebSocket with a real client, in both subprotocols.

use std::{net::SocketAddr, time::Duration};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::{net::TcpStream, time::timeout};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async_with_config,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

use super::Shop;
use crate::helpers::TestApp;

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub async fn connect(addr: SocketAddr, protocol: &str) -> Socket {
    let mut request = format!("ws://{addr}/graphql")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_str(protocol).unwrap(),
    );
    // As browsers do: small frames go out at once, not after the last ACK.
    let (socket, response) = connect_async_with_config(request, None, true)
        .await
        .unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], protocol);
    socket
}

pub async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// The next GraphQL message (keep-alives skipped), or `None` after `wait`.
pub async fn next(socket: &mut Socket, wait: Duration) -> Option<Result<Value, Option<u16>>> {
    loop {
        let message = timeout(wait, socket.next()).await.ok()??;
        match message {
            Ok(Message::Text(text)) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if matches!(value["type"].as_str(), Some("ka" | "ping" | "pong")) {
                    continue;
                }
                return Some(Ok(value));
            }
            Ok(Message::Close(frame)) => return Some(Err(frame.map(|f| u16::from(f.code)))),
            Ok(_) => continue,
            Err(_) => return Some(Err(None)),
        }
    }
}

/// A `graphql-transport-ws` socket that has sent `connection_init` with
/// `token`, and the server's first answer to it.
pub async fn init(
    addr: SocketAddr,
    token: Option<&str>,
) -> (Socket, Option<Result<Value, Option<u16>>>) {
    let mut socket = connect(addr, "graphql-transport-ws").await;
    let payload = token.map_or(
        json!({}),
        |t| json!({ "Authorization": format!("Bearer {t}") }),
    );
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    let answer = next(&mut socket, Duration::from_secs(5)).await;
    (socket, answer)
}

pub async fn open(addr: SocketAddr, token: Option<&str>) -> Socket {
    let (socket, ack) = init(addr, token).await;
    assert_eq!(ack.unwrap().unwrap()["type"], "connection_ack");
    socket
}

const ORDER_STATUS: &str =
    "subscription($id: ID) { orderStatusChanged(orderId: $id) { id status } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_hears_their_order_ship_and_another_customer_hears_nothing() {
    let shop = Shop::open().await;
    let addr = shop.app.serve().await;
    let order = shop.paid_order("ws-test-payment").await;

    let mut ada = open(addr, Some(&shop.ada.access_token)).await;
    let mut bob = open(addr, Some(&shop.bob.access_token)).await;
    for socket in [&mut ada, &mut bob] {
        let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": ORDER_STATUS, "variables": { "id": order } } });
        send(socket, subscribe).await;
    }
    shop.app.listening(2).await;
    shop.ship(&order).await;

    let heard = next(&mut ada, Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(heard["type"], "next");
    assert_eq!(
        heard["payload"]["data"]["orderStatusChanged"],
        json!({ "id": order, "status": "SHIPPED" })
    );
    assert!(
        next(&mut bob, Duration::from_millis(500)).await.is_none(),
        "bob hears nothing"
    );
}

#[tokio::test]
async fn a_bad_token_closes_the_connection_with_4403() {
    let shop = Shop::open().await;
    let addr = shop.app.serve().await;
    let (_, closed) = init(addr, Some("forged.token.here")).await;
    assert_eq!(closed, Some(Err(Some(4403))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_hears_stock_changes_over_the_legacy_protocol() {
    let shop = Shop::open().await;
    let addr = shop.app.serve().await;
    let mug = shop
        .app
        .create_product(&shop.staff, "MUG-1", 1250, 10)
        .await;
    let mut socket = connect(addr, "graphql-ws").await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": {} }),
    )
    .await;
    let ack = next(&mut socket, Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ack["type"], "connection_ack");
    let query = "subscription($id: ID) { stockChanged(productId: $id) { id stock } }";
    send(&mut socket, json!({ "id": "s", "type": "start", "payload": { "query": query, "variables": { "id": mug } } })).await;
    shop.app.listening(1).await;
    shop.app.place_order(&shop.ada, &[(&mug, 3)]).await;
    let heard = next(&mut socket, Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(heard["type"], "data");
    assert_eq!(
        heard["payload"]["data"]["stockChanged"],
        json!({ "id": mug, "stock": 7 })
    );
}

#[tokio::test]
async fn an_anonymous_connection_cannot_follow_orders() {
    let shop = Shop::open().await;
    let addr = shop.app.serve().await;
    let mut socket = open(addr, None).await;
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": ORDER_STATUS } }),
    )
    .await;
    let refused = next(&mut socket, Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(refused["type"], "next", "{refused}");
    assert_eq!(refused.pointer("/payload/data"), Some(&Value::Null));
    let error = &refused["payload"]["errors"][0]["extensions"];
    assert_eq!(error["code"], "UNAUTHENTICATED");
    assert!(error["requestId"].is_string(), "{refused}");
}

#[tokio::test]
async fn the_connection_closes_with_4403_when_its_token_expires() {
    let app = TestApp::with(|args| args.access_token_ttl_secs = Some("1".into())).await;
    let addr = app.serve().await;
    let session = app.register("ada@example.com").await;
    let mut socket = open(addr, Some(&session.access_token)).await;
    let closed = next(&mut socket, Duration::from_secs(5)).await.unwrap();
    assert_eq!(closed, Err(Some(4403)));
}

/// Runs `query` as operation `id` on `socket`; its data, once complete.
async fn ask(socket: &mut Socket, id: &str, query: &str, variables: Value) -> Value {
    let subscribe = json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } });
    send(socket, subscribe).await;
    let answer = next(socket, Duration::from_secs(5)).await.unwrap().unwrap();
    assert_eq!(answer["type"], "next", "{answer}");
    let complete = next(socket, Duration::from_secs(5)).await.unwrap().unwrap();
    assert_eq!(complete, json!({ "type": "complete", "id": id }));
    answer["payload"]["data"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_shows_a_product_as_it_is_now_after_listing_the_orders_of_its_line() {
    // Products not cached: a list of orders reads its lines' product summaries.
    let app = TestApp::with(|args| args.entity_cache = Some("false".into())).await;
    let shop = Shop::on(app).await;
    let addr = shop.app.serve().await;
    let order = shop.paid_order("ws-summaries").await;
    let mut ada = open(addr, Some(&shop.ada.access_token)).await;

    let list = "{ orders(first: 5) { edges { node { items { product { id name } } } } } }";
    let listed = ask(&mut ada, "list", list, json!({})).await;
    let product = &listed["orders"]["edges"][0]["node"]["items"][0]["product"];
    assert_eq!(product["name"], "Product MUG-1", "{listed}");
    let renamed = shop
        .app
        .graphql_as(
            Some(&shop.staff.access_token),
            "mutation($id: ID!) { updateProduct(id: $id, input: { name: \"Big mug\" }) { name } }",
            json!({ "id": product["id"] }),
        )
        .await
        .json();
    assert_eq!(renamed["data"]["updateProduct"]["name"], "Big mug");

    // The same connection, a later operation that reads the line's product
    // without listing orders (an event): the product as it is now.
    let watch =
        "subscription($id: ID) { orderStatusChanged(orderId: $id) { items { product { name } } } }";
    let subscribe = json!({ "id": "watch", "type": "subscribe", "payload": { "query": watch, "variables": { "id": order } } });
    send(&mut ada, subscribe).await;
    shop.app.listening(1).await;
    shop.ship(&order).await;
    let heard = next(&mut ada, Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        heard["payload"]["data"],
        json!({ "orderStatusChanged": { "items": [{ "product": { "name": "Big mug" } }] } }),
        "{heard}"
    );
}
