//! The entity cache, the public response cache and persisted queries: hits
//! save statements, every write path invalidates what it changed, and nothing
//! private is ever served from a shared cache.

use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{
    commerce::Shop,
    helpers::{TestApp, error_code},
};

const CATALOG: &str = "{ products(first: 50) { edges { node { id name stock averageRating reviews(first: 5) { edges { node { rating author { displayName } } } } } } } }";

pub fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn without_response_cache() -> TestApp {
    TestApp::with(|args| args.response_cache = Some("false".into())).await
}

#[tokio::test]
async fn a_warm_entity_cache_saves_the_author_query() {
    // A review names its author; their profile is read for more than that.
    let catalog = CATALOG.replace("author { displayName }", "author { displayName createdAt }");
    let app = TestApp::seeded_with(|args| args.response_cache = Some("false".into())).await;
    let cold = app.graphql(&catalog, json!({})).await;
    let warm = app.graphql(&catalog, json!({})).await;
    assert_eq!(cold.json()["data"], warm.json()["data"]);
    assert_eq!(cold.statements(), 4, "products, ratings, reviews, authors");
    assert_eq!(warm.statements(), 3, "the authors come from the cache");
    let names_only = app.graphql(CATALOG, json!({})).await;
    assert_eq!(names_only.statements(), 3, "products, ratings, reviews");
}

#[tokio::test]
async fn every_write_path_invalidates_what_it_changed() {
    let shop = Shop::on(without_response_cache().await).await;
    let app = &shop.app;
    let staff = Some(shop.staff.access_token.as_str());
    let mug = app.create_product(&shop.staff, "MUG-1", 1000, 10).await;
    let placed = app.place_order(&shop.ada, &[(&mug, 1)]).await;
    let order = placed["data"]["placeOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Read the product and the customer through the cached loaders.
    let read = || async {
        let body = app
            .graphql_as(staff, "query($id: ID!) { order(id: $id) { customer { role } items { product { name stock } } } }", json!({ "id": order }))
            .await
            .json();
        let order = &body["data"]["order"];
        (
            order["items"][0]["product"]["name"]
                .as_str()
                .unwrap()
                .to_owned(),
            order["items"][0]["product"]["stock"].as_i64().unwrap(),
            order["customer"]["role"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(read().await, ("Product MUG-1".into(), 9, "CUSTOMER".into()));

    app.graphql_as(
        staff,
        "mutation($id: ID!) { updateProduct(id: $id, input: { name: \"Big mug\" }) { id } }",
        json!({ "id": mug }),
    )
    .await;
    assert_eq!(read().await.0, "Big mug", "updateProduct");
    app.graphql_as(
        staff,
        "mutation($id: ID!) { adjustStock(productId: $id, delta: 5) { id } }",
        json!({ "id": mug }),
    )
    .await;
    assert_eq!(read().await.1, 14, "adjustStock");
    app.place_order(&shop.bob, &[(&mug, 4)]).await;
    assert_eq!(read().await.1, 10, "placeOrder");
    app.graphql_as(
        Some(&shop.ada.access_token),
        "mutation($id: ID!) { cancelOrder(id: $id) { id } }",
        json!({ "id": order }),
    )
    .await;
    assert_eq!(read().await.1, 11, "cancelOrder");
    app.graphql_as(
        Some(&shop.admin.access_token),
        "mutation($id: ID!) { setUserRole(userId: $id, role: STAFF) { id } }",
        json!({ "id": shop.ada.user_id }),
    )
    .await;
    assert_eq!(read().await.2, "STAFF", "setUserRole");
}

/// A public answer goes out gzipped to clients that take gzip, on a miss
/// and on every hit (the answer compressed once, each request's cost
/// spliced on), and plain to those that do not; all of them say the same.
#[tokio::test]
async fn public_answers_from_the_cache_are_gzipped_for_clients_that_take_it() {
    let app = TestApp::seeded().await;
    let request = |encoding: Option<&str>| {
        let mut request = Request::post("/graphql").header("content-type", "application/json");
        if let Some(encoding) = encoding {
            request = request.header("accept-encoding", encoding);
        }
        request
            .body(Body::from(json!({ "query": CATALOG }).to_string()))
            .unwrap()
    };
    let gunzip = |body: &[u8]| -> serde_json::Value {
        let mut json = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body), &mut json).unwrap();
        serde_json::from_slice(&json).unwrap()
    };
    let mut answers = Vec::new();
    for (encoding, cache, gzipped) in [
        (Some("gzip, deflate, br"), "miss", true),
        (Some("gzip"), "hit", true),
        (Some("br;q=1.0, gzip;q=0.5"), "hit", true),
        (None, "hit", false),
        (Some("gzip;q=0, identity"), "hit", false),
    ] {
        let response = app.request(request(encoding)).await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.header("x-cache"), Some(cache), "{encoding:?}");
        let json = if gzipped {
            assert_eq!(
                response.header("content-encoding"),
                Some("gzip"),
                "{encoding:?}"
            );
            assert_eq!(
                response.header("vary"),
                Some("accept, authorization, accept-encoding")
            );
            gunzip(&response.body)
        } else {
            assert_eq!(response.header("content-encoding"), None, "{encoding:?}");
            response.json()
        };
        let object = json.as_object().unwrap();
        assert_eq!(object.keys().collect::<Vec<_>>(), ["data", "extensions"]);
        assert!(
            json["extensions"]["cost"]["throttleStatus"].is_object(),
            "{json}"
        );
        answers.push(json);
    }
    assert_eq!(
        answers[0]["data"]["products"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        50
    );
    for answer in &answers[1..] {
        assert_eq!(answer["data"], answers[0]["data"]);
        assert_eq!(
            answer["extensions"]["cost"]["requestedQueryCost"],
            answers[0]["extensions"]["cost"]["requestedQueryCost"]
        );
    }
}

/// A hit costs the client what computing the answer cost (its actual cost,
/// below what it asked for when a page is not full), as the miss did.
#[tokio::test]
async fn a_cached_answer_is_charged_its_actual_cost_as_when_it_was_computed() {
    let shop = Shop::open().await;
    let app = &shop.app;
    app.create_product(&shop.staff, "MUG-1", 1000, 10).await;
    let query = "{ products(first: 20) { edges { node { name } } } }";
    let miss = app.graphql(query, json!({})).await;
    let hit = app.graphql(query, json!({})).await;
    assert_eq!(miss.header("x-cache"), Some("miss"));
    assert_eq!(hit.header("x-cache"), Some("hit"));
    let (miss, hit) = (miss.json(), hit.json());
    assert_eq!(hit["data"], miss["data"]);
    let cost =
        |json: &serde_json::Value, key: &str| json["extensions"]["cost"][key].as_u64().unwrap();
    let (requested, actual) = (
        cost(&miss, "requestedQueryCost"),
        cost(&miss, "actualQueryCost"),
    );
    assert!(actual < requested, "one product of a page of 20: {miss}");
    assert_eq!(cost(&hit, "requestedQueryCost"), requested);
    assert_eq!(cost(&hit, "actualQueryCost"), actual);
    // What the hit took from the bucket: its actual cost, less what the
    // bucket refilled in between (never the requested cost).
    let available = |json: &serde_json::Value| {
        json["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
            .as_u64()
            .unwrap()
    };
    assert!(
        available(&miss).saturating_sub(available(&hit)) <= actual,
        "miss {miss}, hit {hit}"
    );
}

#[tokio::test]
async fn anonymous_catalog_answers_come_from_the_response_cache_until_a_write() {
    let shop = Shop::open().await;
    let app = &shop.app;
    let mug = app.create_product(&shop.staff, "MUG-1", 1000, 10).await;
    let query = "query($id: ID!) { product(id: $id) { name stock averageRating } }";
    let vars = json!({ "id": mug });
    let miss = app.graphql(query, vars.clone()).await;
    assert_eq!(miss.header("x-cache"), Some("miss"));
    assert_eq!(miss.header("cache-control"), Some("public, max-age=5"));
    let hit = app.graphql(query, vars.clone()).await;
    assert_eq!(hit.header("x-cache"), Some("hit"));
    assert_eq!(hit.statements_or_none(), None, "a hit runs nothing");
    assert_eq!(hit.json()["data"], miss.json()["data"]);
    // Another spelling of the same document shares the entry.
    let respelled = app
        .graphql(
            "query ($id: ID!) {\n product(id: $id) { name, stock, averageRating } }",
            vars.clone(),
        )
        .await;
    assert_eq!(respelled.header("x-cache"), Some("hit"));

    app.place_order(&shop.ada, &[(&mug, 2)]).await;
    let after_order = app.graphql(query, vars.clone()).await;
    assert_eq!(
        after_order.header("x-cache"),
        Some("miss"),
        "the order cleared the cache"
    );
    assert_eq!(after_order.json()["data"]["product"]["stock"], 8);
    app.graphql_as(
        Some(&shop.bob.access_token),
        "mutation($id: ID!) { addReview(input: { productId: $id, rating: 3, body: \"ok\" }) { id } }",
        json!({ "id": mug }),
    )
    .await;
    let after_review = app.graphql(query, vars).await.json();
    assert_eq!(after_review["data"]["product"]["averageRating"], 3.0);
}

#[tokio::test]
async fn signed_in_viewers_private_fields_and_mutations_are_never_cached() {
    let shop = Shop::open().await;
    let app = &shop.app;
    let mug = app.create_product(&shop.staff, "MUG-1", 1000, 10).await;
    app.graphql_as(
        Some(&shop.bob.access_token),
        "mutation($id: ID!) { addReview(input: { productId: $id, rating: 3, body: \"ok\" }) { id } }",
        json!({ "id": mug }),
    )
    .await;
    let public = "query($id: ID!) { product(id: $id) { name } }";
    let vars = json!({ "id": mug });
    app.graphql(public, vars.clone()).await;
    for token in [&shop.ada, &shop.staff] {
        let signed_in = app
            .graphql_as(Some(&token.access_token), public, vars.clone())
            .await;
        assert_eq!(signed_in.header("cache-control"), Some("no-store"));
        assert_eq!(signed_in.header("x-cache"), None);
    }
    let private =
        "query($id: ID!) { product(id: $id) { reviews { edges { node { author { email } } } } } }";
    for _ in 0..2 {
        let response = app.graphql(private, vars.clone()).await;
        assert_eq!(response.header("cache-control"), Some("no-store"));
        assert_eq!(error_code(&response.json()), "FORBIDDEN");
    }
    let staff_view = app
        .graphql_as(Some(&shop.staff.access_token), private, vars.clone())
        .await
        .json();
    assert_eq!(
        staff_view["data"]["product"]["reviews"]["edges"][0]["node"]["author"]["email"],
        "bob@example.com"
    );
    let anonymous_again = app.graphql(private, vars).await.json();
    assert!(
        !anonymous_again.to_string().contains("bob@example.com"),
        "the staff answer was not shared"
    );
    let mutation = app
        .graphql("mutation { logout(refreshToken: \"x\") }", json!({}))
        .await;
    assert_eq!(mutation.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn automatic_persisted_queries_register_hit_miss_and_refuse_a_wrong_hash() {
    let app = TestApp::seeded().await;
    let query = "{ products(first: 2) { edges { node { sku } } } }";
    let hash = sha256(query);
    let persisted = |hash: &str| json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });

    let miss = app
        .post_json(&json!({ "extensions": persisted(&hash) }))
        .await;
    assert_eq!(miss.status, StatusCode::OK);
    let body = miss.json();
    assert_eq!(error_code(&body), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");

    let wrong = app
        .post_json(&json!({ "query": query, "extensions": persisted(&sha256("another")) }))
        .await
        .json();
    assert_eq!(error_code(&wrong), "BAD_USER_INPUT");
    let still_missing = app
        .post_json(&json!({ "extensions": persisted(&sha256("another")) }))
        .await
        .json();
    assert_eq!(
        error_code(&still_missing),
        "PERSISTED_QUERY_NOT_FOUND",
        "nothing was stored under the wrong hash"
    );

    let registered = app
        .post_json(&json!({ "query": query, "extensions": persisted(&hash) }))
        .await
        .json();
    assert_eq!(
        registered["data"]["products"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let hit = app
        .post_json(&json!({ "extensions": persisted(&hash) }))
        .await
        .json();
    assert_eq!(hit["data"], registered["data"]);

    let extensions = serde_json::to_string(&persisted(&hash)).unwrap();
    let uri = format!("/graphql?extensions={}", urlencode(&extensions));
    let get = app
        .request(Request::get(uri).body(Body::empty()).unwrap())
        .await;
    assert_eq!(get.status, StatusCode::OK);
    assert_eq!(
        get.json()["data"],
        registered["data"],
        "GET works with the hash alone, for CDNs"
    );
}

#[tokio::test]
async fn an_automatic_persisted_query_that_fails_the_checks_is_not_registered() {
    let app = TestApp::spawn().await;
    let persisted =
        |query: &str| json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(query) } });
    let long = format!("{{ __typename }} #{}", "x".repeat(16 * 1024));
    for query in ["{ products(", long.as_str()] {
        let refused = app
            .post_json(&json!({ "query": query, "extensions": persisted(query) }))
            .await
            .json();
        assert!(refused.get("errors").is_some(), "{refused}");
        let by_hash = app
            .post_json(&json!({ "extensions": persisted(query) }))
            .await
            .json();
        assert_eq!(
            error_code(&by_hash),
            "PERSISTED_QUERY_NOT_FOUND",
            "{query} was registered"
        );
    }
}

#[tokio::test]
async fn a_persisted_mutation_cannot_run_over_get() {
    let shop = Shop::open().await;
    let app = &shop.app;
    let mutation = "mutation { logout(refreshToken: \"whatever\") }";
    let hash = sha256(mutation);
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    app.post_json(&json!({ "query": mutation, "extensions": extensions }))
        .await;
    let uri = format!("/graphql?extensions={}", urlencode(&extensions.to_string()));
    let get = app
        .request(Request::get(uri).body(Body::empty()).unwrap())
        .await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_of_one_product_load_it_once() {
    let app = TestApp::seeded_with(|args| args.response_cache = Some("false".into())).await;
    let id = app.newest_product_id().await;
    app.state
        .caches
        .entities
        .forget_product(id.as_str().unwrap().parse().unwrap())
        .await;
    let requests = (0..20).map(|_| {
        app.graphql(
            "query($id: ID!) { product(id: $id) { name } }",
            json!({ "id": id }),
        )
    });
    let responses = futures_util::future::join_all(requests).await;
    let statements: u64 = responses.iter().map(|r| r.statements()).sum();
    assert!(
        responses
            .iter()
            .all(|r| r.json()["data"]["product"]["name"].is_string())
    );
    assert_eq!(statements, 1, "twenty requests, one query");
}
