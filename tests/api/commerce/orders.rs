//! Placing, cancelling, shipping and reading orders.

use std::time::Instant;

use entity::orders;
use futures_util::future::join_all;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use super::Shop;
use crate::helpers::{TestApp, error_code};

const CANCEL: &str = "mutation($id: ID!) { cancelOrder(id: $id) { id status } }";
const SHIP: &str = "mutation($id: ID!) { shipOrder(id: $id) { id status } }";

fn order_id(body: &Value) -> String {
    body["data"]["placeOrder"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no order: {body}"))
        .to_owned()
}

#[tokio::test]
async fn an_order_snapshots_prices_reserves_stock_and_totals_on_the_server() {
    let shop = Shop::open().await;
    let mug = shop
        .app
        .create_product(&shop.staff, "MUG-1", 1250, 10)
        .await;
    let pen = shop.app.create_product(&shop.staff, "PEN-1", 199, 10).await;
    let body = shop
        .app
        .place_order(&shop.ada, &[(&mug, 2), (&pen, 3), (&mug, 1)])
        .await;
    let order = &body["data"]["placeOrder"];
    assert_eq!(order["status"], "PENDING");
    assert_eq!(order["totalCents"], 3 * 1250 + 3 * 199);
    assert_eq!(
        order["items"].as_array().unwrap().len(),
        2,
        "lines of one product are merged"
    );
    assert_eq!(shop.app.stock(&mug).await, 7);
    assert_eq!(shop.app.stock(&pen).await, 7);
}

#[tokio::test]
async fn order_input_is_validated_line_by_line() {
    let shop = Shop::open().await;
    let mug = shop
        .app
        .create_product(&shop.staff, "MUG-1", 1250, 10)
        .await;
    let other = shop.app.create_product(&shop.staff, "CUP-1", 100, 10).await;
    let dollars = shop
        .app
        .graphql_as(
            Some(&shop.staff.access_token),
            "mutation { createProduct(input: { sku: \"USD-1\", name: \"Cap\", priceCents: 100, currency: \"USD\", stock: 5 }) { id } }",
            json!({}),
        )
        .await
        .json()["data"]["createProduct"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dear = shop
        .app
        .create_product(&shop.staff, "GOLD-1", 100_000_000, 1000)
        .await;
    let unknown = uuid::Uuid::now_v7().to_string();
    let many: Vec<(&str, i64)> = (0..51).map(|_| (mug.as_str(), 1)).collect();
    let cases: Vec<(Vec<(&str, i64)>, &str)> = vec![
        (vec![], "input.items"),
        (many, "input.items"),
        (vec![(&mug, 0)], "input.items.0.quantity"),
        (vec![(&mug, 1), (&other, 1001)], "input.items.1.quantity"),
        (vec![(&mug, 600), (&mug, 600)], "input.items.1.quantity"),
        (vec![(&mug, 1), (&unknown, 1)], "input.items.1.productId"),
        (vec![(&mug, 1), ("not-an-id", 1)], "input.items.1.productId"),
        (vec![(&mug, 1), (&dollars, 1)], "input.items"),
        (vec![(&dear, 22)], "input.items"),
    ];
    for (lines, field) in cases {
        let body = shop.app.place_order(&shop.ada, &lines).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{field}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    assert_eq!(shop.app.stock(&mug).await, 10, "nothing was reserved");
    let anonymous = shop
        .app
        .graphql(
            "mutation { placeOrder(input: { items: [] }) { id } }",
            json!({}),
        )
        .await
        .json();
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_line_beyond_stock_fails_the_whole_order_naming_the_product() {
    let shop = Shop::open().await;
    let mug = shop
        .app
        .create_product(&shop.staff, "MUG-1", 1250, 10)
        .await;
    let pen = shop.app.create_product(&shop.staff, "PEN-1", 199, 2).await;
    let body = shop
        .app
        .place_order(&shop.ada, &[(&mug, 5), (&pen, 3)])
        .await;
    assert_eq!(error_code(&body), "INSUFFICIENT_STOCK");
    assert_eq!(body["errors"][0]["extensions"]["productId"], pen.as_str());
    assert_eq!(
        shop.app.stock(&mug).await,
        10,
        "the other line was rolled back"
    );
    assert_eq!(
        orders::Entity::find()
            .count(&shop.app.state.db)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hundred_concurrent_orders_for_ten_units_never_oversell() {
    let app = TestApp::with(|args| {
        args.register_per_hour = Some("1000".into());
        args.db_max_connections = Some("10".into());
    })
    .await;
    let shop = Shop::on(app).await;
    let product = shop.app.create_product(&shop.staff, "HOT-1", 999, 10).await;
    let mut customers = Vec::new();
    for n in 0..25 {
        customers.push(shop.app.register(&format!("customer{n}@example.com")).await);
    }
    let started = Instant::now();
    let line = [(product.as_str(), 1)];
    let attempts = (0..100).map(|n| shop.app.place_order(&customers[n % 25], &line));
    let results = join_all(attempts).await;
    let elapsed = started.elapsed();
    let placed = results
        .iter()
        .filter(|b| b["data"]["placeOrder"].is_object())
        .count();
    let refused = results
        .iter()
        .filter(|b| error_code(b) == "INSUFFICIENT_STOCK")
        .count();
    assert_eq!(
        (placed, refused),
        (10, 90),
        "{:?}",
        results
            .iter()
            .find(|b| b.get("errors").is_some() && error_code(b) != "INSUFFICIENT_STOCK")
    );
    assert_eq!(shop.app.stock(&product).await, 0);
    assert_eq!(
        orders::Entity::find()
            .count(&shop.app.state.db)
            .await
            .unwrap(),
        10
    );
    println!("100 concurrent orders for 10 units took {elapsed:?}");
}

#[tokio::test]
async fn cancelling_restocks_exactly_once_and_follows_the_status_rules() {
    let shop = Shop::open().await;
    let mug = shop
        .app
        .create_product(&shop.staff, "MUG-1", 1250, 10)
        .await;
    let first = order_id(&shop.app.place_order(&shop.ada, &[(&mug, 4)]).await);
    let ada = Some(shop.ada.access_token.as_str());
    let other = shop
        .app
        .graphql_as(Some(&shop.bob.access_token), CANCEL, json!({ "id": first }))
        .await
        .json();
    assert_eq!(
        error_code(&other),
        "NOT_FOUND",
        "another customer's order does not exist for them"
    );
    let cancelled = shop
        .app
        .graphql_as(ada, CANCEL, json!({ "id": first }))
        .await
        .json();
    assert_eq!(cancelled["data"]["cancelOrder"]["status"], "CANCELLED");
    assert_eq!(shop.app.stock(&mug).await, 10);
    let twice = shop
        .app
        .graphql_as(ada, CANCEL, json!({ "id": first }))
        .await
        .json();
    assert_eq!(error_code(&twice), "CONFLICT");
    assert_eq!(shop.app.stock(&mug).await, 10, "no second restock");

    let paid = order_id(&shop.app.place_order(&shop.ada, &[(&mug, 3)]).await);
    shop.app.pay(&shop.ada, &paid, "key-paid-order-1").await;
    let own_paid = shop
        .app
        .graphql_as(ada, CANCEL, json!({ "id": paid }))
        .await
        .json();
    assert_eq!(
        error_code(&own_paid),
        "CONFLICT",
        "a customer cannot cancel a PAID order"
    );
    let by_staff = shop
        .app
        .graphql_as(
            Some(&shop.staff.access_token),
            CANCEL,
            json!({ "id": paid }),
        )
        .await
        .json();
    assert_eq!(by_staff["data"]["cancelOrder"]["status"], "CANCELLED");
    assert_eq!(shop.app.stock(&mug).await, 10);
    let payments = shop
        .app
        .graphql_as(
            ada,
            "query($id: ID!) { order(id: $id) { payments { status } } }",
            json!({ "id": paid }),
        )
        .await
        .json();
    assert_eq!(
        payments["data"]["order"]["payments"],
        json!([{ "status": "REFUNDED" }])
    );

    let shipped = order_id(&shop.app.place_order(&shop.ada, &[(&mug, 1)]).await);
    shop.app.pay(&shop.ada, &shipped, "key-shipped-order").await;
    shop.app
        .graphql_as(
            Some(&shop.staff.access_token),
            SHIP,
            json!({ "id": shipped }),
        )
        .await;
    let too_late = shop
        .app
        .graphql_as(
            Some(&shop.staff.access_token),
            CANCEL,
            json!({ "id": shipped }),
        )
        .await
        .json();
    assert_eq!(error_code(&too_late), "CONFLICT");
}

#[tokio::test]
async fn only_paid_orders_ship_and_only_staff_ship_them() {
    let shop = Shop::open().await;
    let mug = shop
        .app
        .create_product(&shop.staff, "MUG-1", 1250, 10)
        .await;
    let id = order_id(&shop.app.place_order(&shop.ada, &[(&mug, 1)]).await);
    let staff = Some(shop.staff.access_token.as_str());
    let pending = shop
        .app
        .graphql_as(staff, SHIP, json!({ "id": id }))
        .await
        .json();
    assert_eq!(error_code(&pending), "CONFLICT");
    shop.app.pay(&shop.ada, &id, "key-for-shipping").await;
    let customer = shop
        .app
        .graphql_as(Some(&shop.ada.access_token), SHIP, json!({ "id": id }))
        .await
        .json();
    assert_eq!(error_code(&customer), "FORBIDDEN");
    let shipped = shop
        .app
        .graphql_as(staff, SHIP, json!({ "id": id }))
        .await
        .json();
    assert_eq!(shipped["data"]["shipOrder"]["status"], "SHIPPED");
    let again = shop
        .app
        .graphql_as(staff, SHIP, json!({ "id": id }))
        .await
        .json();
    assert_eq!(error_code(&again), "CONFLICT");
}

#[tokio::test]
async fn customers_read_their_own_orders_and_staff_read_all() {
    let shop = Shop::open().await;
    let mug = shop
        .app
        .create_product(&shop.staff, "MUG-1", 1250, 10)
        .await;
    let adas = order_id(&shop.app.place_order(&shop.ada, &[(&mug, 1)]).await);
    let bobs = order_id(&shop.app.place_order(&shop.bob, &[(&mug, 2)]).await);
    shop.app.pay(&shop.bob, &bobs, "bob-pays-his-order").await;
    let list = "query($status: OrderStatus) { orders(filter: { status: $status }) { edges { node { id customer { id } } } } }";
    let ids = |body: &Value| -> Vec<String> {
        body["data"]["orders"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let ada_list = shop
        .app
        .graphql_as(Some(&shop.ada.access_token), list, json!({}))
        .await
        .json();
    assert_eq!(ids(&ada_list), vec![adas.clone()]);
    let staff_list = shop
        .app
        .graphql_as(Some(&shop.staff.access_token), list, json!({}))
        .await
        .json();
    assert_eq!(
        ids(&staff_list),
        vec![bobs.clone(), adas.clone()],
        "newest first"
    );
    let paid = shop
        .app
        .graphql_as(
            Some(&shop.staff.access_token),
            list,
            json!({ "status": "PAID" }),
        )
        .await
        .json();
    assert_eq!(ids(&paid), vec![bobs.clone()]);

    let one = "query($id: ID!) { order(id: $id) { id totalCents } }";
    let foreign = shop
        .app
        .graphql_as(Some(&shop.ada.access_token), one, json!({ "id": bobs }))
        .await
        .json();
    assert_eq!(error_code(&foreign), "NOT_FOUND");
    assert_eq!(foreign.pointer("/data/order"), Some(&Value::Null));
    let missing = shop
        .app
        .graphql_as(
            Some(&shop.ada.access_token),
            one,
            json!({ "id": uuid::Uuid::now_v7() }),
        )
        .await
        .json();
    assert_eq!(
        missing["errors"][0]["message"], foreign["errors"][0]["message"],
        "no existence leak"
    );

    let user_orders = "query($id: ID!) { user(id: $id) { orders { edges { node { id } } } } }";
    let by_staff = shop
        .app
        .graphql_as(
            Some(&shop.staff.access_token),
            user_orders,
            json!({ "id": shop.ada.user_id }),
        )
        .await
        .json();
    assert_eq!(
        by_staff["data"]["user"]["orders"]["edges"][0]["node"]["id"],
        adas.as_str()
    );
    let via_review_author = shop
        .app
        .graphql_as(
            Some(&shop.bob.access_token),
            "{ viewer { orders { edges { node { id } } } } }",
            json!({}),
        )
        .await
        .json();
    assert_eq!(
        via_review_author["data"]["viewer"]["orders"]["edges"][0]["node"]["id"],
        bobs.as_str()
    );
}

#[tokio::test]
async fn cancelling_returns_every_lines_units_to_its_own_product() {
    let shop = Shop::open().await;
    let mug = shop
        .app
        .create_product(&shop.staff, "MUG-1", 1250, 10)
        .await;
    let pen = shop.app.create_product(&shop.staff, "PEN-1", 199, 20).await;
    let untouched = shop.app.create_product(&shop.staff, "CUP-1", 500, 7).await;
    let id = order_id(
        &shop
            .app
            .place_order(&shop.ada, &[(&mug, 3), (&pen, 5)])
            .await,
    );
    assert_eq!(
        (shop.app.stock(&mug).await, shop.app.stock(&pen).await),
        (7, 15)
    );
    let cancelled = shop
        .app
        .graphql_as(Some(&shop.ada.access_token), CANCEL, json!({ "id": id }))
        .await;
    assert_eq!(
        cancelled.json()["data"]["cancelOrder"]["status"],
        "CANCELLED"
    );
    assert_eq!(shop.app.stock(&mug).await, 10);
    assert_eq!(shop.app.stock(&pen).await, 20);
    assert_eq!(shop.app.stock(&untouched).await, 7);
}
