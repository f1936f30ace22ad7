//! Catalog writes: validated, unique, STAFF and ADMIN only; stock never below zero.

use serde_json::{Value, json};

use super::Shop;
use crate::helpers::error_code;

const CREATE: &str = "mutation($input: CreateProductInput!) { createProduct(input: $input) { id sku name description priceCents currency stock active } }";

fn product(overrides: Value) -> Value {
    let mut input =
        json!({ "sku": "MUG-1", "name": "Mug", "priceCents": 1200, "currency": "EUR", "stock": 5 });
    for (k, v) in overrides.as_object().unwrap() {
        input[k] = v.clone();
    }
    json!({ "input": input })
}

#[tokio::test]
async fn staff_create_products_with_validated_fields_and_unique_skus() {
    let shop = Shop::open().await;
    let staff = Some(shop.staff.access_token.as_str());
    let body = shop
        .app
        .graphql_as(staff, CREATE, product(json!({})))
        .await
        .json();
    let created = &body["data"]["createProduct"];
    assert_eq!(created["sku"], "MUG-1");
    assert_eq!(created["description"], "");
    assert_eq!(created["active"], true);
    let duplicate = shop
        .app
        .graphql_as(staff, CREATE, product(json!({ "name": "Other" })))
        .await
        .json();
    assert_eq!(error_code(&duplicate), "CONFLICT");
    assert_eq!(duplicate["errors"][0]["extensions"]["field"], "input.sku");

    let invalid = [
        (json!({ "sku": "mug 2" }), "input.sku"),
        (json!({ "sku": "MG" }), "input.sku"),
        (json!({ "sku": "MUG-2", "name": "" }), "input.name"),
        (
            json!({ "sku": "MUG-2", "name": "x".repeat(201) }),
            "input.name",
        ),
        (
            json!({ "sku": "MUG-2", "description": "x".repeat(5001) }),
            "input.description",
        ),
        (
            json!({ "sku": "MUG-2", "priceCents": -1 }),
            "input.priceCents",
        ),
        (
            json!({ "sku": "MUG-2", "priceCents": 100_000_001 }),
            "input.priceCents",
        ),
        (
            json!({ "sku": "MUG-2", "currency": "XYZ" }),
            "input.currency",
        ),
        (json!({ "sku": "MUG-2", "stock": -1 }), "input.stock"),
    ];
    for (overrides, field) in invalid {
        let body = shop
            .app
            .graphql_as(staff, CREATE, product(overrides.clone()))
            .await
            .json();
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{overrides}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], field,
            "{overrides}"
        );
    }
}

#[tokio::test]
async fn only_staff_and_admin_manage_the_catalog() {
    let shop = Shop::open().await;
    let customer = shop
        .app
        .graphql_as(Some(&shop.ada.access_token), CREATE, product(json!({})))
        .await
        .json();
    assert_eq!(error_code(&customer), "FORBIDDEN");
    let anonymous = shop.app.graphql(CREATE, product(json!({}))).await.json();
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let admin = shop
        .app
        .graphql_as(Some(&shop.admin.access_token), CREATE, product(json!({})))
        .await
        .json();
    assert!(admin["data"]["createProduct"]["id"].is_string());
}

#[tokio::test]
async fn updating_a_product_changes_only_the_given_fields_and_can_withdraw_it() {
    let shop = Shop::open().await;
    let id = shop
        .app
        .create_product(&shop.staff, "LAMP-1", 5000, 3)
        .await;
    let update = "mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { name priceCents active stock } }";
    let body = shop
        .app
        .graphql_as(
            Some(&shop.staff.access_token),
            update,
            json!({ "id": id, "input": { "priceCents": 4500, "active": false } }),
        )
        .await
        .json();
    assert_eq!(
        body["data"]["updateProduct"],
        json!({ "name": "Product LAMP-1", "priceCents": 4500, "active": false, "stock": 3 })
    );
    let public = shop
        .app
        .data(
            "query($id: ID!) { product(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        public["product"],
        Value::Null,
        "withdrawn products are hidden from shoppers"
    );
    let staff_view = shop
        .app
        .graphql_as(
            Some(&shop.staff.access_token),
            "query($id: ID!) { product(id: $id) { active } }",
            json!({ "id": id }),
        )
        .await
        .json();
    assert_eq!(staff_view["data"]["product"]["active"], false);
    let missing = shop
        .app
        .graphql_as(
            Some(&shop.staff.access_token),
            update,
            json!({ "id": uuid::Uuid::now_v7(), "input": {} }),
        )
        .await
        .json();
    assert_eq!(error_code(&missing), "NOT_FOUND");
}

#[tokio::test]
async fn adjusting_stock_never_takes_it_below_zero() {
    let shop = Shop::open().await;
    let id = shop.app.create_product(&shop.staff, "PEN-1", 200, 5).await;
    let adjust =
        "mutation($id: ID!, $delta: Int!) { adjustStock(productId: $id, delta: $delta) { stock } }";
    let staff = Some(shop.staff.access_token.as_str());
    let body = shop
        .app
        .graphql_as(staff, adjust, json!({ "id": id, "delta": 7 }))
        .await
        .json();
    assert_eq!(body["data"]["adjustStock"]["stock"], 12);
    let body = shop
        .app
        .graphql_as(staff, adjust, json!({ "id": id, "delta": -12 }))
        .await
        .json();
    assert_eq!(body["data"]["adjustStock"]["stock"], 0);
    let below = shop
        .app
        .graphql_as(staff, adjust, json!({ "id": id, "delta": -1 }))
        .await
        .json();
    assert_eq!(error_code(&below), "BAD_USER_INPUT");
    assert_eq!(below["errors"][0]["extensions"]["field"], "delta");
    assert_eq!(shop.app.stock(&id).await, 0);
}

#[tokio::test]
async fn text_with_a_nul_character_is_bad_user_input_naming_the_field() {
    // PostgreSQL can neither store nor compare NUL: it used to surface as
    // INTERNAL_SERVER_ERROR there.
    let shop = Shop::open().await;
    let id = shop.app.create_product(&shop.staff, "NUL-1", 900, 5).await;
    let placed = shop.app.place_order(&shop.ada, &[(&id, 1)]).await;
    let order = placed["data"]["placeOrder"]["id"].as_str().unwrap();
    let staff = Some(shop.staff.access_token.as_str());
    let ada = Some(shop.ada.access_token.as_str());
    let cases = [
        (
            None,
            "query($f: ProductFilter) { products(filter: $f) { edges { cursor } } }",
            json!({ "f": { "search": "a\u{0}b" } }),
            "filter.search",
        ),
        (
            staff,
            CREATE,
            product(json!({ "sku": "NUL-2", "name": "Mug\u{0}" })),
            "input.name",
        ),
        (
            staff,
            CREATE,
            product(json!({ "sku": "NUL-2", "description": "\u{0}" })),
            "input.description",
        ),
        (
            staff,
            "mutation($id: ID!) { updateProduct(id: $id, input: { name: \"\\u0000\" }) { id } }",
            json!({ "id": id }),
            "input.name",
        ),
        (
            ada,
            "mutation($input: AddReviewInput!) { addReview(input: $input) { id } }",
            json!({ "input": { "productId": id, "rating": 5, "body": "good\u{0}" } }),
            "input.body",
        ),
        (
            ada,
            "mutation($input: PayOrderInput!) { payOrder(input: $input) { id } }",
            json!({ "input": { "orderId": order, "idempotencyKey": "key-\u{0}-0001" } }),
            "input.idempotencyKey",
        ),
    ];
    for (token, query, variables, field) in cases {
        let body = shop.app.graphql_as(token, query, variables).await.json();
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{field}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
}
