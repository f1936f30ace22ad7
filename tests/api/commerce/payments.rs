//! Paying orders: idempotent on the key, exactly one payment under concurrent retries.

use entity::payments;
use futures_util::future::join_all;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use super::Shop;
use crate::helpers::{TestApp, error_code};

async fn pending_order(shop: &Shop) -> String {
    let mug = shop
        .app
        .create_product(&shop.staff, &format!("MUG-{}", rand_suffix()), 1250, 100)
        .await;
    let body = shop.app.place_order(&shop.ada, &[(&mug, 2)]).await;
    body["data"]["placeOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn rand_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase()
}

#[tokio::test]
async fn paying_settles_the_order_and_replaying_the_key_returns_the_same_payment() {
    let shop = Shop::open().await;
    let order = pending_order(&shop).await;
    let first = shop.app.pay(&shop.ada, &order, "checkout-0001").await;
    let payment = &first["data"]["payOrder"];
    assert_eq!(payment["status"], "SUCCEEDED");
    assert_eq!(payment["amountCents"], 2500);
    assert_eq!(payment["order"]["status"], "PAID");
    let replay = shop.app.pay(&shop.ada, &order, "checkout-0001").await;
    assert_eq!(replay["data"]["payOrder"]["id"], payment["id"]);

    let new_key = shop.app.pay(&shop.ada, &order, "checkout-0002").await;
    assert_eq!(
        error_code(&new_key),
        "CONFLICT",
        "a PAID order cannot be paid again"
    );
    let other_order = pending_order(&shop).await;
    let reused = shop.app.pay(&shop.ada, &other_order, "checkout-0001").await;
    assert_eq!(error_code(&reused), "CONFLICT");
    assert_eq!(
        reused["errors"][0]["extensions"]["field"],
        "input.idempotencyKey"
    );
    let short = shop.app.pay(&shop.ada, &other_order, "short").await;
    assert_eq!(
        short["errors"][0]["extensions"]["field"],
        "input.idempotencyKey"
    );
    let stranger = shop.app.pay(&shop.bob, &other_order, "bobs-key-123").await;
    assert_eq!(error_code(&stranger), "NOT_FOUND");
    assert_eq!(
        payments::Entity::find()
            .count(&shop.app.state.db)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_concurrent_retries_with_one_key_make_one_payment() {
    let app = TestApp::with(|args| args.db_max_connections = Some("10".into())).await;
    let shop = Shop::on(app).await;
    let order = pending_order(&shop).await;
    let retries = (0..30).map(|_| shop.app.pay(&shop.ada, &order, "retry-storm-key"));
    let results = join_all(retries).await;
    let ids: Vec<&str> = results
        .iter()
        .map(|b| {
            b["data"]["payOrder"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{b}"))
        })
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "every caller gets the one payment"
    );
    assert_eq!(
        payments::Entity::find()
            .count(&shop.app.state.db)
            .await
            .unwrap(),
        1
    );
    let order_body = shop
        .app
        .graphql_as(
            Some(&shop.ada.access_token),
            "query($id: ID!) { order(id: $id) { status payments { id } } }",
            json!({ "id": order }),
        )
        .await
        .json();
    assert_eq!(order_body["data"]["order"]["status"], "PAID");
    assert_eq!(
        order_body["data"]["order"]["payments"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
