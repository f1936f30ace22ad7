//! The server on several workers (`WORKERS`), over real sockets: whichever
//! worker takes a connection, clients see one server.

use std::{net::SocketAddr, time::Duration};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, client::conn::http1::SendRequest};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::{net::TcpStream, sync::oneshot};
use tollgate::{Application, auth::Role};

use crate::{
    commerce::subscriptions::{next, open, send},
    helpers::TestApp,
};

/// One HTTP/1.1 connection of its own, kept alive across requests.
struct Connection(SendRequest<Full<Bytes>>);

impl Connection {
    async fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        Self(sender)
    }

    async fn graphql(&mut self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = Request::post("/graphql")
            .header("host", "127.0.0.1")
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = json!({ "query": query, "variables": variables }).to_string();
        // The connection takes the next request once it has finished the last.
        self.0.ready().await.unwrap();
        let response = self
            .0
            .send_request(request.body(Full::new(Bytes::from(body))).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert!(body.get("errors").is_none(), "{body}");
        body
    }
}

const STOCK: &str = "query($id: ID!) { product(id: $id) { stock } }";
const ORDER: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }";
const CONNECTIONS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_connection_sees_each_write_at_once_whichever_worker_serves_it() {
    let app = TestApp::with(|args| args.workers = Some("2".into())).await;
    let staff = app.user_with_role("staff@example.com", Role::Staff).await;
    let ada = app.register("ada@example.com").await;
    let mug = app.create_product(&staff, "MUG-1", 1250, 100).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = Application::on_listener(listener, app.state.clone());
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));

    let mut follower = open(addr, None).await;
    let follow = "subscription($id: ID) { stockChanged(productId: $id) { stock } }";
    let payload = json!({ "query": follow, "variables": { "id": mug } });
    send(
        &mut follower,
        json!({ "id": "1", "type": "subscribe", "payload": payload }),
    )
    .await;
    app.listening(1).await;

    let mut connections = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        connections.push(Connection::open(addr).await);
    }
    // Each connection in turn buys one mug; every connection, the entity
    // cache warm on both workers, then reads the new stock.
    for (bought, buyer) in (1..=CONNECTIONS).zip(0..) {
        let input = json!({ "input": { "items": [{ "productId": mug, "quantity": 1 }] } });
        connections[buyer]
            .graphql(Some(&ada.access_token), ORDER, input)
            .await;
        let expected = 100 - i64::try_from(bought).unwrap();
        for connection in &mut connections {
            let read = connection.graphql(None, STOCK, json!({ "id": mug })).await;
            assert_eq!(read["data"]["product"]["stock"], expected);
        }
        let heard = next(&mut follower, Duration::from_secs(5))
            .await
            .expect("a stock change for every order")
            .unwrap();
        assert_eq!(heard["payload"]["data"]["stockChanged"]["stock"], expected);
    }

    stop.send(()).unwrap();
    drop(connections);
    drop(follower);
    tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("every worker stops")
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(addr).await.is_err());
}
