//! Every field and mutation the contract protects, for every kind of viewer:
//! granted (its data is there), or refused with the whole error a client
//! sees (UNAUTHENTICATED for anonymous, FORBIDDEN for a role too low or a
//! field hidden from this viewer, NOT_FOUND for another customer's object).
//! A second test keeps the table complete: it reads the protected fields out
//! of the contract and fails on any the table does not list.

use std::collections::BTreeSet;

use async_graphql::parser::{
    parse_schema,
    types::{TypeKind, TypeSystemDefinition},
};
use serde_json::{Value, json};
use tollgate::auth::Role;

use crate::{
    helpers::{PASSWORD, Session, TestApp},
    sse,
};

/// What a viewer gets.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// No error, and a value at the row's path (for a subscription: it listens).
    Data,
    /// No error, and null at the row's path.
    Null,
    /// Exactly one error, with this code and the row's path, and null there.
    Refused(&'static str),
}

use Expect::{Data, Null, Refused};

const UNAUTHENTICATED: Expect = Refused("UNAUTHENTICATED");
const FORBIDDEN: Expect = Refused("FORBIDDEN");
const NOT_FOUND: Expect = Refused("NOT_FOUND");

/// The viewers, in the order of [`Row::expect`]. The owner is the customer
/// who owns `$self`, `$pending`, `$paid` and the review on `$authored`.
const ACTORS: [&str; 5] = ["anonymous", "owner", "another customer", "staff", "admin"];

/// One protected field or mutation of the contract.
struct Row {
    /// Its coordinate in the contract (`Type.field`).
    field: &'static str,
    operation: &'static str,
    /// Where its value, or its refusal, lands (dotted, list indexes as numbers).
    path: &'static str,
    /// For anonymous, the owner, another customer, STAFF, ADMIN.
    expect: [Expect; 5],
}

const STAFF_ONLY: [Expect; 5] = [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, Data, Data];
const SIGNED_IN: [Expect; 5] = [UNAUTHENTICATED, Data, Data, Data, Data];
const OWNER_OR_STAFF: [Expect; 5] = [UNAUTHENTICATED, Data, NOT_FOUND, Data, Data];
const SELF_OR_STAFF_FIELD: [Expect; 5] = [FORBIDDEN, Data, FORBIDDEN, Data, Data];

/// Who may do what (DESIGN.md, "GraphQL contract" and "Decisions").
const TABLE: &[Row] = &[
    Row {
        field: "Query.viewer",
        operation: "{ viewer { id } }",
        path: "viewer",
        expect: [Null, Data, Data, Data, Data],
    },
    Row {
        field: "Query.user",
        operation: "query($self: ID!) { user(id: $self) { id } }",
        path: "user",
        expect: OWNER_OR_STAFF,
    },
    Row {
        field: "Query.users",
        operation: "{ users(first: 5) { edges { node { id } } } }",
        path: "users",
        expect: [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, Data],
    },
    Row {
        field: "Query.order",
        operation: "query($pending: ID!) { order(id: $pending) { id } }",
        path: "order",
        expect: OWNER_OR_STAFF,
    },
    Row {
        field: "Query.orders",
        operation: "{ orders(first: 5) { edges { node { id } } } }",
        path: "orders",
        expect: SIGNED_IN,
    },
    Row {
        field: "User.email",
        operation: "query($authored: ID!) { product(id: $authored) { reviews(first: 1) { edges { node { author { email } } } } } }",
        path: "product.reviews.edges.0.node.author.email",
        expect: SELF_OR_STAFF_FIELD,
    },
    Row {
        field: "User.orders",
        operation: "query($authored: ID!) { product(id: $authored) { reviews(first: 1) { edges { node { author { orders(first: 1) { edges { node { id } } } } } } } } }",
        path: "product.reviews.edges.0.node.author.orders",
        expect: SELF_OR_STAFF_FIELD,
    },
    Row {
        field: "Mutation.changePassword",
        operation: "mutation($password: String!) { changePassword(input: { currentPassword: $password, newPassword: $password }) }",
        path: "changePassword",
        expect: SIGNED_IN,
    },
    Row {
        field: "Mutation.setUserRole",
        operation: "mutation($target: ID!) { setUserRole(userId: $target, role: CUSTOMER) { id } }",
        path: "setUserRole",
        expect: [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, FORBIDDEN, Data],
    },
    Row {
        field: "Mutation.createProduct",
        operation: "mutation($sku: String!) { createProduct(input: { sku: $sku, name: \"Guarded\", priceCents: 100, currency: \"EUR\", stock: 1 }) { id } }",
        path: "createProduct",
        expect: STAFF_ONLY,
    },
    Row {
        field: "Mutation.updateProduct",
        operation: "mutation($product: ID!) { updateProduct(id: $product, input: { name: \"Renamed\" }) { id } }",
        path: "updateProduct",
        expect: STAFF_ONLY,
    },
    Row {
        field: "Mutation.adjustStock",
        operation: "mutation($product: ID!) { adjustStock(productId: $product, delta: 1) { id } }",
        path: "adjustStock",
        expect: STAFF_ONLY,
    },
    Row {
        field: "Mutation.placeOrder",
        operation: "mutation($product: ID!) { placeOrder(input: { items: [{ productId: $product, quantity: 1 }] }) { id } }",
        path: "placeOrder",
        expect: SIGNED_IN,
    },
    Row {
        field: "Mutation.cancelOrder",
        operation: "mutation($pending: ID!) { cancelOrder(id: $pending) { id } }",
        path: "cancelOrder",
        expect: OWNER_OR_STAFF,
    },
    Row {
        field: "Mutation.payOrder",
        operation: "mutation($pending: ID!, $key: String!) { payOrder(input: { orderId: $pending, idempotencyKey: $key }) { id } }",
        path: "payOrder",
        // The owner's alone: STAFF and ADMIN, who may see the order, are
        // refused it; another customer learns nothing of it.
        expect: [UNAUTHENTICATED, Data, NOT_FOUND, FORBIDDEN, FORBIDDEN],
    },
    Row {
        field: "Mutation.shipOrder",
        operation: "mutation($paid: ID!) { shipOrder(id: $paid) { id } }",
        path: "shipOrder",
        expect: STAFF_ONLY,
    },
    Row {
        field: "Mutation.addReview",
        operation: "mutation($product: ID!) { addReview(input: { productId: $product, rating: 5, body: \"Fine.\" }) { id } }",
        path: "addReview",
        expect: SIGNED_IN,
    },
    Row {
        field: "Subscription.orderStatusChanged",
        operation: "subscription { orderStatusChanged { id } }",
        path: "orderStatusChanged",
        expect: SIGNED_IN,
    },
];

/// The root fields the contract leaves open to anyone.
const PUBLIC: &[&str] = &[
    "Query.product",
    "Query.products",
    "Mutation.register",
    "Mutation.login",
    "Mutation.refreshToken",
    "Mutation.logout",
    "Subscription.stockChanged",
];

/// The users and products every row runs against.
struct World {
    owner: Session,
    other: Session,
    staff: Session,
    admin: Session,
    /// A customer whose role ADMIN sets (no actor: a role change may end
    /// the sessions of the user it changes).
    target: Session,
    /// A product with plenty of stock.
    product: String,
    /// A product whose one review is the owner's.
    authored: String,
}

impl World {
    async fn new(app: &TestApp) -> Self {
        let owner = app.register("owner@example.com").await;
        let other = app.register("other@example.com").await;
        let target = app.register("target@example.com").await;
        let staff = app.user_with_role("staff@example.com", Role::Staff).await;
        let admin = app.user_with_role("admin@example.com", Role::Admin).await;
        let product = app.create_product(&staff, "GUARD-STOCK", 100, 1_000).await;
        let authored = app.create_product(&staff, "GUARD-REVIEWED", 100, 1).await;
        app.data_as(
            &owner,
            &format!(
                "mutation {{ addReview(input: {{ productId: \"{authored}\", rating: 4, body: \"Mine.\" }}) {{ id }} }}"
            ),
        )
        .await;
        Self {
            owner,
            other,
            staff,
            admin,
            target,
            product,
            authored,
        }
    }

    fn session(&self, actor: usize) -> Option<&Session> {
        [
            None,
            Some(&self.owner),
            Some(&self.other),
            Some(&self.staff),
            Some(&self.admin),
        ][actor]
    }

    /// The variables of `row` run by `actor`: fresh orders of the owner for
    /// the rows that change one, a fresh SKU and payment key.
    async fn variables(&self, app: &TestApp, row: usize, actor: usize) -> Value {
        let operation = TABLE[row].operation;
        let mut variables = json!({
            "self": self.owner.user_id,
            "target": self.target.user_id,
            "product": self.product,
            "authored": self.authored,
            "password": PASSWORD,
            "sku": format!("GUARD-{row}-{actor}"),
            "key": format!("guard-{row}-{actor}"),
        });
        if operation.contains("$pending") || operation.contains("$paid") {
            let placed = app.place_order(&self.owner, &[(&self.product, 1)]).await;
            let order = placed["data"]["placeOrder"]["id"].clone();
            assert!(order.is_string(), "{placed}");
            if operation.contains("$paid") {
                let key = format!("guard-paid-{row}-{actor}");
                let paid = app.pay(&self.owner, order.as_str().unwrap(), &key).await;
                assert_eq!(paid["data"]["payOrder"]["status"], "SUCCEEDED", "{paid}");
            }
            variables["pending"] = order.clone();
            variables["paid"] = order;
        }
        variables
    }
}

/// The JSON path of a dotted path.
fn json_path(path: &str) -> Value {
    path.split('.')
        .map(|segment| {
            segment
                .parse::<u64>()
                .map_or_else(|_| json!(segment), |i| json!(i))
        })
        .collect()
}

/// Whether `body` is what `expect` says for a row whose value is at `path`.
fn meets(body: &Value, path: &str, expect: Expect) -> bool {
    let pointer = format!("/data/{}", path.replace('.', "/"));
    let value = body.pointer(&pointer).unwrap_or(&Value::Null);
    match expect {
        Data => body.get("errors").is_none() && !value.is_null(),
        Null => body.get("errors").is_none() && body.pointer(&pointer) == Some(&Value::Null),
        Refused(code) => {
            let errors: Vec<Value> = body["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| json!({ "code": e["extensions"]["code"], "path": e["path"] }))
                .collect();
            errors == [json!({ "code": code, "path": json_path(path) })] && value.is_null()
        }
    }
}

/// Runs `operation` as `token`: over POST, or a subscription over SSE,
/// where a subscription that listens counts as data.
async fn run(app: &TestApp, token: Option<&str>, row: &Row, variables: Value) -> Value {
    if !row.operation.starts_with("subscription") {
        return app.graphql_as(token, row.operation, variables).await.json();
    }
    let mut events = sse::subscribe(app, token, row.operation, variables).await;
    events
        .opening()
        .await
        .unwrap_or_else(|| json!({ "data": { row.path: "listening" } }))
}

#[tokio::test]
async fn each_protected_field_allows_and_refuses_each_viewer_as_the_design_says() {
    let app = TestApp::seeded().await;
    let world = World::new(&app).await;
    let mut mismatches = Vec::new();
    for (index, row) in TABLE.iter().enumerate() {
        for (actor, expect) in row.expect.iter().enumerate() {
            let variables = world.variables(&app, index, actor).await;
            let token = world.session(actor).map(|s| s.access_token.as_str());
            let body = run(&app, token, row, variables).await;
            if !meets(&body, row.path, *expect) {
                mismatches.push(format!(
                    "{} as {}: expected {expect:?}, got {body}",
                    row.field, ACTORS[actor]
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Whether a comment or description restricts who may see a field.
fn restricts(text: &str) -> bool {
    let text = text.to_lowercase();
    [
        "forbidden",
        "unauthenticated",
        "staff",
        "admin",
        "owner",
        "self",
        "signed",
        "auth",
        "only",
    ]
    .iter()
    .any(|word| text.contains(word))
}

/// The fields the contract protects: every root field it does not leave
/// public, and every field that a directive, a description or a comment
/// (on its line, or the lines just above it) restricts.
fn protected_in_contract(sdl: &str) -> BTreeSet<String> {
    let lines: Vec<&str> = sdl.lines().collect();
    let document = parse_schema(sdl).expect("the contract parses");
    let mut protected = BTreeSet::new();
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let TypeKind::Object(object) = &ty.node.kind else {
            continue;
        };
        let name = ty.node.name.node.as_str();
        let root = matches!(name, "Query" | "Mutation" | "Subscription");
        for field in &object.fields {
            let coordinate = format!("{name}.{}", field.node.name.node);
            let (line, column) = (field.pos.line - 1, field.pos.column - 1);
            let after = lines[line].get(column..).unwrap_or_default();
            let mut comments = vec![after.split_once('#').map_or("", |(_, c)| c)];
            comments.extend(
                lines[..line]
                    .iter()
                    .rev()
                    .map(|l| l.trim())
                    .take_while(|l| l.starts_with('#')),
            );
            let described = field.node.description.as_ref();
            let marked = field
                .node
                .directives
                .iter()
                .any(|d| d.node.name.node != "deprecated")
                || comments.into_iter().any(restricts)
                || described.is_some_and(|d| restricts(&d.node));
            if marked || (root && !PUBLIC.contains(&coordinate.as_str())) {
                protected.insert(coordinate);
            }
        }
    }
    protected
}

#[test]
fn the_table_lists_every_field_and_mutation_the_contract_protects() {
    let sdl = include_str!("contract.graphql");
    let listed: BTreeSet<String> = TABLE.iter().map(|row| row.field.to_owned()).collect();
    assert_eq!(listed.len(), TABLE.len(), "a field listed twice");
    assert_eq!(listed, protected_in_contract(sdl));
    let document = parse_schema(sdl).unwrap();
    let roots: BTreeSet<String> = document
        .definitions
        .iter()
        .filter_map(|definition| match definition {
            TypeSystemDefinition::Type(ty) => match &ty.node.kind {
                TypeKind::Object(object) => Some((ty.node.name.node.as_str(), object)),
                _ => None,
            },
            _ => None,
        })
        .flat_map(|(name, object)| {
            object
                .fields
                .iter()
                .map(move |f| format!("{name}.{}", f.node.name.node))
        })
        .collect();
    for public in PUBLIC {
        assert!(roots.contains(*public), "{public} is not in the contract");
    }
}

#[test]
fn a_field_the_contract_comes_to_protect_is_noticed() {
    let sdl = "type User { id: ID!\n  phone: String # null (with FORBIDDEN) unless self\n}\n\
               type Query { product(id: ID!): String\n  # STAFF only\n  audit: String\n  \
               refunds: Int @auth(role: STAFF)\n  public: Int }";
    let protected: Vec<String> = protected_in_contract(sdl).into_iter().collect();
    assert_eq!(
        protected,
        ["Query.audit", "Query.public", "Query.refunds", "User.phone"]
    );
}
