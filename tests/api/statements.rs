//! A nested catalog query costs a constant number of SQL statements, whatever
//! the number of rows, for a lone request and under concurrency.
//! Reviews name their authors; `users` is read only for more than that.

use futures_util::future::join_all;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp};

/// An admin of `app`: sees every order.
async fn admin(app: &TestApp) -> Session {
    app.user_with_role("admin@example.com", tollgate::auth::Role::Admin)
        .await
}

const PRODUCTS_WITH_REVIEWS_AND_AUTHORS: &str = r#"
query Catalog($first: Int!) {
  products(first: $first) {
    edges { node { id name reviews(first: 5) { edges { node { rating author { displayName } } } } } }
  }
}"#;

/// products, then their reviews (one windowed query), which name their
/// authors: `users` is not read.
const STATEMENTS_PER_REQUEST: u64 = 2;

fn review_count(data: &Value) -> usize {
    data["products"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["reviews"]["edges"].as_array().unwrap().len())
        .sum()
}

#[tokio::test]
async fn a_nested_catalog_query_costs_two_statements_for_3_or_50_products() {
    let app = TestApp::seeded_uncached().await;
    for first in [3, 50] {
        let response = app
            .graphql(PRODUCTS_WITH_REVIEWS_AND_AUTHORS, json!({ "first": first }))
            .await;
        let body = response.json();
        assert!(body.get("errors").is_none(), "{body}");
        let products = body["data"]["products"]["edges"].as_array().unwrap().len();
        assert_eq!(products, first);
        assert!(
            review_count(&body["data"]) > first / 2,
            "the demo data has reviews"
        );
        assert_eq!(
            response.statements(),
            STATEMENTS_PER_REQUEST,
            "products(first: {first}) with reviews and authors"
        );
    }
}

/// 32 concurrent requests of `query`: each costs `statements`.
async fn concurrently(query: &str, statements: u64) {
    let app = TestApp::seeded_uncached().await;
    let requests = (0..32).map(|i| {
        let first = if i % 2 == 0 { 3 } else { 50 };
        let app = &app;
        async move { app.graphql(query, json!({ "first": first })).await }
    });
    let responses = join_all(requests).await;
    for response in &responses {
        assert!(
            response.json().get("errors").is_none(),
            "{}",
            response.json()
        );
        assert_eq!(response.statements(), statements);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_of_32_concurrent_nested_queries_costs_two_statements() {
    concurrently(PRODUCTS_WITH_REVIEWS_AND_AUTHORS, STATEMENTS_PER_REQUEST).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_of_32_concurrent_queries_of_the_authors_profiles_costs_three_statements() {
    // Beyond its name, an author's profile is read: one more statement.
    let query = PRODUCTS_WITH_REVIEWS_AND_AUTHORS.replace("displayName", "displayName createdAt");
    concurrently(&query, STATEMENTS_PER_REQUEST + 1).await;
}

#[tokio::test]
async fn product_by_id_with_rating_reviews_and_each_reviews_product_stays_constant() {
    let app = TestApp::seeded_uncached().await;
    // A product with several reviews (the demo data has up to six per product).
    let reviews = entity::reviews::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    let id = reviews
        .iter()
        .map(|r| r.product_id)
        .max_by_key(|id| reviews.iter().filter(|r| r.product_id == *id).count())
        .unwrap();
    let response = app
        .graphql(
            r#"query($id: ID!) { product(id: $id) {
                averageRating
                reviews(first: 5) { edges { node { author { displayName } product { sku averageRating } } } }
            } }"#,
            json!({ "id": id }),
        )
        .await;
    assert!(
        response.json().get("errors").is_none(),
        "{}",
        response.json()
    );
    // product, its rating, its reviews (naming their authors), their
    // products, those products' ratings.
    assert_eq!(response.statements(), 5);
}

const ORDERS_WITH_RELATIONS: &str = r#"
query Orders($first: Int!) {
  orders(first: $first) {
    edges { node {
      id status totalCents createdAt
      customer { id displayName email role createdAt }
      items { quantity unitPriceCents product { ...Whole } }
      payments { id status amountCents }
    } }
  }
}"#;

fn orders_query() -> String {
    format!("{ORDERS_WITH_RELATIONS} {WHOLE_PRODUCT}")
}

/// orders with their customers, their items with the items' products, their
/// payments: users and products are not cached here, so each comes with the
/// rows that point at it (a join).
const ORDER_STATEMENTS: u64 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_with_customer_items_products_and_payments_cost_three_statements_at_any_size() {
    let app = TestApp::seeded_uncached().await;
    let admin = admin(&app).await;
    let token = Some(admin.access_token.as_str());
    for first in [5, 50] {
        let response = app
            .graphql_as(token, &orders_query(), json!({ "first": first }))
            .await;
        let body = response.json();
        assert!(body.get("errors").is_none(), "{body}");
        let orders = body["data"]["orders"]["edges"].as_array().unwrap();
        assert_eq!(orders.len(), first);
        assert!(
            orders
                .iter()
                .all(|o| !o["node"]["items"].as_array().unwrap().is_empty())
        );
        assert_eq!(
            response.statements(),
            ORDER_STATEMENTS,
            "orders(first: {first})"
        );
        assert_relations_as_read_alone(&app, token, orders, WHOLE_PRODUCT).await;
    }
    let query = orders_query();
    let requests = (0..32).map(|i| {
        let first = if i % 2 == 0 { 5 } else { 50 };
        app.graphql_as(token, &query, json!({ "first": first }))
    });
    for response in join_all(requests).await {
        assert!(response.json().get("errors").is_none());
        assert_eq!(response.statements(), ORDER_STATEMENTS);
    }
}

/// Every field of a product but its relations.
const WHOLE_PRODUCT: &str = "fragment Whole on Product {
  id sku name description priceCents currency stock active createdAt
}";

/// What a list of orders usually shows of its lines' products (Q1 of
/// bench/README.md): the fields their summaries answer.
const PRODUCT_SUMMARY: &str = "fragment Summary on Product { id sku name priceCents currency }";

/// Each order's customer (`id displayName email role createdAt`) and each
/// line's product (as `fragment`, which `items { product }` spreads), read
/// with the order, are what `user(id:)` and `product(id:)` read on their own.
async fn assert_relations_as_read_alone(
    app: &TestApp,
    token: Option<&str>,
    orders: &[Value],
    fragment: &str,
) {
    let user = "query($id: ID!) { user(id: $id) { id displayName email role createdAt } }";
    let name = fragment.split_whitespace().nth(1).unwrap();
    let query = format!("query($id: ID!) {{ product(id: $id) {{ ...{name} }} }} {fragment}");
    let query = query.as_str();
    for order in orders {
        let customer = &order["node"]["customer"];
        let alone = app
            .graphql_as(token, user, json!({ "id": customer["id"] }))
            .await;
        assert_eq!(&alone.json()["data"]["user"], customer);
        for item in order["node"]["items"].as_array().unwrap() {
            let product = &item["product"];
            let alone = app
                .graphql_as(token, query, json!({ "id": product["id"] }))
                .await;
            assert_eq!(&alone.json()["data"]["product"], product);
        }
    }
}

/// `orders(first:)` selecting `customer { … }` and `items { product { … } }`.
fn orders_with_products(selection: &str, fragment: &str) -> String {
    format!(
        "query($first: Int!) {{ orders(first: $first) {{ edges {{ node {{
            id customer {{ id displayName email role createdAt }}
            items {{ quantity product {{ {selection} }} }}
        }} }} }} }} {fragment}"
    )
}

/// Sends `query` for the first `first` orders with `token`; the orders, and
/// the statements they cost.
async fn orders_as(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    first: usize,
) -> (Vec<Value>, u64) {
    let response = app
        .graphql_as(token, query, json!({ "first": first }))
        .await;
    let body = response.json();
    assert!(body.get("errors").is_none(), "{body}");
    let orders = body["data"]["orders"]["edges"].as_array().unwrap().clone();
    assert_eq!(orders.len(), first);
    (orders, response.statements())
}

#[tokio::test]
async fn orders_lines_show_their_products_summaries_as_the_products_read_alone() {
    let app = TestApp::seeded_uncached().await;
    let admin = admin(&app).await;
    let token = Some(admin.access_token.as_str());
    let query = orders_with_products("...Summary", PRODUCT_SUMMARY);
    for first in [5, 50] {
        let (orders, statements) = orders_as(&app, token, &query, first).await;
        // the orders with their customers, the lines with their summaries
        assert_eq!(statements, 2, "orders(first: {first})");
        assert_relations_as_read_alone(&app, token, &orders, PRODUCT_SUMMARY).await;
    }
}

#[tokio::test]
async fn a_lines_product_asked_for_more_than_its_summary_in_a_fragment_is_read_whole_with_the_lines()
 {
    let app = TestApp::seeded_uncached().await;
    let fragment = "fragment More on Product { id name ... on Product { description stock } }";
    let query = orders_with_products("sku ...More", fragment);
    let admin = admin(&app).await;
    let token = Some(admin.access_token.as_str());
    let (orders, statements) = orders_as(&app, token, &query, 20).await;
    // the orders with their customers, the lines with their whole products:
    // loading the rows after the summaries would cost a third
    assert_eq!(statements, 2);
    let fragment = "fragment Same on Product { sku id name description stock }";
    assert_relations_as_read_alone(&app, token, &orders, fragment).await;
}

#[tokio::test]
async fn aliases_showing_a_lines_summary_and_its_whole_product_each_answer_as_read_alone() {
    let app = TestApp::seeded_uncached().await;
    let query = format!(
        "query($first: Int!) {{
            orders(first: $first) {{ edges {{ node {{
                id customer {{ id displayName email role createdAt }}
                items {{ product {{ ...Summary reviews(first: 2) {{ edges {{ node {{ rating }} }} }} }} }}
            }} }} }}
            whole: orders(first: $first) {{ edges {{ node {{
                id customer {{ id displayName email role createdAt }}
                items {{ product {{ ...Whole }} }}
            }} }} }}
        }} {PRODUCT_SUMMARY} {WHOLE_PRODUCT}"
    );
    let admin = admin(&app).await;
    let token = Some(admin.access_token.as_str());
    let response = app.graphql_as(token, &query, json!({ "first": 10 })).await;
    let body = response.json();
    assert!(body.get("errors").is_none(), "{body}");
    // per alias: the orders with their customers, the lines with their
    // products (summaries, whole rows); and the summaries' products' reviews
    assert_eq!(response.statements(), 5);
    let summaries = body["data"]["orders"]["edges"].as_array().unwrap();
    let whole = body["data"]["whole"]["edges"].as_array().unwrap();
    for orders in [summaries, whole] {
        assert_eq!(orders.len(), 10);
        assert!(
            orders
                .iter()
                .all(|o| !o["node"]["items"].as_array().unwrap().is_empty())
        );
    }
    assert_relations_as_read_alone(&app, token, whole, WHOLE_PRODUCT).await;
    let with_reviews = format!(
        "fragment WithReviews on Product {{ ...Summary reviews(first: 2) {{ edges {{ node {{ rating }} }} }} }} {PRODUCT_SUMMARY}"
    );
    assert_relations_as_read_alone(&app, token, summaries, &with_reviews).await;
}

#[tokio::test]
async fn a_customer_sees_the_summary_of_a_product_withdrawn_since_on_their_orders_line() {
    let app = TestApp::seeded_uncached().await;
    let admin = admin(&app).await;
    let product = app.create_product(&admin, "WITHDRAWN-1", 1234, 10).await;
    let customer = app.register("buyer@example.com").await;
    let placed = app.place_order(&customer, &[(&product, 2)]).await;
    assert!(placed.get("errors").is_none(), "{placed}");
    let withdraw =
        "mutation($id: ID!) { updateProduct(id: $id, input: { active: false }) { active } }";
    let withdrawn = app
        .graphql_as(
            Some(&admin.access_token),
            withdraw,
            json!({ "id": product }),
        )
        .await
        .json();
    assert_eq!(withdrawn["data"]["updateProduct"]["active"], false);

    let token = Some(customer.access_token.as_str());
    let query = format!(
        "{{ orders(first: 5) {{ edges {{ node {{ items {{ quantity unitPriceCents product {{ ...Summary }} }} }} }} }} }} {PRODUCT_SUMMARY}"
    );
    let response = app.graphql_as(token, &query, json!({})).await;
    let body = response.json();
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        body["data"],
        json!({ "orders": { "edges": [{ "node": { "items": [{
            "quantity": 2,
            "unitPriceCents": 1234,
            "product": {
                "id": product, "sku": "WITHDRAWN-1", "name": "Product WITHDRAWN-1",
                "priceCents": 1234, "currency": "EUR",
            },
        }] } }] } })
    );
    // the customer's orders, the lines with their summaries
    assert_eq!(response.statements(), 2);
    let alone = app
        .graphql_as(
            token,
            "query($id: ID!) { product(id: $id) { id } }",
            json!({ "id": product }),
        )
        .await
        .json();
    assert!(alone.get("errors").is_none(), "{alone}");
    assert_eq!(
        alone["data"],
        json!({ "product": null }),
        "withdrawn from the catalog"
    );
}

#[tokio::test]
async fn a_customers_own_orders_come_with_their_customer_and_products_page_by_page() {
    let app = TestApp::seeded_uncached().await;
    let customer = app.register("buyer@example.com").await;
    let token = Some(customer.access_token.as_str());
    let catalog = app
        .graphql(
            "{ products(first: 2) { edges { node { id } } } }",
            json!({}),
        )
        .await
        .json();
    let ids: Vec<&str> = catalog["data"]["products"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap())
        .collect();
    let mut pending = Vec::new();
    for lines in [
        &[(ids[0], 1)][..],
        &[(ids[0], 2), (ids[1], 1)],
        &[(ids[1], 3)],
    ] {
        let placed = app.place_order(&customer, lines).await;
        pending.push(placed["data"]["placeOrder"]["id"].clone());
    }
    let cancel = "mutation($id: ID!) { cancelOrder(id: $id) { status } }";
    let cancelled = pending.remove(1);
    app.graphql_as(token, cancel, json!({ "id": cancelled }))
        .await;

    let query = format!(
        "query($after: String) {{ orders(first: 1, after: $after, filter: {{ status: PENDING }}) {{
            edges {{ cursor node {{
                id status customer {{ id displayName email role createdAt }}
                items {{ quantity product {{ ...Whole }} }}
            }} }}
        }} }} {WHOLE_PRODUCT}"
    );
    let mut seen = Vec::new();
    let mut after = Value::Null;
    // One page per order, then an empty one; a cursor that went nowhere
    // would show as orders seen twice.
    for _ in 0..=pending.len() {
        let response = app
            .graphql_as(token, &query, json!({ "after": after }))
            .await;
        let body = response.json();
        assert!(body.get("errors").is_none(), "{body}");
        let edges = body["data"]["orders"]["edges"].as_array().unwrap().clone();
        let Some(edge) = edges.first() else { break };
        // the page with its customer, then its lines with their products
        assert_eq!(response.statements(), 2);
        let order = &edge["node"];
        assert_eq!(order["status"], "PENDING");
        assert_eq!(order["customer"]["id"], customer.user_id.as_str());
        assert_eq!(order["customer"]["email"], customer.email.as_str());
        assert_relations_as_read_alone(&app, token, &edges, WHOLE_PRODUCT).await;
        seen.push(order["id"].clone());
        after = edge["cursor"].clone();
    }
    pending.reverse();
    assert_eq!(seen, pending, "newest first, the cancelled order left out");
}

#[tokio::test]
async fn aliases_asking_for_the_same_page_of_a_customers_orders_share_one_statement() {
    let app = TestApp::seeded_uncached().await;
    let admin = admin(&app).await;
    let query = r#"{ orders(first: 10) { edges { node { customer {
        recent: orders(first: 3) { edges { node { id } } }
        again: orders(first: 3) { edges { node { id status } } }
        more: orders(first: 4) { edges { node { id } } }
    } } } } }"#;
    let response = app
        .graphql_as(Some(&admin.access_token), query, json!({}))
        .await;
    let body = response.json();
    assert!(body.get("errors").is_none(), "{body}");
    let ids = |customer: &Value, alias: &str| -> Vec<Value> {
        customer[alias]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].clone())
            .collect()
    };
    for order in body["data"]["orders"]["edges"].as_array().unwrap() {
        let customer = &order["node"]["customer"];
        let recent = ids(customer, "recent");
        assert!(!recent.is_empty(), "a customer has at least this order");
        assert_eq!(recent, ids(customer, "again"));
        assert_eq!(recent[..], ids(customer, "more")[..recent.len()]);
    }
    // orders with their customers (a join), then one windowed query per
    // distinct page (3 and 4) of the customers' orders, not one per alias.
    assert_eq!(response.statements(), 3);
}
