//! The breaking-change check: schema.graphql (and the code it is printed
//! from) must not break the binding contract (tests/api/contract.graphql, a
//! copy of the contract shared with clients). Nothing renamed or removed, no
//! type changed, no argument or input field newly required. CI runs it with
//! the other tests and prints the breaking changes when it fails.

mod diff;

use diff::breaking_changes;

const CONTRACT: &str = include_str!("../contract.graphql");
const SCHEMA: &str = include_str!("../../../schema.graphql");

fn report(changes: &[String]) -> String {
    changes
        .iter()
        .map(|c| format!("  ✖ {c}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn schema_graphql_does_not_break_the_contract() {
    for (which, sdl) in [
        ("schema.graphql", SCHEMA.to_owned()),
        ("the code's schema", tollgate::graphql::sdl()),
    ] {
        let changes = breaking_changes(CONTRACT, &sdl).unwrap();
        assert!(
            changes.is_empty(),
            "{which} breaks tests/api/contract.graphql ({} breaking changes):\n{}",
            changes.len(),
            report(&changes)
        );
    }
}

/// `SCHEMA` with `from` replaced by `to`, which must occur once.
fn edited(schema: &str, from: &str, to: &str) -> String {
    assert_eq!(
        schema.matches(from).count(),
        1,
        "{from:?} is not in the schema once"
    );
    schema.replacen(from, to, 1)
}

#[test]
fn a_deliberately_breaking_schema_fails_the_check_with_each_change_named() {
    let edits: [(&str, &str, &str); 9] = [
        (
            "\tcancelOrder(id: ID!): Order!\n",
            "\tcancelMyOrder(id: ID!): Order!\n",
            "Field 'Mutation.cancelOrder' was removed",
        ),
        (
            "\tdisplayName: String!\n\t\"\"\"\n\tWhat the user may do.",
            "\tdisplayName: Int!\n\t\"\"\"\n\tWhat the user may do.",
            "Field 'User.displayName' changed type from 'String!' to 'Int!'",
        ),
        (
            "\t\tCursor of the last product already seen.\n\t\t\"\"\"\n\t\tafter: String,",
            "\t\tCursor of the last product already seen.\n\t\t\"\"\"\n\t\tafter: String!,",
            "Argument 'Query.products(after)' changed type from 'String' to 'String!'",
        ),
        (
            "\torderStatusChanged(orderId: ID): Order!",
            "\torderStatusChanged(orderId: ID, since: DateTime!): Order!",
            "Non-null argument 'since: DateTime!' was added to field 'Subscription.orderStatusChanged'",
        ),
        (
            "\tREFUNDED\n",
            "\tRETURNED\n",
            "Enum value 'REFUNDED' was removed from enum 'PaymentStatus'",
        ),
        (
            "\titems: [OrderLineInput!]!\n}",
            "\titems: [OrderLineInput!]!\n\tnote: String!\n}",
            "Non-null input field 'PlaceOrderInput.note: String!' was added",
        ),
        (
            "\tproduct(id: ID!): Product\n",
            "\tproduct(sku: String): Product\n",
            "Argument 'Query.product(id)' was removed",
        ),
        (
            "type PageInfo {",
            "input PageInfo {",
            "'PageInfo' changed kind from object to input object",
        ),
        (
            "enum Role {",
            "enum AccountRole {",
            "Type 'Role' was removed",
        ),
    ];
    let mut broken = SCHEMA.to_owned();
    for (from, to, _) in &edits {
        broken = edited(&broken, from, to);
    }

    let changes = breaking_changes(CONTRACT, &broken).unwrap();

    for (_, _, expected) in &edits {
        assert!(
            changes.iter().any(|c| c == expected),
            "not reported: {expected}\nreported:\n{}",
            report(&changes)
        );
    }
    // What the check prints when CI fails on such a schema.
    println!("{}", report(&changes));
}

#[test]
fn additions_and_looser_inputs_are_not_breaking() {
    let compatible = [
        ("type PageInfo {", "type PageInfo {\n\tstartCursor: String"),
        (
            "\tproduct(id: ID!): Product\n",
            "\tproduct(id: ID, sku: String, x: Int! = 1): Product\n",
        ),
        ("\tREFUNDED\n", "\tREFUNDED\n\tDISPUTED\n"),
        (
            "\temail: String\n\t\"\"\"\n\tPublic name",
            "\temail: String!\n\t\"\"\"\n\tPublic name",
        ),
        (
            "input PlaceOrderInput {",
            "input PlaceOrderInput {\n\tnote: String",
        ),
        (
            "type Query {",
            "type Ping {\n\tok: Boolean!\n}\ntype Query {",
        ),
    ];
    for (from, to) in compatible {
        let changes = breaking_changes(CONTRACT, &edited(SCHEMA, from, to)).unwrap();
        assert!(changes.is_empty(), "{to:?}:\n{}", report(&changes));
    }
}

#[test]
fn a_renamed_root_type_is_breaking() {
    let renamed = edited(
        &edited(SCHEMA, "type Query {", "type Root {"),
        "\tquery: Query\n",
        "\tquery: Root\n",
    );
    let changes = breaking_changes(CONTRACT, &renamed).unwrap();
    assert!(
        changes.contains(&"The query root type changed from 'Query' to 'Root'".to_owned()),
        "{changes:?}"
    );
}
