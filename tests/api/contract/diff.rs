//! Breaking changes between two SDL documents, as graphql-inspector's
//! `diff` reports them, for the changes a client of the older schema would
//! notice: what it selects or sends disappears, changes type, or becomes
//! required. Additions that old clients never see (types, fields, optional
//! arguments, enum values) and descriptions are not breaking.
//!
//! Output positions (fields) may become stricter (`String` to `String!`);
//! input positions (arguments, input fields) may become looser (`Int!` to
//! `Int`), never stricter, even with a default: a client may send null.

use std::collections::HashMap;

use async_graphql::parser::{
    parse_schema,
    types::{
        BaseType, FieldDefinition, InputValueDefinition, Type, TypeDefinition, TypeKind,
        TypeSystemDefinition,
    },
};

/// The schema's named types and root operation types.
struct Schema {
    types: HashMap<String, TypeDefinition>,
    roots: [String; 3],
}

fn parse(sdl: &str, which: &str) -> Result<Schema, String> {
    let document = parse_schema(sdl).map_err(|err| format!("{which} does not parse: {err}"))?;
    let mut schema = Schema {
        types: HashMap::new(),
        roots: ["Query", "Mutation", "Subscription"].map(String::from),
    };
    for definition in document.definitions {
        match definition {
            TypeSystemDefinition::Type(ty) => {
                schema.types.insert(ty.node.name.node.to_string(), ty.node);
            }
            TypeSystemDefinition::Schema(root) => {
                let named = [root.node.query, root.node.mutation, root.node.subscription];
                for (slot, name) in schema.roots.iter_mut().zip(named) {
                    if let Some(name) = name {
                        *slot = name.node.to_string();
                    }
                }
            }
            TypeSystemDefinition::Directive(_) => {}
        }
    }
    Ok(schema)
}

/// Every change from `old` to `new` that breaks a client of `old`, one line
/// each, sorted; an error when either does not parse.
pub fn breaking_changes(old: &str, new: &str) -> Result<Vec<String>, String> {
    let (old, new) = (parse(old, "the old schema")?, parse(new, "the new schema")?);
    let mut changes = Vec::new();
    for ((operation, was), now) in ["query", "mutation", "subscription"]
        .iter()
        .zip(&old.roots)
        .zip(&new.roots)
    {
        if was != now && old.types.contains_key(was) {
            changes.push(format!(
                "The {operation} root type changed from '{was}' to '{now}'"
            ));
        }
    }
    for (name, was) in &old.types {
        match new.types.get(name) {
            Some(now) => compare_type(name, was, now, &mut changes),
            None => changes.push(format!("Type '{name}' was removed")),
        }
    }
    changes.sort();
    Ok(changes)
}

fn kind(ty: &TypeKind) -> &'static str {
    match ty {
        TypeKind::Scalar => "scalar",
        TypeKind::Object(_) => "object",
        TypeKind::Interface(_) => "interface",
        TypeKind::Union(_) => "union",
        TypeKind::Enum(_) => "enum",
        TypeKind::InputObject(_) => "input object",
    }
}

fn names<'a, T>(items: impl IntoIterator<Item = &'a T>, name: impl Fn(&T) -> String) -> Vec<String>
where
    T: 'a,
{
    items.into_iter().map(name).collect()
}

fn compare_type(name: &str, was: &TypeDefinition, now: &TypeDefinition, out: &mut Vec<String>) {
    match (&was.kind, &now.kind) {
        (TypeKind::Scalar, TypeKind::Scalar) => {}
        (TypeKind::Object(w), TypeKind::Object(n)) => {
            compare_fields(name, &w.fields, &n.fields, out);
            compare_members(&w.implements, &n.implements, out, |m| {
                format!("'{name}' no longer implements interface '{m}'")
            });
        }
        (TypeKind::Interface(w), TypeKind::Interface(n)) => {
            compare_fields(name, &w.fields, &n.fields, out);
            compare_members(&w.implements, &n.implements, out, |m| {
                format!("'{name}' no longer implements interface '{m}'")
            });
        }
        (TypeKind::Union(w), TypeKind::Union(n)) => {
            compare_members(&w.members, &n.members, out, |m| {
                format!("Member '{m}' was removed from union '{name}'")
            });
        }
        (TypeKind::Enum(w), TypeKind::Enum(n)) => {
            let values = names(&n.values, |v| v.node.value.node.to_string());
            for value in &w.values {
                let value = value.node.value.node.as_str();
                if !values.iter().any(|v| v == value) {
                    out.push(format!(
                        "Enum value '{value}' was removed from enum '{name}'"
                    ));
                }
            }
        }
        (TypeKind::InputObject(w), TypeKind::InputObject(n)) => {
            compare_inputs(&format!("Input field '{name}."), &w.fields, &n.fields, out);
            for added in added(&w.fields, &n.fields).filter(|f| required(f)) {
                out.push(format!(
                    "Non-null input field '{name}.{}: {}' was added",
                    added.name.node, added.ty.node
                ));
            }
        }
        (w, n) => out.push(format!(
            "'{name}' changed kind from {} to {}",
            kind(w),
            kind(n)
        )),
    }
}

fn compare_members(
    was: &[async_graphql::Positioned<async_graphql::Name>],
    now: &[async_graphql::Positioned<async_graphql::Name>],
    out: &mut Vec<String>,
    message: impl Fn(&str) -> String,
) {
    for member in was {
        if !now.iter().any(|m| m.node == member.node) {
            out.push(message(member.node.as_str()));
        }
    }
}

fn compare_fields(
    name: &str,
    was: &[async_graphql::Positioned<FieldDefinition>],
    now: &[async_graphql::Positioned<FieldDefinition>],
    out: &mut Vec<String>,
) {
    for field in was {
        let field = &field.node;
        let path = format!("{name}.{}", field.name.node);
        let Some(mine) = now.iter().find(|f| f.node.name.node == field.name.node) else {
            out.push(format!("Field '{path}' was removed"));
            continue;
        };
        let mine = &mine.node;
        if !output_accepts(&field.ty.node, &mine.ty.node) {
            out.push(format!(
                "Field '{path}' changed type from '{}' to '{}'",
                field.ty.node, mine.ty.node
            ));
        }
        let prefix = format!("Argument '{path}(");
        compare_inputs(&prefix, &field.arguments, &mine.arguments, out);
        for arg in added(&field.arguments, &mine.arguments).filter(|a| required(a)) {
            out.push(format!(
                "Non-null argument '{}: {}' was added to field '{path}'",
                arg.name.node, arg.ty.node
            ));
        }
    }
}

/// Arguments or input fields that were there before: removed, or of a type
/// an old client's values no longer fit. `prefix` names their owner.
fn compare_inputs(
    prefix: &str,
    was: &[async_graphql::Positioned<InputValueDefinition>],
    now: &[async_graphql::Positioned<InputValueDefinition>],
    out: &mut Vec<String>,
) {
    let close = if prefix.ends_with('(') { ")" } else { "" };
    for input in was {
        let input = &input.node;
        let label = format!("{prefix}{}{close}'", input.name.node);
        match now.iter().find(|i| i.node.name.node == input.name.node) {
            None => out.push(format!("{label} was removed")),
            Some(mine) if !input_accepts(&input.ty.node, &mine.node.ty.node) => out.push(format!(
                "{label} changed type from '{}' to '{}'",
                input.ty.node, mine.node.ty.node
            )),
            Some(_) => {}
        }
    }
}

fn added<'a>(
    was: &'a [async_graphql::Positioned<InputValueDefinition>],
    now: &'a [async_graphql::Positioned<InputValueDefinition>],
) -> impl Iterator<Item = &'a InputValueDefinition> {
    now.iter()
        .map(|i| &i.node)
        .filter(|i| !was.iter().any(|w| w.node.name.node == i.name.node))
}

/// A new argument or input field that old clients, who never send it, break on.
fn required(input: &InputValueDefinition) -> bool {
    !input.ty.node.nullable && input.default_value.is_none()
}

/// Whether a field typed `now` still answers what a client of `was` reads:
/// the same named type and list shape, never newly nullable.
fn output_accepts(was: &Type, now: &Type) -> bool {
    (was.nullable || !now.nullable) && same_base(&was.base, &now.base, output_accepts)
}

/// Whether an argument typed `now` still takes what a client of `was` sends:
/// the same named type and list shape, never newly non-null.
fn input_accepts(was: &Type, now: &Type) -> bool {
    (!was.nullable || now.nullable) && same_base(&was.base, &now.base, input_accepts)
}

fn same_base(was: &BaseType, now: &BaseType, inner: fn(&Type, &Type) -> bool) -> bool {
    match (was, now) {
        (BaseType::Named(w), BaseType::Named(n)) => w == n,
        (BaseType::List(w), BaseType::List(n)) => inner(w, n),
        _ => false,
    }
}
