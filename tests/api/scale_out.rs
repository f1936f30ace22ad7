//! Two instances on one PostgreSQL database, linked through Redis
//! (TEST_REDIS_URL, else the machine's): a write on one is what the other
//! serves, from its caches too, within 100 ms; revocation reaches the other
//! instance's access tokens within a second; while Redis cannot be reached
//! an instance bypasses its caches (fresh answers, `/readyz` degraded) and
//! comes back by itself. Each test has a Redis prefix of its own. Without
//! PostgreSQL or Redis these tests fail.

use std::time::{Duration, Instant};

use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tokio::{sync::oneshot, time::sleep};
use tollgate::{auth::Role, config::ConfigArgs};
use uuid::Uuid;

use crate::{
    binary::{Server, assert_fails_naming, tollgate},
    helpers::{Session, TestApp, TestDatabase, error_code, until},
    proxy::Proxy,
    telemetry::sample,
};

mod persisted_queries;
mod subscriptions;

const MACHINE_REDIS: &str = "redis://127.0.0.1:6379";
const PRODUCT: &str = "query($id: ID!) { product(id: $id) { priceCents } }";
const CATALOG: &str = "{ products(first: 5) { edges { node { id priceCents } } } }";
const VIEWER: &str = "{ viewer { id role } }";
/// How soon a write on one instance is served by the other.
const PROPAGATION: Duration = Duration::from_millis(100);

pub(crate) fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| MACHINE_REDIS.to_owned())
}

/// `host:port` of the test Redis, for a proxy in front of it.
pub(crate) fn redis_addr() -> String {
    let url = redis_url();
    let rest = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

/// Settings of an instance linked through the Redis at `url` under `prefix`.
pub(crate) fn linked(url: String, prefix: String) -> impl FnOnce(&mut ConfigArgs) {
    move |args| {
        args.redis_url = Some(url);
        args.redis_prefix = Some(prefix);
    }
}

pub(crate) fn new_prefix() -> String {
    format!("test-{}", Uuid::new_v4().simple())
}

/// An instance on a fresh PostgreSQL database, and a second on the same
/// database; both linked through Redis under a prefix of their own, the
/// second at `second_redis` (a proxy, say). Both are up before this returns.
async fn pair_via(second_redis: String) -> (TestApp, TestApp) {
    let prefix = new_prefix();
    let first = TestApp::on_postgres(linked(redis_url(), prefix.clone())).await;
    let second = first.sibling(linked(second_redis, prefix)).await;
    up(&first, "the first").await;
    up(&second, "the second").await;
    (first, second)
}

async fn pair() -> (TestApp, TestApp) {
    pair_via(redis_url()).await
}

/// What `/readyz` says of Redis.
pub(crate) async fn redis_status(app: &TestApp) -> String {
    let (status, body) = app.readyz().await;
    assert_eq!(status, 200, "{body}");
    body["redis"].as_str().unwrap_or_default().to_owned()
}

pub(crate) async fn up(app: &TestApp, name: &str) {
    let deadline = Duration::from_secs(5);
    let waited = until(deadline, || async { redis_status(app).await == "ok" }).await;
    assert!(
        waited.is_some(),
        "instance {name} is not linked through Redis at {} within {deadline:?}",
        redis_url()
    );
}

/// A product's price as `viewer` reads it (signed in: through the entity
/// cache, not the public response cache).
async fn price_as(app: &TestApp, viewer: &Session, id: &str) -> Value {
    let body = app
        .graphql_as(Some(&viewer.access_token), PRODUCT, json!({ "id": id }))
        .await
        .json();
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["product"]["priceCents"].clone()
}

/// Asserts that `app` comes to serve `price` for the product within `within`.
async fn comes_to_price(app: &TestApp, viewer: &Session, id: &str, price: i64, within: Duration) {
    let took = until(within, || async {
        price_as(app, viewer, id).await == price
    })
    .await;
    assert!(took.is_some(), "the price is not {price} within {within:?}");
}

/// Whether `app` answers the product to `viewer` from its entity cache
/// (the answer ran no statement).
async fn cached(app: &TestApp, viewer: &Session, id: &str) -> bool {
    let read = app
        .graphql_as(Some(&viewer.access_token), PRODUCT, json!({ "id": id }))
        .await;
    read.statements_or_none().unwrap_or(0) == 0
}

/// Asserts that `app` comes to answer the product from its entity cache.
async fn comes_to_cache(app: &TestApp, viewer: &Session, id: &str) {
    let within = Duration::from_secs(1);
    let took = until(within, || cached(app, viewer, id)).await;
    assert!(
        took.is_some(),
        "the product is not cached within {within:?}"
    );
}

/// Asserts that `app` comes to answer CATALOG from its response cache.
async fn comes_to_hit(app: &TestApp) {
    let within = Duration::from_secs(1);
    let hit = || async { app.graphql(CATALOG, json!({})).await.header("x-cache") == Some("hit") };
    assert!(
        until(within, hit).await.is_some(),
        "no hit within {within:?}"
    );
}

async fn set_price(app: &TestApp, staff: &Session, id: &str, price: i64) {
    let body = app
        .graphql_as(
            Some(&staff.access_token),
            "mutation($id: ID!, $p: Int!) { updateProduct(id: $id, input: { priceCents: $p }) { id } }",
            json!({ "id": id, "p": price }),
        )
        .await
        .json();
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn a_product_updated_on_one_instance_is_served_fresh_by_the_other_within_100_ms() {
    let (a, b) = pair().await;
    let staff = a.user_with_role("staff@example.com", Role::Staff).await;
    let mug = a.create_product(&staff, "MUG-1", 1000, 10).await;
    assert_eq!(price_as(&b, &staff, &mug).await, 1000);
    comes_to_cache(&b, &staff, &mug).await;

    set_price(&a, &staff, &mug, 1250).await;
    comes_to_price(&b, &staff, &mug, 1250, PROPAGATION).await;
    comes_to_cache(&b, &staff, &mug).await;
    assert_eq!(price_as(&b, &staff, &mug).await, 1250);
}

#[tokio::test]
async fn a_public_answer_cached_on_one_instance_is_dropped_after_a_write_on_the_other() {
    let (a, b) = pair().await;
    let staff = a.user_with_role("staff@example.com", Role::Staff).await;
    let mug = a.create_product(&staff, "MUG-1", 1000, 10).await;
    comes_to_hit(&b).await;

    set_price(&a, &staff, &mug, 1250).await;
    let took = until(PROPAGATION, || async {
        let body = b.graphql(CATALOG, json!({})).await.json();
        body["data"]["products"]["edges"][0]["node"]["priceCents"] == 1250
    })
    .await;
    assert!(
        took.is_some(),
        "B answered the old catalog for over {PROPAGATION:?}"
    );
    comes_to_hit(&b).await;
}

/// Whether B has heard of a write since its public answer to CATALOG was
/// cached (the write moved its response cache on).
async fn heard(b: &TestApp) -> bool {
    b.graphql(CATALOG, json!({})).await.header("x-cache") == Some("miss")
}

#[tokio::test]
async fn a_load_begun_on_one_instance_before_a_write_on_the_other_is_not_served_after_it() {
    let (a, b) = pair().await;
    let staff = a.user_with_role("staff@example.com", Role::Staff).await;
    let mug = a.create_product(&staff, "MUG-1", 1000, 10).await;
    let id: Uuid = mug.parse().unwrap();
    comes_to_hit(&b).await;

    // B begins loading the product, reads the row as it is before the
    // write, and stores it only after B has heard of the write.
    let row = entity::products::Entity::find_by_id(id)
        .one(&b.state.db)
        .await
        .unwrap()
        .unwrap();
    let (began, began_rx) = oneshot::channel::<()>();
    let (release, release_rx) = oneshot::channel::<()>();
    let slow = b.state.caches.entities.clone();
    let load = tokio::spawn(async move {
        let pending = std::sync::Mutex::new(Some((began, release_rx, row)));
        slow.product(id, || {
            let next = pending.lock().unwrap().take();
            async move {
                let (began, release, row) = next.expect("loaded once");
                let _ = began.send(());
                let _ = release.await;
                Ok(Some(row))
            }
        })
        .await
    });
    began_rx.await.unwrap();
    set_price(&a, &staff, &mug, 1250).await;
    assert!(
        until(PROPAGATION, || heard(&b)).await.is_some(),
        "B did not hear of the write within {PROPAGATION:?}"
    );
    release.send(()).unwrap();
    let loaded = load.await.unwrap().unwrap().unwrap();
    assert_eq!(loaded.price_cents, 1000, "the load read before the write");

    assert_eq!(
        price_as(&b, &staff, &mug).await,
        1250,
        "B served the row its load read before the write"
    );
}

/// Whether `token` is refused by `app`.
async fn refused(app: &TestApp, token: &str) -> bool {
    let body = app.graphql_as(Some(token), VIEWER, json!({})).await.json();
    error_code(&body) == "UNAUTHENTICATED"
}

/// Asserts that `token`, accepted by B until now, is refused by B within a
/// second of `revoke` returning.
async fn revocation_reaches_b(b: &TestApp, token: &str, revoke: impl Future<Output = ()>) {
    assert!(!refused(b, token).await, "B accepts the token at first");
    revoke.await;
    let within = Duration::from_secs(1);
    let took = until(within, || refused(b, token)).await;
    assert!(took.is_some(), "B accepted the token for over {within:?}");
}

#[tokio::test]
async fn logout_on_one_instance_refuses_the_access_token_on_the_other_within_a_second() {
    let (a, b) = pair().await;
    let ada = a.register("ada@example.com").await;
    revocation_reaches_b(&b, &ada.access_token, async {
        let body = a
            .graphql(
                "mutation($t: String!) { logout(refreshToken: $t) }",
                json!({ "t": ada.refresh_token }),
            )
            .await
            .json();
        assert_eq!(body["data"]["logout"], true, "{body}");
    })
    .await;
}

#[tokio::test]
async fn refresh_token_reuse_on_one_instance_refuses_the_access_token_on_the_other() {
    let (a, b) = pair().await;
    let ada = a.register("ada@example.com").await;
    let rotated = a.refresh(&ada.refresh_token).await;
    let rotated = &rotated["data"]["refreshToken"]["accessToken"];
    let token = rotated.as_str().unwrap().to_owned();
    revocation_reaches_b(&b, &token, async {
        let reused = a.refresh(&ada.refresh_token).await;
        assert_eq!(error_code(&reused), "UNAUTHENTICATED");
    })
    .await;
}

#[tokio::test]
async fn a_role_change_on_one_instance_refuses_old_tokens_on_the_other() {
    let (a, b) = pair().await;
    let admin = a.user_with_role("admin@example.com", Role::Admin).await;
    let ada = a.register("ada@example.com").await;
    revocation_reaches_b(&b, &ada.access_token, async {
        let body = a
            .graphql_as(
                Some(&admin.access_token),
                "mutation($id: ID!) { setUserRole(userId: $id, role: STAFF) { id } }",
                json!({ "id": ada.user_id }),
            )
            .await
            .json();
        assert!(body.get("errors").is_none(), "{body}");
    })
    .await;
}

#[tokio::test]
async fn through_a_redis_outage_an_instance_bypasses_its_caches_and_recovers_by_itself() {
    let proxy = Proxy::start(redis_addr()).await;
    let (a, b) = pair_via(format!("redis://{}", proxy.addr)).await;
    let staff = a.user_with_role("staff@example.com", Role::Staff).await;
    let mug = a.create_product(&staff, "MUG-1", 1000, 10).await;
    assert_eq!(price_as(&b, &staff, &mug).await, 1000);
    b.graphql(CATALOG, json!({})).await;

    // Redis goes away for B: B may miss invalidations from now on.
    proxy.cut();
    let degraded = until(Duration::from_secs(3), || async {
        redis_status(&b).await == "degraded"
    })
    .await;
    assert!(degraded.is_some(), "B's /readyz still says redis ok");
    assert_eq!(redis_status(&a).await, "ok");

    // A write B cannot hear of: B reads it from the database anyway.
    set_price(&a, &staff, &mug, 1250).await;
    for _ in 0..2 {
        let read = b
            .graphql_as(Some(&staff.access_token), PRODUCT, json!({ "id": mug }))
            .await;
        assert_eq!(read.json()["data"]["product"]["priceCents"], 1250);
        assert!(read.statements() > 0, "B read from its entity cache");
        let public = b.graphql(CATALOG, json!({})).await;
        assert_eq!(public.header("x-cache"), Some("miss"));
        assert_eq!(
            public.json()["data"]["products"]["edges"][0]["node"]["priceCents"],
            1250
        );
    }

    // Redis is back: B subscribes again by itself and caches again.
    proxy.restore();
    up(&b, "B").await;
    comes_to_cache(&b, &staff, &mug).await;
    comes_to_hit(&b).await;
    set_price(&a, &staff, &mug, 1500).await;
    comes_to_price(&b, &staff, &mug, 1500, PROPAGATION).await;
}

#[tokio::test]
async fn a_write_made_while_its_instance_cannot_reach_redis_reaches_the_others_once_it_can() {
    let proxy = Proxy::start(redis_addr()).await;
    // B reaches Redis directly, A through the proxy.
    let (b, a) = pair_via(format!("redis://{}", proxy.addr)).await;
    let staff = a.user_with_role("staff@example.com", Role::Staff).await;
    let mug = a.create_product(&staff, "MUG-1", 1000, 10).await;
    assert_eq!(price_as(&b, &staff, &mug).await, 1000);

    proxy.cut();
    set_price(&a, &staff, &mug, 1250).await;
    assert_eq!(price_as(&a, &staff, &mug).await, 1250);
    assert_eq!(redis_status(&a).await, "degraded");

    proxy.restore();
    // A tells B that anything may be stale once it reaches Redis again.
    comes_to_price(&b, &staff, &mug, 1250, Duration::from_secs(5)).await;
    up(&a, "A").await;
}

#[tokio::test]
async fn an_instance_starts_while_redis_is_down_and_links_up_when_it_comes() {
    let proxy = Proxy::start(redis_addr()).await;
    proxy.cut();
    let app = TestApp::on_postgres(linked(format!("redis://{}", proxy.addr), new_prefix())).await;
    assert_eq!(redis_status(&app).await, "degraded");
    let staff = app.user_with_role("staff@example.com", Role::Staff).await;
    let mug = app.create_product(&staff, "MUG-1", 1000, 10).await;
    assert_eq!(price_as(&app, &staff, &mug).await, 1000);
    proxy.restore();
    up(&app, "the instance").await;
}

#[tokio::test]
async fn without_redis_an_instance_says_nothing_of_it() {
    let app = TestApp::spawn().await;
    assert!(app.state.shared.is_none());
    let (status, body) = app.readyz().await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "status": "ready", "database": "ok" }));
}

/// Whether the server's /readyz (200) says `redis` is `status`, and its
/// metrics say `up`.
fn reports(server: &Server, status: &str, up: f64) -> bool {
    let ready = server.get("/readyz");
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    ready.contains(&format!(r#""redis":"{status}""#))
        && sample(&server.metrics(), "tollgate_redis_up") == Some(up)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_reports_a_redis_outage_in_readyz_and_metrics_and_never_logs_the_url() {
    let proxy = Proxy::start(redis_addr()).await;
    let database = TestDatabase::create().await;
    // Redis has no password here: it refuses this one, and the server must
    // not repeat it.
    let wrong = format!("redis://:hunter2@{}/0", redis_addr());
    let refused = Server::start(&[("DATABASE_URL", &database.url), ("REDIS_URL", &wrong)]).unwrap();
    assert!(refused.get("/readyz").contains(r#""redis":"degraded""#));
    let url = format!("redis://{}", proxy.addr);
    let prefix = new_prefix();
    let server = Server::start(&[
        ("DATABASE_URL", &database.url),
        ("METRICS_ADDR", "127.0.0.1:0"),
        ("REDIS_URL", &url),
        ("REDIS_PREFIX", &prefix),
    ])
    .unwrap();
    let within = Duration::from_secs(5);
    let reported = |status: &'static str, up: f64| {
        let server = &server;
        until(within, move || async move { reports(server, status, up) })
    };
    assert!(
        reported("ok", 1.0).await.is_some(),
        "{}",
        server.get("/readyz")
    );

    proxy.cut();
    assert!(reported("degraded", 0.0).await.is_some());
    let metrics = server.metrics();
    assert_eq!(sample(&metrics, "tollgate_redis_outages_total"), Some(1.0));
    let lost = r#"tollgate_redis_errors_total{operation="subscription"}"#;
    assert_eq!(sample(&metrics, lost), Some(1.0), "{metrics}");
    // A persisted query it does not hold: Redis is not asked, and that counts.
    let hash = crate::caching::sha256("{ __typename }");
    let unknown =
        json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
    assert!(
        server
            .post(&unknown, &[])
            .contains("PERSISTED_QUERY_NOT_FOUND")
    );
    let apq = r#"tollgate_redis_errors_total{operation="apq_get"}"#;
    assert_eq!(sample(&server.metrics(), apq), Some(1.0));

    // Limits decide on this instance alone meanwhile, and count it.
    let answer = server.query("{ __typename }");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let metrics = server.metrics();
    for operation in ["rate_limit", "budget"] {
        let alone = format!(r#"tollgate_redis_errors_total{{operation="{operation}"}}"#);
        assert!(sample(&metrics, &alone) >= Some(1.0), "{metrics}");
    }

    proxy.restore();
    assert!(
        reported("ok", 1.0).await.is_some(),
        "{}",
        server.get("/readyz")
    );
    let logs = refused.stdout().join("\n") + &server.stdout().join("\n");
    assert!(!logs.contains("hunter2"), "{logs}");
}

#[test]
fn a_malformed_redis_url_stops_start_up_naming_it_but_not_showing_it() {
    let output = tollgate(
        &["migrate"],
        &[("REDIS_URL", "http://:hunter2@cache:6379")],
        None,
    );
    assert_fails_naming(&output, "REDIS_URL");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("hunter2"));
}

/// How long another instance may go unheard before an instance bypasses its
/// caches (three heartbeats), and a margin for a loaded test machine.
const SILENCE: Duration = Duration::from_millis(1500);
const MARGIN: Duration = Duration::from_secs(2);

/// What `/readyz` says of the other instances.
async fn peers_status(app: &TestApp) -> String {
    let (status, body) = app.readyz().await;
    assert_eq!(status, 200, "{body}");
    body["peers"].as_str().unwrap_or_default().to_owned()
}

fn peers(app: &TestApp) -> usize {
    app.state.shared.as_ref().expect("linked").peers()
}

/// Waits until `app` has heard `count` other instances.
async fn hears(app: &TestApp, count: usize) {
    let within = Duration::from_secs(2);
    let heard = until(within, || async { peers(app) == count }).await;
    assert!(
        heard.is_some(),
        "{} instance(s) heard, not {count}, after {within:?}",
        peers(app)
    );
}

#[tokio::test]
async fn while_another_instance_cannot_reach_redis_an_instance_bypasses_its_caches() {
    let proxy = Proxy::start(redis_addr()).await;
    // B reaches Redis directly, A through the proxy.
    let (b, a) = pair_via(format!("redis://{}", proxy.addr)).await;
    let staff = a.user_with_role("staff@example.com", Role::Staff).await;
    let mug = a.create_product(&staff, "MUG-1", 1000, 10).await;
    hears(&b, 1).await;
    assert_eq!(price_as(&b, &staff, &mug).await, 1000);
    comes_to_cache(&b, &staff, &mug).await;
    comes_to_hit(&b).await;

    // A loses Redis and writes: B cannot hear of it, but stops serving
    // its caches once A has been silent for a while.
    proxy.cut();
    set_price(&a, &staff, &mug, 1250).await;
    comes_to_price(&b, &staff, &mug, 1250, SILENCE + MARGIN).await;
    assert_eq!(redis_status(&b).await, "ok", "B's own link is fine");
    assert_eq!(peers_status(&b).await, "silent");
    for _ in 0..2 {
        assert!(
            !cached(&b, &staff, &mug).await,
            "B read from its entity cache"
        );
        let public = b.graphql(CATALOG, json!({})).await;
        assert_eq!(public.header("x-cache"), Some("miss"));
        assert_eq!(
            public.json()["data"]["products"]["edges"][0]["node"]["priceCents"],
            1250
        );
    }

    // A is back: B hears it, empties its caches and uses them again.
    proxy.restore();
    up(&a, "A").await;
    let heard = until(MARGIN, || async { peers_status(&b).await == "ok" }).await;
    assert!(heard.is_some(), "B does not hear A again");
    comes_to_cache(&b, &staff, &mug).await;
    comes_to_hit(&b).await;
    assert_eq!(price_as(&b, &staff, &mug).await, 1250);
    set_price(&a, &staff, &mug, 1500).await;
    comes_to_price(&b, &staff, &mug, 1500, PROPAGATION).await;
}

#[tokio::test]
async fn an_instance_that_stops_says_goodbye_and_the_others_keep_their_caches() {
    let (a, b) = pair().await;
    let staff = a.user_with_role("staff@example.com", Role::Staff).await;
    let mug = a.create_product(&staff, "MUG-1", 1000, 10).await;
    hears(&a, 1).await;
    comes_to_cache(&a, &staff, &mug).await;

    drop(b);
    hears(&a, 0).await;
    // Past the bound at which a silent instance would have made A bypass
    // its caches, A has kept them on all along.
    let start = Instant::now();
    while start.elapsed() < SILENCE + MARGIN {
        assert_eq!(peers_status(&a).await, "ok");
        assert!(
            cached(&a, &staff, &mug).await,
            "A bypassed its entity cache"
        );
        sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_server_stopped_by_sigterm_says_goodbye_to_the_others() {
    let prefix = new_prefix();
    let a = TestApp::on_postgres(linked(redis_url(), prefix.clone())).await;
    up(&a, "A").await;
    let url = redis_url();
    let envs = [
        ("REDIS_URL", url.as_str()),
        ("REDIS_PREFIX", prefix.as_str()),
    ];
    let server = crate::shutdown::server::Server::start_with(a.database_url(), 5, &envs).await;
    hears(&a, 1).await;

    server.terminate();
    let (status, _, log) = server.exit(Instant::now(), Duration::from_secs(10)).await;
    assert!(status.success(), "{log}");
    hears(&a, 0).await;
    // Past the bound at which a silent instance would degrade A, A stays ok.
    let start = Instant::now();
    while start.elapsed() < SILENCE + MARGIN {
        assert_eq!(peers_status(&a).await, "ok");
        sleep(Duration::from_millis(100)).await;
    }
}
