//! Registration, sign-in, refresh-token rotation, sign-out and password changes.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use futures_util::future::join_all;
use serde_json::{Value, json};
use tollgate::auth::Role;

use crate::helpers::{PASSWORD, TestApp, error_code, session};

const VIEWER: &str = "{ viewer { id email role } }";
const REGISTER: &str =
    "mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }";

fn first_error(body: &Value) -> (&str, &str) {
    let error = &body["errors"][0];
    (
        error["extensions"]["code"].as_str().unwrap_or_default(),
        error["extensions"]["field"].as_str().unwrap_or_default(),
    )
}

/// Waits out the session check's one-second freshness.
async fn after_revocation_reaches_tokens() {
    tokio::time::sleep(Duration::from_millis(1_100)).await;
}

#[tokio::test]
async fn a_registered_user_is_signed_in_and_sees_their_own_email() {
    let app = TestApp::spawn().await;
    let session = app.register("  Ada@Example.COM ").await;
    assert_eq!(session.email, "ada@example.com");
    let data = app
        .graphql_as(Some(&session.access_token), VIEWER, json!({}))
        .await
        .json();
    assert_eq!(data["data"]["viewer"]["id"], session.user_id.as_str());
    assert_eq!(data["data"]["viewer"]["email"], "ada@example.com");
    assert_eq!(data["data"]["viewer"]["role"], "CUSTOMER");
    let anonymous = app.graphql(VIEWER, json!({})).await.json();
    assert_eq!(anonymous["data"], json!({ "viewer": null }));
    assert!(
        anonymous.get("errors").is_none(),
        "no token, no error: {anonymous}"
    );
}

#[tokio::test]
async fn registration_input_is_validated_field_by_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({ "email": "not-an-email", "password": PASSWORD, "displayName": "A" }),
            "input.email",
        ),
        (
            json!({ "email": "a@example.com", "password": "short", "displayName": "A" }),
            "input.password",
        ),
        (
            json!({ "email": "a@example.com", "password": "x".repeat(129), "displayName": "A" }),
            "input.password",
        ),
        (
            json!({ "email": "a@example.com", "password": "password123", "displayName": "A" }),
            "input.password",
        ),
        (
            json!({ "email": "a@example.com", "password": "A@Example.com", "displayName": "A" }),
            "input.password",
        ),
        (
            json!({ "email": "a@example.com", "password": PASSWORD, "displayName": "  " }),
            "input.displayName",
        ),
    ];
    for (input, field) in cases {
        let body = app
            .graphql(REGISTER, json!({ "input": input }))
            .await
            .json();
        assert_eq!(
            first_error(&body),
            ("BAD_USER_INPUT", field),
            "{input}: {body}"
        );
    }
}

#[tokio::test]
async fn registering_an_email_twice_is_a_conflict_on_email() {
    let app = TestApp::spawn().await;
    app.register("ada@example.com").await;
    let input = json!({ "email": "ADA@example.com", "password": PASSWORD, "displayName": "Ada" });
    let body = app
        .graphql(REGISTER, json!({ "input": input }))
        .await
        .json();
    assert_eq!(first_error(&body), ("CONFLICT", "input.email"));
}

#[tokio::test]
async fn an_unknown_email_and_a_wrong_password_are_indistinguishable() {
    let app = TestApp::spawn().await;
    app.register("ada@example.com").await;
    let mut answers = Vec::new();
    let mut timings = [Vec::new(), Vec::new()];
    for _ in 0..5 {
        for (i, email) in ["ada@example.com", "nobody@example.com"]
            .into_iter()
            .enumerate()
        {
            let started = Instant::now();
            let body = app
                .login_response(email, "wrong but long enough", &[])
                .await
                .json();
            timings[i].push(started.elapsed().as_secs_f64());
            answers.push((
                error_code(&body).to_owned(),
                body["errors"][0]["message"].clone(),
            ));
        }
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    assert_eq!(answers[0].0, "UNAUTHENTICATED");
    // Both verify a password hash: neither answers in a fraction of the other's time.
    let median = |t: &mut Vec<f64>| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    };
    let (known, unknown) = (median(&mut timings[0]), median(&mut timings[1]));
    assert!(
        unknown > known / 3.0 && known > unknown / 3.0,
        "{timings:?}"
    );
    assert!(app.login("ada@example.com", PASSWORD).await.is_some());
}

#[tokio::test]
async fn a_refresh_rotates_and_reusing_the_old_token_revokes_the_family() {
    let app = TestApp::spawn().await;
    let first = app.register("ada@example.com").await;
    let body = app.refresh(&first.refresh_token).await;
    let second = session(&body["data"]["refreshToken"]).expect("rotated");
    assert_ne!(second.refresh_token, first.refresh_token);
    let viewer = app
        .graphql_as(Some(&second.access_token), VIEWER, json!({}))
        .await
        .json();
    assert_eq!(viewer["data"]["viewer"]["id"], first.user_id.as_str());

    let reuse = app.refresh(&first.refresh_token).await;
    assert_eq!(error_code(&reuse), "UNAUTHENTICATED");
    let successor = app.refresh(&second.refresh_token).await;
    assert_eq!(
        error_code(&successor),
        "UNAUTHENTICATED",
        "the whole family is revoked"
    );
    after_revocation_reaches_tokens().await;
    let viewer = app
        .graphql_as(Some(&second.access_token), VIEWER, json!({}))
        .await
        .json();
    assert_eq!(viewer.pointer("/data/viewer"), Some(&Value::Null));
    assert_eq!(error_code(&viewer), "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_concurrent_refreshes_with_one_token_at_most_one_succeeds() {
    let app = TestApp::spawn().await;
    let session = app.register("ada@example.com").await;
    let attempts = (0..8).map(|_| app.refresh(&session.refresh_token));
    let results = join_all(attempts).await;
    let succeeded = results
        .iter()
        .filter(|b| b["data"]["refreshToken"].is_object())
        .count();
    assert!(
        succeeded <= 1,
        "{succeeded} refreshes succeeded: {results:?}"
    );
    let failures: Vec<&Value> = results
        .iter()
        .filter(|b| b.get("errors").is_some())
        .collect();
    assert!(
        failures.iter().all(|b| error_code(b) == "UNAUTHENTICATED"),
        "{failures:?}"
    );
}

#[tokio::test]
async fn logout_revokes_the_family_and_its_access_tokens() {
    let app = TestApp::spawn().await;
    let session = app.register("ada@example.com").await;
    let other = app.login("ada@example.com", PASSWORD).await.unwrap();
    let body = app
        .graphql(
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({ "t": session.refresh_token }),
        )
        .await
        .json();
    assert_eq!(body["data"]["logout"], true);
    assert_eq!(
        error_code(&app.refresh(&session.refresh_token).await),
        "UNAUTHENTICATED"
    );
    after_revocation_reaches_tokens().await;
    let revoked = app
        .graphql_as(Some(&session.access_token), VIEWER, json!({}))
        .await
        .json();
    assert_eq!(error_code(&revoked), "UNAUTHENTICATED");
    let untouched = app
        .graphql_as(Some(&other.access_token), VIEWER, json!({}))
        .await
        .json();
    assert_eq!(
        untouched["data"]["viewer"]["id"],
        session.user_id.as_str(),
        "other sessions live on"
    );
}

#[tokio::test]
async fn changing_the_password_keeps_this_session_and_ends_the_others() {
    let app = TestApp::spawn().await;
    let current = app.register("ada@example.com").await;
    let other = app.login("ada@example.com", PASSWORD).await.unwrap();
    let change = "mutation($input: ChangePasswordInput!) { changePassword(input: $input) }";
    let wrong = app
        .graphql_as(
            Some(&current.access_token),
            change,
            json!({ "input": { "currentPassword": "not my password", "newPassword": "a fresh secret phrase" } }),
        )
        .await
        .json();
    assert_eq!(
        first_error(&wrong),
        ("BAD_USER_INPUT", "input.currentPassword")
    );
    let anonymous = app
        .graphql(change, json!({ "input": { "currentPassword": PASSWORD, "newPassword": "a fresh secret phrase" } }))
        .await
        .json();
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");

    let body = app
        .graphql_as(
            Some(&current.access_token),
            change,
            json!({ "input": { "currentPassword": PASSWORD, "newPassword": "a fresh secret phrase" } }),
        )
        .await
        .json();
    assert_eq!(body["data"]["changePassword"], true, "{body}");
    assert!(app.login("ada@example.com", PASSWORD).await.is_none());
    assert!(
        app.login("ada@example.com", "a fresh secret phrase")
            .await
            .is_some()
    );
    assert_eq!(
        error_code(&app.refresh(&other.refresh_token).await),
        "UNAUTHENTICATED"
    );
    assert!(app.refresh(&current.refresh_token).await["data"]["refreshToken"].is_object());
    after_revocation_reaches_tokens().await;
    let ended = app
        .graphql_as(Some(&other.access_token), VIEWER, json!({}))
        .await
        .json();
    assert_eq!(error_code(&ended), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_role_change_refuses_the_users_old_tokens_until_they_refresh() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_role("admin@example.com", Role::Admin).await;
    let ada = app.register("ada@example.com").await;
    let body = app
        .graphql_as(
            Some(&admin.access_token),
            "mutation($id: ID!) { setUserRole(userId: $id, role: STAFF) { id role } }",
            json!({ "id": ada.user_id }),
        )
        .await
        .json();
    assert_eq!(body["data"]["setUserRole"]["role"], "STAFF", "{body}");
    after_revocation_reaches_tokens().await;
    let stale = app
        .graphql_as(Some(&ada.access_token), VIEWER, json!({}))
        .await
        .json();
    assert_eq!(error_code(&stale), "UNAUTHENTICATED");
    let refreshed = app.refresh(&ada.refresh_token).await;
    let token = refreshed["data"]["refreshToken"]["accessToken"]
        .as_str()
        .unwrap();
    let viewer = app.graphql_as(Some(token), VIEWER, json!({})).await.json();
    assert_eq!(viewer["data"]["viewer"]["role"], "STAFF");
}

#[tokio::test]
async fn failed_logins_are_throttled_per_account_with_retry_after() {
    let app = TestApp::with(|args| args.login_max_failures = Some("3".into())).await;
    app.register("ada@example.com").await;
    // A success clears the account's failures.
    for _ in 0..2 {
        app.login_response("ada@example.com", "wrong password!", &[])
            .await;
    }
    assert!(app.login("ada@example.com", PASSWORD).await.is_some());
    for _ in 0..3 {
        let body = app
            .login_response("ada@example.com", "wrong password!", &[])
            .await
            .json();
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
    }
    let throttled = app.login_response("ada@example.com", PASSWORD, &[]).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = throttled.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    let body = throttled.json();
    assert_eq!(error_code(&body), "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], retry_after);
}

#[tokio::test]
async fn failed_logins_are_throttled_per_client_ip_behind_a_trusted_proxy_only() {
    let app = TestApp::with(|args| {
        args.login_max_failures_per_ip = Some("4".into());
        args.trusted_proxies = Some("127.0.0.1".into());
    })
    .await;
    let from = |ip: &'static str| [("x-forwarded-for", ip)];
    for n in 0..4 {
        let email = format!("user{n}@example.com");
        let body = app
            .login_response(&email, "wrong password!", &from("198.51.100.7"))
            .await
            .json();
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
    }
    let throttled = app
        .login_response(
            "fresh@example.com",
            "wrong password!",
            &from("198.51.100.7"),
        )
        .await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    let elsewhere = app
        .login_response("fresh@example.com", "wrong password!", &from("203.0.113.8"))
        .await;
    assert_eq!(
        error_code(&elsewhere.json()),
        "UNAUTHENTICATED",
        "another client is not throttled"
    );

    let untrusted = TestApp::with(|args| args.login_max_failures_per_ip = Some("2".into())).await;
    for ip in ["198.51.100.1", "198.51.100.2"] {
        untrusted
            .login_response("a@example.com", "wrong password!", &from(ip))
            .await;
    }
    let spoofed = untrusted
        .login_response("b@example.com", "wrong password!", &from("198.51.100.3"))
        .await;
    assert_eq!(
        spoofed.status,
        StatusCode::TOO_MANY_REQUESTS,
        "X-Forwarded-For is not trusted by default"
    );
}

#[tokio::test]
async fn registrations_are_limited_per_client_ip() {
    let app = TestApp::with(|args| args.register_per_hour = Some("2".into())).await;
    app.register("a@example.com").await;
    app.register("b@example.com").await;
    let input = json!({ "email": "c@example.com", "password": PASSWORD, "displayName": "C" });
    let throttled = app
        .send(None, &[], REGISTER, json!({ "input": input }))
        .await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.header("retry-after").is_some());
}
