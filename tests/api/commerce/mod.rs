//! Commerce: catalog management, orders, payments, reviews and subscriptions.

mod orders;
mod payments;
mod products;
mod reviews;
pub mod subscriptions;

use serde_json::json;
use tollgate::auth::Role;

use crate::helpers::{Session, TestApp};

/// A shop with a staff member, an admin and two customers.
pub struct Shop {
    pub app: TestApp,
    pub staff: Session,
    pub admin: Session,
    pub ada: Session,
    pub bob: Session,
}

impl Shop {
    pub async fn open() -> Self {
        Self::on(TestApp::spawn().await).await
    }

    /// An order of one new mug, placed and paid by ada; its id.
    pub async fn paid_order(&self, payment_key: &str) -> String {
        let mug = self
            .app
            .create_product(&self.staff, "MUG-1", 1250, 10)
            .await;
        let placed = self.app.place_order(&self.ada, &[(&mug, 1)]).await;
        let order = placed["data"]["placeOrder"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        self.app.pay(&self.ada, &order, payment_key).await;
        order
    }

    /// Ships `order` as staff; it must have been paid.
    pub async fn ship(&self, order: &str) {
        let shipped = self
            .app
            .graphql_as(
                Some(&self.staff.access_token),
                "mutation($id: ID!) { shipOrder(id: $id) { status } }",
                json!({ "id": order }),
            )
            .await
            .json();
        assert_eq!(
            shipped["data"]["shipOrder"]["status"], "SHIPPED",
            "{shipped}"
        );
    }

    pub async fn on(app: TestApp) -> Self {
        let staff = app.user_with_role("staff@example.com", Role::Staff).await;
        let admin = app.user_with_role("admin@example.com", Role::Admin).await;
        let ada = app.register("ada@example.com").await;
        let bob = app.register("bob@example.com").await;
        Self {
            app,
            staff,
            admin,
            ada,
            bob,
        }
    }
}
