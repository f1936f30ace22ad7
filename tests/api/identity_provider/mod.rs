//! Access tokens of an external identity provider, whose key set the test
//! serves itself: accounts are created on first sight, roles come from a
//! claim, bad tokens are refused, keys rotate, and Tollgate's own tokens
//! keep working beside them.

mod keys;
mod provider;

use std::time::Duration;

use futures_util::future::join_all;
use jsonwebtoken::Algorithm;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tollgate::{auth::Role, config::ConfigArgs};

use self::{
    keys::{EC_B, EC_C},
    provider::{AUDIENCE, ISSUER, Provider, SigningKey, claims, key_a},
};
use crate::{
    commerce::subscriptions::{next, open, send},
    helpers::{Session, TestApp, error_code},
    stored_values::{assert_internal_error, store_unknown},
};

const VIEWER: &str = "{ viewer { id email role displayName } }";

fn trusting(provider: &Provider) -> impl FnOnce(&mut ConfigArgs) + '_ {
    move |args| {
        let idp = &mut args.identity_provider;
        idp.jwks_url = Some(provider.url.clone());
        idp.jwks_issuer = Some(ISSUER.into());
        idp.jwks_audience = Some(AUDIENCE.into());
    }
}

/// An app trusting a provider that publishes `key_a`.
async fn trusting_key_a() -> (SigningKey, Provider, TestApp) {
    let key = key_a();
    let provider = Provider::serve(&[&key]).await;
    let app = TestApp::with(trusting(&provider)).await;
    (key, provider, app)
}

async fn viewer(app: &TestApp, token: &str) -> Value {
    app.graphql_as(Some(token), VIEWER, json!({})).await.json()
}

/// Asserts that `token` grants nothing and says why, with `code`.
async fn assert_refused(app: &TestApp, token: &str, code: &str, what: &str) -> String {
    let body = viewer(app, token).await;
    assert_eq!(body["data"]["viewer"], Value::Null, "{what}: {body}");
    assert_eq!(error_code(&body), code, "{what}: {body}");
    body["errors"][0]["message"].as_str().unwrap().to_owned()
}

async fn users_with_email(app: &TestApp, email: &str) -> u64 {
    entity::users::Entity::find()
        .filter(entity::users::Column::Email.eq(email))
        .count(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_providers_token_creates_the_account_on_first_sight_and_finds_it_after() {
    let (key, provider, app) = trusting_key_a().await;
    let token = key.sign(&claims(
        "auth0|grace",
        "Grace@Example.com",
        json!({ "name": "Grace Hopper" }),
    ));

    let first = viewer(&app, &token).await;
    let again = viewer(&app, &token).await;

    let me = &first["data"]["viewer"];
    assert_eq!(me["email"], "grace@example.com", "{first}");
    assert_eq!(me["displayName"], "Grace Hopper");
    assert_eq!(me["role"], "CUSTOMER");
    assert_eq!(again["data"]["viewer"]["id"], me["id"]);
    assert_eq!(users_with_email(&app, "grace@example.com").await, 1);
    assert_eq!(provider.hits(), 1, "the key set is cached");
}

#[tokio::test]
async fn rsa_keys_verify_too() {
    let key = SigningKey::rsa("rsa-1");
    let provider = Provider::serve(&[&key]).await;
    let app = TestApp::with(trusting(&provider)).await;

    let body = viewer(
        &app,
        &key.sign(&claims("rsa-user", "rsa@example.com", json!({}))),
    )
    .await;

    assert_eq!(body["data"]["viewer"]["email"], "rsa@example.com", "{body}");
}

#[tokio::test]
async fn the_role_claim_maps_to_roles_and_unknown_values_are_customer() {
    let (key, _provider, app) = trusting_key_a().await;
    let role_of = |sub: &'static str, role: Value| {
        let token = key.sign(&claims(
            sub,
            &format!("{sub}@example.com"),
            json!({ "role": role }),
        ));
        let app = &app;
        async move { viewer(app, &token).await["data"]["viewer"]["role"].clone() }
    };

    assert_eq!(role_of("s1", json!("staff")).await, "STAFF");
    assert_eq!(role_of("a1", json!(["customer", "ADMIN"])).await, "ADMIN");
    assert_eq!(role_of("r1", json!("root")).await, "CUSTOMER");
    assert_eq!(role_of("n1", json!(7)).await, "CUSTOMER");
    // The provider is the authority on the role: a later token changes it.
    assert_eq!(role_of("s1", json!("customer")).await, "CUSTOMER");
    let staff_only = "{ users(first: 1) { edges { node { id } } } }";
    let token = key.sign(&claims("s1", "s1@example.com", json!({ "role": "staff" })));
    let body = app
        .graphql_as(Some(&token), staff_only, json!({}))
        .await
        .json();
    assert_eq!(error_code(&body), "FORBIDDEN", "users is for ADMIN: {body}");
}

#[tokio::test]
async fn a_configured_role_map_reads_a_nested_claim_and_replaces_the_role_names() {
    let key = key_a();
    let provider = Provider::serve(&[&key]).await;
    let app = TestApp::with(|args| {
        trusting(&provider)(args);
        args.identity_provider.jwks_role_claim = Some("realm_access.roles".into());
        args.identity_provider.jwks_role_map = Some("shop-admin=ADMIN".into());
    })
    .await;
    let roles = |roles: Value| json!({ "realm_access": { "roles": roles } });

    let admin = key.sign(&claims(
        "k1",
        "k1@example.com",
        roles(json!(["shop-admin"])),
    ));
    let named = key.sign(&claims("k2", "k2@example.com", roles(json!(["ADMIN"]))));

    assert_eq!(
        viewer(&app, &admin).await["data"]["viewer"]["role"],
        "ADMIN"
    );
    assert_eq!(
        viewer(&app, &named).await["data"]["viewer"]["role"],
        "CUSTOMER"
    );
}

#[tokio::test]
async fn wrong_issuer_audience_lifetime_algorithm_or_key_are_refused() {
    let key = key_a();
    let stranger = SigningKey::ec("key-a", &EC_B);
    let rsa = SigningKey::rsa("rsa-1");
    let provider = Provider::serve(&[&key, &rsa]).await;
    let app = TestApp::with(trusting(&provider)).await;
    let now = chrono::Utc::now().timestamp();
    let token = |extra: Value| key.sign(&claims("mallory", "m@example.com", extra));
    let unsigned = {
        let valid = token(json!({}));
        let payload = valid.split('.').nth(1).unwrap().to_owned();
        format!("eyJhbGciOiJub25lIiwia2lkIjoia2V5LWEifQ.{payload}.")
    };
    // The classic confusion: the provider's public key used as an HMAC secret.
    let confused = {
        let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
        header.kid = Some(key.kid.to_owned());
        let secret = jsonwebtoken::EncodingKey::from_secret(keys::EC_A.x.as_bytes());
        jsonwebtoken::encode(&header, &claims("m", "m@example.com", json!({})), &secret).unwrap()
    };
    let cases = [
        (
            "another issuer",
            token(json!({ "iss": "https://evil.test/" })),
        ),
        ("another audience", token(json!({ "aud": "someone-else" }))),
        ("expired", token(json!({ "exp": now - 120 }))),
        ("not yet valid", token(json!({ "nbf": now + 600 }))),
        ("no subject", token(json!({ "sub": null }))),
        (
            "another key under a known kid",
            stranger.sign(&claims("m", "m@example.com", json!({}))),
        ),
        (
            "an algorithm the key does not have",
            rsa.sign_as(Algorithm::PS256, &claims("m", "m@example.com", json!({}))),
        ),
        ("alg none", unsigned),
        ("HS256 keyed with the public key", confused),
        (
            "an unknown kid",
            SigningKey::ec("key-x", &EC_C).sign(&claims("m", "m@example.com", json!({}))),
        ),
    ];

    for (what, token) in &cases {
        let message = assert_refused(&app, token, "UNAUTHENTICATED", what).await;
        assert!(message.contains("invalid or expired"), "{what}: {message}");
    }
    assert_eq!(users_with_email(&app, "m@example.com").await, 0);
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_for_all_concurrent_requests() {
    let (a, b, c) = (
        key_a(),
        SigningKey::ec("key-b", &EC_B),
        SigningKey::ec("key-c", &EC_C),
    );
    let provider = Provider::serve(&[&a]).await;
    let app = TestApp::with(|args| {
        trusting(&provider)(args);
        args.identity_provider.jwks_refresh_secs = Some("1".into());
    })
    .await;
    let body = viewer(&app, &a.sign(&claims("u1", "u1@example.com", json!({})))).await;
    assert!(body["data"]["viewer"]["id"].is_string(), "{body}");
    assert_eq!(provider.hits(), 1);

    provider.publish(&[&a, &b]);
    // Past the one-second refresh interval, a new kid may fetch the set again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let tokens: Vec<String> = (0..8)
        .map(|i| {
            b.sign(&claims(
                &format!("r{i}"),
                &format!("r{i}@example.com"),
                json!({}),
            ))
        })
        .collect();
    let answers = join_all(tokens.iter().map(|t| viewer(&app, t))).await;

    for body in &answers {
        assert!(body["data"]["viewer"]["id"].is_string(), "{body}");
    }
    assert_eq!(
        provider.hits(),
        2,
        "one fetch for the new kid, not one per request"
    );
    // A kid the fresh set lacks does not fetch again within the interval.
    let unknown = c.sign(&claims("u9", "u9@example.com", json!({})));
    assert_refused(&app, &unknown, "UNAUTHENTICATED", "unknown kid").await;
    assert_eq!(provider.hits(), 2);
}

#[tokio::test]
async fn unknown_kids_fetch_the_key_set_at_most_once_per_minute() {
    let (a, b) = (key_a(), SigningKey::ec("key-b", &EC_B));
    let provider = Provider::serve(&[&a]).await;
    let app = TestApp::with(trusting(&provider)).await;
    viewer(&app, &a.sign(&claims("u1", "u1@example.com", json!({})))).await;

    provider.publish(&[&a, &b]);
    for i in 0..5 {
        let token = b.sign(&claims(&format!("n{i}"), "n@example.com", json!({})));
        assert_refused(&app, &token, "UNAUTHENTICATED", "new kid within the minute").await;
    }

    assert_eq!(provider.hits(), 1, "the default interval is a minute");
}

#[tokio::test]
async fn an_unreachable_key_set_is_service_unavailable_not_a_bad_token() {
    let key = key_a();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks", closed.local_addr().unwrap());
    drop(closed);
    let app = TestApp::with(|args| {
        args.identity_provider.jwks_url = Some(url);
        args.identity_provider.jwks_issuer = Some(ISSUER.into());
        args.identity_provider.jwks_audience = Some(AUDIENCE.into());
    })
    .await;

    let token = key.sign(&claims("u1", "u1@example.com", json!({})));
    let response = app.send(Some(&token), &[], VIEWER, json!({})).await;
    let body = response.json();
    assert_eq!(response.status, 503, "{body}");
    assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{body}");
}

#[tokio::test]
async fn concurrent_first_requests_on_two_instances_create_one_account() {
    let (key, provider, app) = trusting_key_a().await;
    let other = app.sibling(trusting(&provider)).await;
    let token = key.sign(&claims("twin", "twin@example.com", json!({})));

    let answers =
        join_all((0..6).map(|i| viewer(if i % 2 == 0 { &app } else { &other }, &token))).await;

    let ids: Vec<&Value> = answers.iter().map(|b| &b["data"]["viewer"]["id"]).collect();
    assert!(ids[0].is_string(), "{}", answers[0]);
    assert!(ids.iter().all(|id| *id == ids[0]), "{answers:?}");
    assert_eq!(users_with_email(&app, "twin@example.com").await, 1);
}

#[tokio::test]
async fn an_email_of_a_local_account_is_never_merged_and_needs_to_be_verified() {
    let (key, _provider, app) = trusting_key_a().await;
    let local = app.register("ada@example.com").await;

    let claiming = key.sign(&claims("idp-ada", "ADA@example.com", json!({})));
    let message = assert_refused(&app, &claiming, "UNAUTHENTICATED", "taken email").await;
    assert!(message.contains("another account"), "{message}");
    let unverified = key.sign(&claims(
        "u2",
        "u2@example.com",
        json!({ "email_verified": false }),
    ));
    assert_refused(&app, &unverified, "UNAUTHENTICATED", "unverified email").await;
    let no_email = key.sign(&claims("u3", "", json!({ "email": null })));
    assert_refused(&app, &no_email, "UNAUTHENTICATED", "no email").await;

    let body = viewer(&app, &local.access_token).await;
    assert_eq!(
        body["data"]["viewer"]["id"],
        local.user_id.as_str(),
        "{body}"
    );
}

#[tokio::test]
async fn tollgates_own_tokens_work_beside_the_providers_and_provider_accounts_have_no_password() {
    let (key, provider, app) = trusting_key_a().await;
    let own = app.register("local@example.com").await;
    let external = key.sign(&claims("ext", "ext@example.com", json!({})));

    let mine = viewer(&app, &own.access_token).await;
    let theirs = viewer(&app, &external).await;

    assert_eq!(
        mine["data"]["viewer"]["email"], "local@example.com",
        "{mine}"
    );
    assert_eq!(
        theirs["data"]["viewer"]["email"], "ext@example.com",
        "{theirs}"
    );
    assert_eq!(provider.hits(), 1, "own tokens never fetch the key set");
    assert!(app.login("ext@example.com", "!external").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_providers_user_orders_and_hears_the_order_ship_over_a_websocket() {
    let (key, _provider, app) = trusting_key_a().await;
    let addr = app.serve().await;
    let staff = app.user_with_role("staff@example.com", Role::Staff).await;
    let mug = app.create_product(&staff, "MUG-IDP", 1250, 5).await;
    let token = key.sign(&claims("buyer", "buyer@example.com", json!({})));
    let customer = Session {
        user_id: String::new(),
        email: "buyer@example.com".into(),
        access_token: token.clone(),
        refresh_token: String::new(),
    };
    let placed = app.place_order(&customer, &[(&mug, 1)]).await;
    let order = placed["data"]["placeOrder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.pay(&customer, &order, "idp-payment").await;

    let mut socket = open(addr, Some(&token)).await;
    let query = "subscription($id: ID) { orderStatusChanged(orderId: $id) { id status } }";
    let subscribe = json!({ "id": "1", "type": "subscribe",
                            "payload": { "query": query, "variables": { "id": order } } });
    send(&mut socket, subscribe).await;
    app.listening(1).await;
    app.graphql_as(
        Some(&staff.access_token),
        "mutation($id: ID!) { shipOrder(id: $id) { status } }",
        json!({ "id": order }),
    )
    .await;

    let heard = next(&mut socket, Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        heard["payload"]["data"]["orderStatusChanged"],
        json!({ "id": order, "status": "SHIPPED" }),
        "{heard}"
    );
}

#[tokio::test]
async fn a_stored_role_this_version_does_not_know_is_an_internal_error_not_another_account() {
    let (key, _provider, app) = trusting_key_a().await;
    let staff = key.sign(&claims("u1", "u1@example.com", json!({ "role": "staff" })));
    assert_eq!(
        viewer(&app, &staff).await["data"]["viewer"]["role"],
        "STAFF"
    );
    store_unknown::<entity::users::Entity>(
        &app,
        entity::users::Column::Role,
        "AUDITOR",
        entity::users::Column::Email.eq("u1@example.com"),
    )
    .await;

    // Another role in the token makes the server read the account again.
    let customer = key.sign(&claims(
        "u1",
        "u1@example.com",
        json!({ "role": "customer" }),
    ));
    assert_internal_error(&app, &customer, VIEWER, "viewer", json!({ "viewer": null })).await;
    assert_eq!(users_with_email(&app, "u1@example.com").await, 1);
}
