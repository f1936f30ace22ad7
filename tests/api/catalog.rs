//! The catalog read path: paging, ordering, search, visibility and relations.

use std::collections::HashMap;

use entity::{products, reviews, users};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, error_code};

const PAGE: &str = r#"
query Page($first: Int, $after: String, $filter: ProductFilter, $orderBy: ProductOrder) {
  products(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    edges { cursor node { id sku name priceCents active createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

fn nodes(data: &Value) -> Vec<Value> {
    data["products"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// Pages through a listing to its end, `first` at a time.
async fn all_pages(app: &TestApp, first: i32, order_by: &str, filter: Value) -> Vec<Value> {
    let mut after = Value::Null;
    let mut all = Vec::new();
    loop {
        let data = app
            .data(
                PAGE,
                json!({ "first": first, "after": after, "orderBy": order_by, "filter": filter }),
            )
            .await;
        all.extend(nodes(&data));
        let info = &data["products"]["pageInfo"];
        if !info["hasNextPage"].as_bool().unwrap() {
            return all;
        }
        after = info["endCursor"].clone();
    }
}

async fn active_products(app: &TestApp) -> Vec<products::Model> {
    products::Entity::find()
        .filter(products::Column::Active.eq(true))
        .all(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_default_page_is_the_20_newest_active_products() {
    let app = TestApp::seeded().await;
    let data = app.data(PAGE, json!({})).await;
    let page = nodes(&data);
    assert_eq!(page.len(), 20);
    assert!(page.iter().all(|p| p["active"] == true));
    let mut expected = active_products(&app).await;
    expected.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
    let expected: Vec<String> = expected.iter().take(20).map(|p| p.id.to_string()).collect();
    let got: Vec<&str> = page.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(got, expected);
    assert_eq!(data["products"]["pageInfo"]["hasNextPage"], true);
}

#[tokio::test]
async fn paging_with_cursors_visits_every_active_product_once_in_each_order() {
    let app = TestApp::seeded().await;
    let active = active_products(&app).await;
    for order in ["NEWEST", "PRICE_ASC", "PRICE_DESC"] {
        let seen = all_pages(&app, 7, order, Value::Null).await;
        assert_eq!(seen.len(), active.len(), "{order}");
        let mut ids: Vec<&str> = seen.iter().map(|p| p["id"].as_str().unwrap()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), active.len(), "{order}: no product twice");
        let prices: Vec<i64> = seen
            .iter()
            .map(|p| p["priceCents"].as_i64().unwrap())
            .collect();
        match order {
            "PRICE_ASC" => assert!(prices.is_sorted(), "{prices:?}"),
            "PRICE_DESC" => assert!(prices.iter().rev().is_sorted(), "{prices:?}"),
            _ => {
                let times: Vec<&str> = seen
                    .iter()
                    .map(|p| p["createdAt"].as_str().unwrap())
                    .collect();
                assert!(times.iter().rev().is_sorted(), "{times:?}");
            }
        }
    }
}

#[tokio::test]
async fn first_outside_1_to_100_and_foreign_cursors_are_bad_user_input() {
    let app = TestApp::seeded().await;
    for first in [0, -1, 101, 99_999_999] {
        let body = app.graphql(PAGE, json!({ "first": first })).await.json();
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{first}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "first");
        assert!(body["errors"][0]["extensions"]["requestId"].is_string());
    }
    let newest = app.data(PAGE, json!({ "first": 1 })).await;
    let cursor = newest["products"]["pageInfo"]["endCursor"].clone();
    for (after, order) in [(json!("garbage"), "NEWEST"), (cursor, "PRICE_ASC")] {
        let body = app
            .graphql(
                PAGE,
                json!({ "first": 1, "after": after, "orderBy": order }),
            )
            .await
            .json();
        assert_eq!(error_code(&body), "BAD_USER_INPUT");
        assert_eq!(body["errors"][0]["extensions"]["field"], "after");
    }
}

#[tokio::test]
async fn null_first_means_twenty() {
    let app = TestApp::seeded().await;
    let data = app.data(PAGE, json!({ "first": null })).await;
    assert_eq!(nodes(&data).len(), 20);
}

#[tokio::test]
async fn search_matches_name_or_sku_case_insensitively_and_takes_wildcards_literally() {
    let app = TestApp::seeded().await;
    let search = |term: &str| json!({ "search": term });
    let by_name = all_pages(&app, 100, "NEWEST", search("cEDAR")).await;
    assert!(!by_name.is_empty());
    assert!(
        by_name
            .iter()
            .all(|p| p["name"].as_str().unwrap().to_lowercase().contains("cedar"))
    );
    let by_sku = all_pages(&app, 100, "NEWEST", search("tg-0007")).await;
    assert_eq!(by_sku.len(), 1);
    assert_eq!(by_sku[0]["sku"], "TG-0007");
    for literal in [
        "%",
        "_",
        "\\",
        "TG-00_7",
        "' OR 1=1 --",
        "\"; DROP TABLE products; --",
    ] {
        let found = all_pages(&app, 100, "NEWEST", search(literal)).await;
        assert!(found.is_empty(), "{literal:?} matched {found:?}");
    }
    let long = "x".repeat(101);
    let body = app
        .graphql(PAGE, json!({ "filter": search(&long) }))
        .await
        .json();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "filter.search");
    assert!(
        !active_products(&app).await.is_empty(),
        "the table is still there"
    );
}

#[tokio::test]
async fn anonymous_viewers_never_see_inactive_products() {
    let app = TestApp::seeded().await;
    let inactive = products::Entity::find()
        .filter(products::Column::Active.eq(false))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the demo data has inactive products");
    let data = app
        .data(
            "query($id: ID!) { product(id: $id) { id } }",
            json!({ "id": inactive.id }),
        )
        .await;
    assert_eq!(data.get("product"), Some(&Value::Null));
    let listed = all_pages(&app, 100, "NEWEST", json!({ "active": false })).await;
    assert!(!listed.is_empty());
    assert!(
        listed.iter().all(|p| p["active"] == true),
        "filter.active is not honoured for anonymous viewers"
    );
}

#[tokio::test]
async fn a_malformed_id_is_bad_user_input_and_an_unknown_one_is_null() {
    let app = TestApp::seeded().await;
    let body = app
        .graphql(r#"{ product(id: "42") { id } }"#, json!({}))
        .await
        .json();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "id");
    let data = app
        .data(
            "query($id: ID!) { product(id: $id) { id } }",
            json!({ "id": uuid::Uuid::now_v7() }),
        )
        .await;
    assert_eq!(data.get("product"), Some(&Value::Null));
}

#[tokio::test]
async fn a_products_reviews_page_newest_first_with_authors_and_average_rating() {
    let app = TestApp::seeded().await;
    let all_reviews = reviews::Entity::find().all(&app.state.db).await.unwrap();
    let product_id = all_reviews[0].product_id;
    let mut expected: Vec<_> = all_reviews
        .iter()
        .filter(|r| r.product_id == product_id)
        .collect();
    expected.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
    let mean = expected.iter().map(|r| f64::from(r.rating)).sum::<f64>() / expected.len() as f64;

    let query = r#"query($id: ID!, $after: String) { product(id: $id) {
        averageRating
        reviews(first: 2, after: $after) {
          edges { node { id rating author { displayName } product { id } } }
          pageInfo { hasNextPage endCursor }
        } } }"#;
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .data(query, json!({ "id": product_id, "after": after }))
            .await;
        let product = &data["product"];
        let average = product["averageRating"].as_f64().unwrap();
        assert!((average - mean).abs() < 1e-9, "{average} != {mean}");
        for edge in product["reviews"]["edges"].as_array().unwrap() {
            assert_eq!(edge["node"]["product"]["id"], product_id.to_string());
            seen.push((
                edge["node"]["id"].as_str().unwrap().to_owned(),
                edge["node"]["author"]["displayName"].clone(),
            ));
        }
        if product["reviews"]["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = product["reviews"]["pageInfo"]["endCursor"].clone();
    }
    let names = display_names(&app).await;
    let expected: Vec<_> = expected
        .iter()
        .map(|r| (r.id.to_string(), json!(names[&r.author_id])))
        .collect();
    assert_eq!(seen, expected);
}

/// The reviews of the product `id`, newest first.
fn newest_first<'a>(all: &'a [reviews::Model], id: &str) -> Vec<&'a reviews::Model> {
    let mut own: Vec<_> = all
        .iter()
        .filter(|r| r.product_id.to_string() == id)
        .collect();
    own.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
    own
}

/// Every user's display name, by id, as `users` holds it.
async fn display_names(app: &TestApp) -> HashMap<Uuid, String> {
    users::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect()
}

#[tokio::test]
async fn a_page_is_the_same_whether_or_not_it_asks_for_a_next_page() {
    let app = TestApp::seeded().await;
    let all_reviews = reviews::Entity::find().all(&app.state.db).await.unwrap();
    let users: HashMap<Uuid, users::Model> = users::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let listing = |page_info: &str| {
        format!(
            r#"{{ products(first: 30) {{ edges {{ node {{ id
                bare: reviews(first: 2) {{ edges {{ node {{ id author {{ id displayName role }} }} }} }}
                peeked: reviews(first: 2) {{ edges {{ node {{ id author {{ id displayName role }} }} }} pageInfo {{ hasNextPage }} }}
            }} }} {page_info} }} }}"#
        )
    };
    let bare = app.data(&listing(""), json!({})).await;
    let peeked = app
        .data(&listing("pageInfo { hasNextPage }"), json!({}))
        .await;

    let products: Vec<Value> = nodes(&bare)
        .iter()
        .map(|product| {
            let id = product["id"].as_str().unwrap();
            let own = newest_first(&all_reviews, id);
            let edges: Vec<Value> = own
                .iter()
                .take(2)
                .map(|r| {
                    let author = &users[&r.author_id];
                    json!({ "node": { "id": r.id.to_string(), "author": {
                        "id": author.id.to_string(),
                        "displayName": author.display_name,
                        "role": author.role,
                    } } })
                })
                .collect();
            json!({ "node": { "id": id,
                "bare": { "edges": edges },
                "peeked": { "edges": edges, "pageInfo": { "hasNextPage": own.len() > 2 } },
            } })
        })
        .collect();
    assert!(
        products
            .iter()
            .any(|p| p["node"]["peeked"]["pageInfo"]["hasNextPage"] == true)
    );
    assert_eq!(bare, json!({ "products": { "edges": products } }));
    assert_eq!(
        peeked,
        json!({ "products": { "edges": products, "pageInfo": { "hasNextPage": true } } })
    );
}

#[tokio::test]
async fn each_product_of_a_page_gets_its_own_newest_reviews() {
    let app = TestApp::seeded().await;
    let all_reviews = reviews::Entity::find().all(&app.state.db).await.unwrap();

    let data = app
        .data(
            r#"{ products(first: 30) { edges { node { id
                reviews(first: 2) { edges { node { id } } pageInfo { hasNextPage } }
            } } } }"#,
            json!({}),
        )
        .await;

    let edges: Vec<Value> = nodes(&data)
        .iter()
        .map(|product| {
            let id = product["id"].as_str().unwrap();
            let own = newest_first(&all_reviews, id);
            let page: Vec<Value> = own
                .iter()
                .take(2)
                .map(|r| json!({ "node": { "id": r.id.to_string() } }))
                .collect();
            json!({ "node": { "id": id, "reviews": {
                "edges": page, "pageInfo": { "hasNextPage": own.len() > 2 } } } })
        })
        .collect();
    assert!(
        edges
            .iter()
            .any(|e| e["node"]["reviews"]["pageInfo"]["hasNextPage"] == true)
    );
    assert!(
        edges
            .iter()
            .any(|e| e["node"]["reviews"]["edges"] == json!([]))
    );
    assert_eq!(data, json!({ "products": { "edges": edges } }));
}

#[tokio::test]
async fn a_product_without_reviews_has_no_average_rating() {
    let app = TestApp::seeded().await;
    let product = products::Entity::find()
        .filter(products::Column::Active.eq(true))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    reviews::Entity::delete_many()
        .filter(reviews::Column::ProductId.eq(product.id))
        .exec(&app.state.db)
        .await
        .unwrap();
    let data = app
        .data(
            "query($id: ID!) { product(id: $id) { averageRating reviews { edges { cursor } pageInfo { hasNextPage endCursor } } } }",
            json!({ "id": product.id }),
        )
        .await;
    assert_eq!(data.pointer("/product/averageRating"), Some(&Value::Null));
    assert_eq!(data["product"]["reviews"]["edges"], json!([]));
    assert_eq!(
        data["product"]["reviews"]["pageInfo"],
        json!({ "hasNextPage": false, "endCursor": null })
    );
}

#[tokio::test]
async fn a_review_authors_email_is_null_with_forbidden_and_the_review_survives() {
    let app = TestApp::seeded().await;
    let body = app
        .graphql(
            "{ products(first: 50) { edges { node { reviews(first: 1) { edges { node { rating author { displayName email } } } } } } } }",
            json!({}),
        )
        .await
        .json();
    let errors = body["errors"].as_array().expect("FORBIDDEN errors");
    assert!(
        errors
            .iter()
            .all(|e| e["extensions"]["code"] == "FORBIDDEN")
    );
    assert_eq!(
        errors[0]["path"].as_array().unwrap().last().unwrap(),
        "email"
    );
    let authors: Vec<&Value> = body["data"]["products"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["node"]["reviews"]["edges"].as_array().unwrap())
        .map(|r| &r["node"]["author"])
        .collect();
    assert!(!authors.is_empty());
    assert!(
        authors
            .iter()
            .all(|a| a.get("email") == Some(&Value::Null) && a["displayName"].is_string())
    );
}

#[tokio::test]
async fn an_inactive_products_reviews_still_resolve_their_product() {
    let app = TestApp::seeded().await;
    let review = reviews::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let product = products::Entity::find_by_id(review.product_id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut product: products::ActiveModel = product.into();
    product.active = Set(false);
    product.update(&app.state.db).await.unwrap();
    // Another active product reviewed by the same author links back through Review.product.
    let data = app
        .data(
            "{ products(first: 20) { edges { node { reviews(first: 10) { edges { node { id product { id active } } } } } } } }",
            json!({}),
        )
        .await;
    let products_seen: Vec<&Value> = data["products"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["node"]["reviews"]["edges"].as_array().unwrap())
        .map(|r| &r["node"]["product"])
        .collect();
    assert!(products_seen.iter().all(|p| p["active"] == true));
    assert!(!products_seen.is_empty());
}
