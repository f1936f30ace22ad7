//! Every protected field and mutation, for every kind of viewer: allowed, or
//! refused with the right code (UNAUTHENTICATED for anonymous, FORBIDDEN for a
//! role too low, NOT_FOUND for another user's object).

use serde_json::{Value, json};
use tollgate::auth::Role;

use crate::helpers::{PASSWORD, TestApp};

#[derive(Clone, Copy, Debug)]
enum Actor {
    Anonymous,
    Customer,
    Staff,
    Admin,
}

const ACTORS: [Actor; 4] = [
    Actor::Anonymous,
    Actor::Customer,
    Actor::Staff,
    Actor::Admin,
];

/// (name, operation, expected outcome for Anonymous, Customer, Staff, Admin).
/// `$self` is the actor's own id, `$other` another customer's.
const TABLE: &[(&str, &str, [&str; 4])] = &[
    (
        "viewer",
        "query { viewer { id } }",
        ["null", "ok", "ok", "ok"],
    ),
    (
        "user(id: self)",
        "query($self: ID!) { user(id: $self) { id } }",
        ["UNAUTHENTICATED", "ok", "ok", "ok"],
    ),
    (
        "user(id: other)",
        "query($other: ID!) { user(id: $other) { id } }",
        ["UNAUTHENTICATED", "NOT_FOUND", "ok", "ok"],
    ),
    (
        "users",
        "query { users(first: 5) { edges { node { id } } } }",
        ["UNAUTHENTICATED", "FORBIDDEN", "FORBIDDEN", "ok"],
    ),
    (
        "User.email of another user",
        "query { products(first: 100) { edges { node { reviews(first: 1) { edges { node { author { email } } } } } } } }",
        ["FORBIDDEN", "FORBIDDEN", "ok", "ok"],
    ),
    (
        "setUserRole",
        "mutation($other: ID!) { setUserRole(userId: $other, role: CUSTOMER) { id } }",
        ["UNAUTHENTICATED", "FORBIDDEN", "FORBIDDEN", "ok"],
    ),
    (
        "changePassword",
        "mutation($password: String!) { changePassword(input: { currentPassword: $password, newPassword: $password }) }",
        ["UNAUTHENTICATED", "ok", "ok", "ok"],
    ),
];

fn outcome(body: &Value) -> String {
    match body["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => code.to_owned(),
        None if body.pointer("/data/viewer") == Some(&Value::Null) => "null".to_owned(),
        None => "ok".to_owned(),
    }
}

#[tokio::test]
async fn each_protected_field_allows_and_refuses_each_role_as_the_contract_says() {
    let app = TestApp::seeded().await;
    let other = app.register("other@example.com").await;
    let customer = app.register("customer@example.com").await;
    let staff = app.user_with_role("staff@example.com", Role::Staff).await;
    let admin = app.user_with_role("admin@example.com", Role::Admin).await;
    let mut mismatches = Vec::new();
    for (name, operation, expected) in TABLE {
        for (actor, expected) in ACTORS.iter().zip(expected) {
            let session = match actor {
                Actor::Anonymous => None,
                Actor::Customer => Some(&customer),
                Actor::Staff => Some(&staff),
                Actor::Admin => Some(&admin),
            };
            let variables = json!({
                "self": session.map_or(other.user_id.as_str(), |s| s.user_id.as_str()),
                "other": other.user_id,
                "password": PASSWORD,
            });
            let token = session.map(|s| s.access_token.as_str());
            let body = app.graphql_as(token, operation, variables).await.json();
            let got = outcome(&body);
            if got != *expected {
                mismatches.push(format!(
                    "{name} as {actor:?}: expected {expected}, got {got}: {body}"
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
