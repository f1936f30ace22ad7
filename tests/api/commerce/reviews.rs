//! Writing reviews: validated, one per user and product.

use serde_json::json;

use super::Shop;
use crate::helpers::error_code;

const ADD: &str = "mutation($input: AddReviewInput!) { addReview(input: $input) { rating body author { id displayName } product { averageRating } } }";

#[tokio::test]
async fn a_signed_in_user_reviews_a_product_once() {
    let shop = Shop::open().await;
    let id = shop
        .app
        .create_product(&shop.staff, "BOOK-1", 1500, 3)
        .await;
    let ada = Some(shop.ada.access_token.as_str());
    let body = shop
        .app
        .graphql_as(
            ada,
            ADD,
            json!({ "input": { "productId": id, "rating": 4, "body": " Lovely. " } }),
        )
        .await
        .json();
    let review = &body["data"]["addReview"];
    assert_eq!(review["body"], "Lovely.");
    // The name the review keeps is its author's (every test user's).
    assert_eq!(
        review["author"],
        json!({ "id": shop.ada.user_id, "displayName": "Test User" })
    );
    assert_eq!(review["product"]["averageRating"], 4.0);
    let again = shop
        .app
        .graphql_as(
            ada,
            ADD,
            json!({ "input": { "productId": id, "rating": 2, "body": "Changed my mind" } }),
        )
        .await
        .json();
    assert_eq!(error_code(&again), "CONFLICT");
    let bob = shop
        .app
        .graphql_as(
            Some(&shop.bob.access_token),
            ADD,
            json!({ "input": { "productId": id, "rating": 1, "body": "Meh" } }),
        )
        .await
        .json();
    assert_eq!(bob["data"]["addReview"]["product"]["averageRating"], 2.5);
    let mine = shop
        .app
        .graphql_as(
            ada,
            "{ viewer { reviews { edges { node { rating } } } } }",
            json!({}),
        )
        .await
        .json();
    assert_eq!(
        mine["data"]["viewer"]["reviews"]["edges"],
        json!([{ "node": { "rating": 4 } }])
    );
}

#[tokio::test]
async fn review_input_is_validated_and_needs_a_signed_in_user() {
    let shop = Shop::open().await;
    let id = shop
        .app
        .create_product(&shop.staff, "BOOK-2", 1500, 3)
        .await;
    let ada = Some(shop.ada.access_token.as_str());
    for (input, field) in [
        (
            json!({ "productId": id, "rating": 0, "body": "x" }),
            "input.rating",
        ),
        (
            json!({ "productId": id, "rating": 6, "body": "x" }),
            "input.rating",
        ),
        (
            json!({ "productId": id, "rating": 5, "body": "  " }),
            "input.body",
        ),
        (
            json!({ "productId": id, "rating": 5, "body": "x".repeat(2001) }),
            "input.body",
        ),
        (
            json!({ "productId": uuid::Uuid::now_v7(), "rating": 5, "body": "x" }),
            "input.productId",
        ),
    ] {
        let body = shop
            .app
            .graphql_as(ada, ADD, json!({ "input": input }))
            .await
            .json();
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field);
    }
    let anonymous = shop
        .app
        .graphql(
            ADD,
            json!({ "input": { "productId": id, "rating": 5, "body": "x" } }),
        )
        .await
        .json();
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}
