//! Access tokens: forged, tampered, expired and misdirected tokens grant
//! nothing and never fail the whole request; rotated keys keep verifying.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{JWT_SECRET, Session, TestApp, error_code};

const VIEWER_AND_CATALOG: &str = "{ viewer { id } products(first: 1) { edges { node { sku } } } }";

fn kid(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &Value, secret: &str, kid_of: &str, alg: Algorithm) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid(kid_of));
    encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// Asserts that `token` grants nothing, that the viewer is told so, and that
/// public fields still answer.
async fn assert_refused(app: &TestApp, token: &str, what: &str) {
    let body = app
        .graphql_as(Some(token), VIEWER_AND_CATALOG, json!({}))
        .await
        .json();
    assert_eq!(
        body.pointer("/data/viewer"),
        Some(&Value::Null),
        "{what}: {body}"
    );
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{what}: {body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("invalid or expired"), "{what}: {message}");
    assert!(
        body["data"]["products"]["edges"].is_array(),
        "{what}: public fields still work"
    );
}

async fn signed_in(app: &TestApp) -> Session {
    app.register("ada@example.com").await
}

#[tokio::test]
async fn forged_and_misdirected_tokens_are_refused() {
    let app = TestApp::seeded().await;
    let session = signed_in(&app).await;
    let good = claims_of(&session.access_token);
    let now = Utc::now().timestamp();
    let with = |key: &str, value: Value| {
        let mut claims = good.clone();
        claims[key] = value;
        claims
    };
    let hs256 = |claims: &Value| sign(claims, JWT_SECRET, JWT_SECRET, Algorithm::HS256);

    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD
            .encode(json!({ "alg": "none", "typ": "JWT", "kid": kid(JWT_SECRET) }).to_string()),
        URL_SAFE_NO_PAD.encode(with("role", json!("ADMIN")).to_string()),
    );
    let mut parts: Vec<&str> = session.access_token.split('.').collect();
    let tampered_payload = URL_SAFE_NO_PAD.encode(with("role", json!("ADMIN")).to_string());
    parts[1] = &tampered_payload;
    let tampered = parts.join(".");

    let cases = [
        (unsigned, "alg=none"),
        (tampered, "tampered payload"),
        (
            sign(
                &good,
                "another-secret-another-secret-xx",
                JWT_SECRET,
                Algorithm::HS256,
            ),
            "wrong signature",
        ),
        (
            sign(&good, JWT_SECRET, JWT_SECRET, Algorithm::HS512),
            "another HMAC algorithm",
        ),
        (
            sign(
                &good,
                JWT_SECRET,
                "an-unknown-key-an-unknown-key-xx",
                Algorithm::HS256,
            ),
            "unknown kid",
        ),
        (hs256(&with("exp", json!(now - 120))), "expired"),
        (hs256(&with("nbf", json!(now + 600))), "not yet valid"),
        (hs256(&with("aud", json!("someone-else"))), "wrong audience"),
        (hs256(&with("iss", json!("someone-else"))), "wrong issuer"),
        (hs256(&with("typ", json!("refresh"))), "wrong token type"),
        ("not.a.jwt".to_owned(), "garbage"),
    ];
    for (token, what) in &cases {
        assert_refused(&app, token, what).await;
    }
    let genuine = app
        .graphql_as(Some(&session.access_token), VIEWER_AND_CATALOG, json!({}))
        .await
        .json();
    assert_eq!(genuine["data"]["viewer"]["id"], session.user_id.as_str());
    assert_eq!(
        hs256(&good).len(),
        session.access_token.len(),
        "the forgeries are well-formed"
    );
}

#[tokio::test]
async fn a_bad_token_never_blocks_login_register_or_refresh() {
    let app = TestApp::spawn().await;
    let session = signed_in(&app).await;
    let body = app
        .graphql_as(
            Some("garbage"),
            "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }",
            json!({ "t": session.refresh_token }),
        )
        .await
        .json();
    assert!(
        body["data"]["refreshToken"]["accessToken"].is_string(),
        "{body}"
    );
    let login = app
        .send(
            Some("garbage"),
            &[],
            "mutation { login(input: { email: \"ada@example.com\", password: \"violet staircase umbrella\" }) { accessToken } }",
            json!({}),
        )
        .await;
    assert!(login.json()["data"]["login"]["accessToken"].is_string());
    let malformed_header = app
        .send(
            None,
            &[("authorization", "Basic YWRhOnNlY3JldA==")],
            "{ viewer { id } }",
            json!({}),
        )
        .await;
    assert_eq!(malformed_header.status, axum::http::StatusCode::OK);
    assert_eq!(error_code(&malformed_header.json()), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_token_signed_by_the_previous_key_still_verifies_after_rotation() {
    let old_secret = "the-old-secret-the-old-secret-the-old";
    let new_secret = "the-new-secret-the-new-secret-the-new";
    let before = TestApp::with(|args| args.jwt_secret = Some(old_secret.into())).await;
    let session = signed_in(&before).await;
    let rotated = before
        .sibling(|args| {
            args.jwt_secret = Some(new_secret.into());
            args.jwt_previous_secrets = Some(old_secret.into());
        })
        .await;
    let body = rotated
        .graphql_as(Some(&session.access_token), "{ viewer { id } }", json!({}))
        .await
        .json();
    assert_eq!(
        body["data"]["viewer"]["id"],
        session.user_id.as_str(),
        "{body}"
    );
    let refreshed = rotated.refresh(&session.refresh_token).await;
    let token = refreshed["data"]["refreshToken"]["accessToken"]
        .as_str()
        .unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(token).unwrap().kid,
        Some(kid(new_secret)),
        "new tokens are signed with the current key"
    );
    let forgotten = before
        .sibling(|args| args.jwt_secret = Some(new_secret.into()))
        .await;
    assert_refused(&forgotten, &session.access_token, "retired key").await;
}

#[tokio::test]
async fn a_verified_token_for_a_user_or_session_that_does_not_exist_is_unauthenticated() {
    let app = TestApp::seeded().await;
    let session = signed_in(&app).await;
    let claims = claims_of(&session.access_token);
    let user: uuid::Uuid = claims["sub"].as_str().unwrap().parse().unwrap();
    let sid: uuid::Uuid = claims["sid"].as_str().unwrap().parse().unwrap();
    let nobody = uuid::Uuid::now_v7();
    let cases = [
        (nobody, sid, "a user that does not exist, in a live session"),
        (user, nobody, "a session that does not exist"),
        (nobody, nobody, "neither"),
    ];
    for (sub, sid, what) in cases {
        let token = app
            .state
            .keys
            .issue(sub, tollgate::auth::Role::Customer, sid)
            .unwrap();
        let body = app
            .graphql_as(Some(&token), "{ viewer { id } }", json!({}))
            .await
            .json();
        assert_eq!(body["data"], json!({ "viewer": null }), "{what}: {body}");
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{what}: {body}");
    }
}
