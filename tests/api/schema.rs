//! The committed schema.graphql matches the code, and documents everything.

use async_graphql::parser::{
    parse_schema,
    types::{TypeKind, TypeSystemDefinition},
};

#[test]
fn schema_graphql_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .unwrap_or_default();
    assert!(
        committed == tollgate::graphql::sdl(),
        "schema.graphql is out of date; regenerate it with: cargo run -- schema > schema.graphql"
    );
}

#[test]
fn every_type_and_field_has_a_description() {
    let document = parse_schema(tollgate::graphql::sdl()).unwrap();
    let mut missing = Vec::new();
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let ty = &ty.node;
        let name = ty.name.node.as_str();
        if ty.description.is_none() && !matches!(name, "DateTime") {
            missing.push(name.to_owned());
        }
        let fields: Vec<(String, bool)> = match &ty.kind {
            TypeKind::Object(o) => o
                .fields
                .iter()
                .map(|f| (f.node.name.node.to_string(), f.node.description.is_some()))
                .collect(),
            TypeKind::InputObject(o) => o
                .fields
                .iter()
                .map(|f| (f.node.name.node.to_string(), f.node.description.is_some()))
                .collect(),
            TypeKind::Enum(e) => e
                .values
                .iter()
                .map(|v| (v.node.value.node.to_string(), v.node.description.is_some()))
                .collect(),
            _ => Vec::new(),
        };
        missing.extend(
            fields
                .into_iter()
                .filter(|(_, described)| !described)
                .map(|(field, _)| format!("{name}.{field}")),
        );
    }
    assert!(missing.is_empty(), "undocumented: {missing:?}");
}

#[test]
fn root_types_have_the_contract_names() {
    let sdl = tollgate::graphql::sdl();
    assert!(sdl.contains("type Query {"), "{sdl}");
    assert!(!sdl.contains("QueryRoot"));
}
