//! The schema is a superset of the binding contract (tests/api/contract.graphql,
//! a copy of the contract shared with clients): nothing renamed or removed, no
//! argument or input field newly required.

use std::collections::HashMap;

use async_graphql::parser::{
    parse_schema,
    types::{TypeDefinition, TypeKind, TypeSystemDefinition},
};

fn types(sdl: &str) -> HashMap<String, TypeDefinition> {
    parse_schema(sdl)
        .unwrap()
        .definitions
        .into_iter()
        .filter_map(|d| match d {
            TypeSystemDefinition::Type(t) => Some((t.node.name.node.to_string(), t.node)),
            _ => None,
        })
        .collect()
}

fn required(ty: &str, default: bool) -> bool {
    ty.ends_with('!') && !default
}

#[test]
fn the_schema_is_a_superset_of_the_contract() {
    let contract = types(include_str!("contract.graphql"));
    let ours = types(&tollgate::graphql::sdl());
    let mut problems = Vec::new();
    for (name, theirs) in &contract {
        let Some(mine) = ours.get(name) else {
            problems.push(format!("type {name} is missing"));
            continue;
        };
        match (&theirs.kind, &mine.kind) {
            (TypeKind::Object(t), TypeKind::Object(m)) => {
                for field in &t.fields {
                    let field = &field.node;
                    let fname = field.name.node.as_str();
                    let Some(my) = m.fields.iter().find(|f| f.node.name.node == fname) else {
                        problems.push(format!("{name}.{fname} is missing"));
                        continue;
                    };
                    let my = &my.node;
                    if my.ty.node.to_string() != field.ty.node.to_string() {
                        problems.push(format!(
                            "{name}.{fname}: {} is not {}",
                            my.ty.node, field.ty.node
                        ));
                    }
                    for arg in &field.arguments {
                        let arg = &arg.node;
                        match my
                            .arguments
                            .iter()
                            .find(|a| a.node.name.node == arg.name.node)
                        {
                            Some(a) if a.node.ty.node.to_string() == arg.ty.node.to_string() => {}
                            Some(a) => problems.push(format!(
                                "{name}.{fname}({}): {} is not {}",
                                arg.name.node, a.node.ty.node, arg.ty.node
                            )),
                            None => problems
                                .push(format!("{name}.{fname}({}) is missing", arg.name.node)),
                        }
                    }
                    for extra in my.arguments.iter().filter(|a| {
                        !field
                            .arguments
                            .iter()
                            .any(|c| c.node.name.node == a.node.name.node)
                    }) {
                        let ty = extra.node.ty.node.to_string();
                        if required(&ty, extra.node.default_value.is_some()) {
                            problems.push(format!(
                                "{name}.{fname}({}) is newly required",
                                extra.node.name.node
                            ));
                        }
                    }
                }
            }
            (TypeKind::InputObject(t), TypeKind::InputObject(m)) => {
                for field in &t.fields {
                    let field = &field.node;
                    match m
                        .fields
                        .iter()
                        .find(|f| f.node.name.node == field.name.node)
                    {
                        Some(f) if f.node.ty.node.to_string() == field.ty.node.to_string() => {}
                        _ => problems.push(format!(
                            "input {name}.{} differs or is missing",
                            field.name.node
                        )),
                    }
                }
                for extra in m.fields.iter().filter(|f| {
                    !t.fields
                        .iter()
                        .any(|c| c.node.name.node == f.node.name.node)
                }) {
                    if required(
                        &extra.node.ty.node.to_string(),
                        extra.node.default_value.is_some(),
                    ) {
                        problems.push(format!(
                            "input {name}.{} is newly required",
                            extra.node.name.node
                        ));
                    }
                }
            }
            (TypeKind::Enum(t), TypeKind::Enum(m)) => {
                for value in &t.values {
                    if !m
                        .values
                        .iter()
                        .any(|v| v.node.value.node == value.node.value.node)
                    {
                        problems.push(format!("enum {name}.{} is missing", value.node.value.node));
                    }
                }
            }
            (TypeKind::Scalar, TypeKind::Scalar) => {}
            _ => problems.push(format!("{name} is another kind of type")),
        }
    }
    assert!(
        problems.is_empty(),
        "the schema breaks the contract:\n{}",
        problems.join("\n")
    );
}
