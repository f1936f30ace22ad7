//! A status or role stored in the database that this version does not know
//! (written by a newer version, or by hand) is an internal error, logged and
//! masked, never read as some default (PENDING, CUSTOMER).

use entity::{orders, payments, users};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, TransactionTrait,
    sea_query::{Expr, IntoCondition},
};
use serde_json::{Value, json};
use tollgate::auth::Role;
use uuid::Uuid;

use crate::{commerce::subscriptions::init, helpers::TestApp};

/// Stores `value` in `column` of the rows `filter` selects, past the
/// tables' CHECK constraints, as a newer version (or a hand-made fix) could
/// have stored it.
pub async fn store_unknown<E: EntityTrait>(
    app: &TestApp,
    column: E::Column,
    value: &str,
    filter: impl IntoCondition,
) {
    let txn = app.state.db.begin().await.unwrap();
    let backend = txn.get_database_backend();
    let unchecked = match backend {
        DbBackend::Postgres => [
            "ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_status_check; \
             ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_status_check; \
             ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check",
        ],
        _ => ["PRAGMA ignore_check_constraints = ON"],
    };
    for sql in unchecked {
        txn.execute_unprepared(sql).await.unwrap();
    }
    let updated = E::update_many()
        .col_expr(column, Expr::value(value))
        .filter(filter)
        .exec(&txn)
        .await
        .unwrap();
    assert_eq!(updated.rows_affected, 1);
    if backend == DbBackend::Sqlite {
        txn.execute_unprepared("PRAGMA ignore_check_constraints = OFF")
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();
}

/// Runs `query` with the access token `token` and checks the whole answer: `data`, and one
/// masked INTERNAL_SERVER_ERROR at the root field `field` (the cost report
/// aside, which is another test's subject).
pub async fn assert_internal_error(
    app: &TestApp,
    token: &str,
    query: &str,
    field: &str,
    data: Value,
) {
    let response = app.graphql_as(Some(token), query, json!({})).await;
    let mut body = response.json();
    body.as_object_mut().unwrap().remove("extensions");
    assert_eq!(
        body,
        json!({
            "data": data,
            "errors": [{
                "message": "internal server error",
                "locations": [{ "line": 1, "column": 3 }],
                "path": [field],
                "extensions": {
                    "code": "INTERNAL_SERVER_ERROR",
                    "requestId": response.header("x-request-id").unwrap(),
                },
            }],
        })
    );
}

fn id(id: &str) -> Uuid {
    Uuid::parse_str(id).unwrap()
}

#[tokio::test]
async fn an_order_or_payment_status_this_version_does_not_know_is_an_internal_error() {
    let app = TestApp::spawn().await;
    let staff = app.user_with_role("staff@example.com", Role::Staff).await;
    let customer = app.register("customer@example.com").await;
    let product = app.create_product(&staff, "SKU-STORED", 500, 10).await;
    let placed = app.place_order(&customer, &[(&product, 1)]).await;
    let held = placed["data"]["placeOrder"]["id"].as_str().unwrap();
    let placed = app.place_order(&customer, &[(&product, 1)]).await;
    let disputed = placed["data"]["placeOrder"]["id"].as_str().unwrap();
    app.pay(&customer, disputed, "stored-values-key").await;
    store_unknown::<orders::Entity>(
        &app,
        orders::Column::Status,
        "ON_HOLD",
        orders::Column::Id.eq(id(held)),
    )
    .await;
    store_unknown::<payments::Entity>(
        &app,
        payments::Column::Status,
        "DISPUTED",
        payments::Column::OrderId.eq(id(disputed)),
    )
    .await;

    let order = format!(r#"{{ order(id: "{held}") {{ id status }} }}"#);
    assert_internal_error(
        &app,
        &customer.access_token,
        &order,
        "order",
        json!({ "order": null }),
    )
    .await;
    let orders = "{ orders { edges { node { id status } } } }";
    assert_internal_error(&app, &staff.access_token, orders, "orders", Value::Null).await;
    let payments = format!(r#"{{ order(id: "{disputed}") {{ id payments {{ status }} }} }}"#);
    assert_internal_error(
        &app,
        &customer.access_token,
        &payments,
        "order",
        json!({ "order": null }),
    )
    .await;
}

#[tokio::test]
async fn a_role_this_version_does_not_know_is_an_internal_error() {
    let app = TestApp::spawn().await;
    let staff = app.user_with_role("staff@example.com", Role::Staff).await;
    let other = app.register("other@example.com").await;
    store_unknown::<users::Entity>(
        &app,
        users::Column::Role,
        "AUDITOR",
        users::Column::Id.eq(id(&other.user_id)),
    )
    .await;

    let user = format!(r#"{{ user(id: "{}") {{ id role }} }}"#, other.user_id);
    assert_internal_error(
        &app,
        &staff.access_token,
        &user,
        "user",
        json!({ "user": null }),
    )
    .await;
    // The user's own session is not read as ended, nor their role as CUSTOMER.
    let viewer = "{ viewer { id role } }";
    assert_internal_error(
        &app,
        &other.access_token,
        viewer,
        "viewer",
        json!({ "viewer": null }),
    )
    .await;

    // Over WebSocket, the server's fault (1011), not a refused token (4403).
    let addr = app.serve().await;
    let (_, closed) = init(addr, Some(&other.access_token)).await;
    assert_eq!(closed, Some(Err(Some(1011))));
}
