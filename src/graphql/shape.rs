//! The type of every field, argument and input field, read once from the
//! schema's SDL, and what Tollgate checks with it that async-graphql leaves
//! out:
//! - before execution, `Int` values beyond 32 bits and values that are not
//!   objects where an input object is expected are refused as request errors
//!   (async-graphql's validation accepts both; only the resolver's argument
//!   parsing refuses them, as internal errors);
//! - after execution, errored fields are completed as the GraphQL spec's
//!   "Handling Field Errors" says (async-graphql leaves an errored field out
//!   of its object instead of making it null).

use std::{
    collections::{HashMap, HashSet},
    convert::Infallible,
    fmt,
    sync::LazyLock,
};

use async_graphql::{
    Name, PathSegment, Pos, ServerError, Value, Variables,
    parser::{
        parse_schema,
        types::{
            BaseType, ExecutableDocument, OperationDefinition, OperationType, Selection,
            SelectionSet, Type, TypeKind, TypeSystemDefinition,
        },
    },
};

use crate::error::AppError;

/// An output field: its type and its arguments' types.
struct Field {
    ty: Type,
    arguments: HashMap<String, Type>,
}

/// The shape of Tollgate's schema, read on first use. The SDL is printed by
/// the code itself, so it always parses; a test checks it.
pub fn shape() -> &'static Shape {
    static SHAPE: LazyLock<Shape> = LazyLock::new(|| {
        Shape::from_sdl(&super::sdl()).unwrap_or_else(|err| {
            tracing::error!(error = %err, "the schema's SDL does not parse");
            Shape::default()
        })
    });
    &SHAPE
}

/// The schema's object and input types.
#[derive(Default)]
pub struct Shape {
    objects: HashMap<String, HashMap<String, Field>>,
    inputs: HashMap<String, HashMap<String, Type>>,
}

impl Shape {
    /// Reads the shape of the schema printed as `sdl`.
    pub fn from_sdl(sdl: &str) -> anyhow::Result<Self> {
        let document = parse_schema(sdl)?;
        let mut shape = Self::default();
        for definition in document.definitions {
            let TypeSystemDefinition::Type(definition) = definition else {
                continue;
            };
            let name = definition.node.name.node.to_string();
            match definition.node.kind {
                TypeKind::Object(object) => {
                    let fields = object.fields.into_iter().map(|field| {
                        let field = field.node;
                        let arguments = field
                            .arguments
                            .into_iter()
                            .map(|a| (a.node.name.node.to_string(), a.node.ty.node))
                            .collect();
                        let ty = field.ty.node;
                        (field.name.node.to_string(), Field { ty, arguments })
                    });
                    shape.objects.insert(name, fields.collect());
                }
                TypeKind::InputObject(input) => {
                    let fields = input
                        .fields
                        .into_iter()
                        .map(|f| (f.node.name.node.to_string(), f.node.ty.node));
                    shape.inputs.insert(name, fields.collect());
                }
                _ => {}
            }
        }
        Ok(shape)
    }

    /// Refuses the values validation lets through (see [`Unfit`]), in the
    /// operation's variables (BAD_USER_INPUT naming the variable and the
    /// path inside it) and in the literal arguments of its fields
    /// (GRAPHQL_VALIDATION_FAILED).
    pub fn check_values(
        &self,
        document: &ExecutableDocument,
        operation: &OperationDefinition,
        variables: &Variables,
    ) -> Result<(), ServerError> {
        for definition in &operation.variable_definitions {
            let definition = &definition.node;
            let name = definition.name.node.as_str();
            let value = variables
                .get(&definition.name.node)
                .or(definition.default_value.as_ref().map(|v| &v.node));
            if let Some(value) = value
                && let Some((path, unfit)) = self.unfit(&definition.var_type.node, value, name)
            {
                let message =
                    format!("variable \"${name}\" got an invalid value at \"{path}\": {unfit}");
                return Err(AppError::bad_input(path, message).to_server_error(None));
            }
        }
        let mut walk = ArgumentWalk {
            shape: self,
            document,
            variables,
            visited: HashSet::new(),
        };
        walk.selection_set(root_type(operation.ty), &operation.selection_set.node)
    }

    /// The first unfit value in `value` of type `ty`, with its path (dotted,
    /// from `path`). Everything else validation checks is left to it.
    fn unfit(&self, ty: &Type, value: &Value, path: &str) -> Option<(String, Unfit)> {
        match (&ty.base, value) {
            (_, Value::Null) => None,
            (BaseType::List(inner), Value::List(items)) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| self.unfit(inner, item, &format!("{path}.{i}"))),
            (BaseType::List(inner), single) => self.unfit(inner, single, path),
            (BaseType::Named(name), Value::Number(n)) if name == "Int" => {
                let n = n.as_i64()?;
                i32::try_from(n)
                    .is_err()
                    .then(|| (path.to_owned(), Unfit::BeyondInt(n)))
            }
            (BaseType::Named(name), value) => {
                let types = self.inputs.get(name.as_str())?;
                let Value::Object(fields) = value else {
                    return Some((path.to_owned(), Unfit::NotAnObject(name.to_string())));
                };
                fields.iter().find_map(|(field, value)| {
                    let ty = types.get(field.as_str())?;
                    self.unfit(ty, value, &format!("{path}.{field}"))
                })
            }
        }
    }

    /// Completes `data` after field errors: an errored nullable field is
    /// null; an errored non-null field makes its parent null, up to the
    /// nearest nullable position or `data` itself.
    pub fn complete(
        &self,
        document: &ExecutableDocument,
        operation: &OperationDefinition,
        data: &mut Value,
        errors: &[ServerError],
    ) {
        let errored: Vec<&[PathSegment]> = errors
            .iter()
            .map(|e| e.path.as_slice())
            .filter(|path| !path.is_empty())
            .collect();
        if errored.is_empty() {
            return;
        }
        // async-graphql answers null when every root field errored.
        if *data == Value::Null {
            *data = Value::Object(Default::default());
        }
        let mut data_is_null = false;
        for path in errored {
            let Some(nullable) = self.nullability(document, operation, path) else {
                continue;
            };
            match nullable.iter().rposition(|n| *n) {
                Some(at) => set_null(data, &path[..=at]),
                None => data_is_null = true,
            }
        }
        if data_is_null {
            *data = Value::Null;
        }
    }

    /// Whether each position along `path` may be null; `None` when the path
    /// cannot be followed through the document.
    fn nullability(
        &self,
        document: &ExecutableDocument,
        operation: &OperationDefinition,
        path: &[PathSegment],
    ) -> Option<Vec<bool>> {
        let mut parent = root_type(operation.ty);
        let mut sets = vec![&operation.selection_set.node];
        let mut ty: Option<&Type> = None;
        let mut nullable = Vec::with_capacity(path.len());
        for segment in path {
            let current = match segment {
                PathSegment::Field(key) => {
                    let mut found = Vec::new();
                    let mut visited = HashSet::new();
                    for set in &sets {
                        collect_key(document, set, key, &mut found, &mut visited);
                    }
                    let name = found.first()?.0;
                    let field = self.objects.get(parent)?.get(name.as_str())?;
                    sets = found.into_iter().map(|(_, set)| set).collect();
                    parent = named(&field.ty);
                    &field.ty
                }
                PathSegment::Index(_) => match &ty?.base {
                    BaseType::List(inner) => inner.as_ref(),
                    BaseType::Named(_) => return None,
                },
            };
            nullable.push(current.nullable);
            ty = Some(current);
        }
        Some(nullable)
    }
}

/// A value async-graphql's validation accepts and its argument parsing
/// refuses.
enum Unfit {
    /// An `Int` beyond 32 bits.
    BeyondInt(i64),
    /// Not an object where the input object type it names is expected.
    NotAnObject(String),
}

impl fmt::Display for Unfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BeyondInt(n) => write!(f, "Int cannot represent {n}, which is beyond 32 bits"),
            Self::NotAnObject(ty) => write!(f, "expected an object of type {ty}"),
        }
    }
}

/// Checks the literal arguments of every field an operation selects.
struct ArgumentWalk<'a> {
    shape: &'a Shape,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    visited: HashSet<&'a str>,
}

impl<'a> ArgumentWalk<'a> {
    fn selection_set(&mut self, parent: &str, set: &'a SelectionSet) -> Result<(), ServerError> {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let Some(definition) = self
                        .shape
                        .objects
                        .get(parent)
                        .and_then(|fields| fields.get(field.name.node.as_str()))
                    else {
                        continue;
                    };
                    for (argument, value) in &field.arguments {
                        let name = argument.node.as_str();
                        let Some(ty) = definition.arguments.get(name) else {
                            continue;
                        };
                        // Variables were checked against their declared
                        // types; their values only fill in the literal.
                        let Ok(value) = value.node.clone().into_const_with(|variable| {
                            Ok::<_, Infallible>(
                                self.variables.get(&variable).cloned().unwrap_or_default(),
                            )
                        });
                        if let Some((path, unfit)) = self.shape.unfit(ty, &value, name) {
                            return Err(invalid_literal(&path, &unfit, argument.pos));
                        }
                    }
                    self.selection_set(named(&definition.ty), &field.selection_set.node)?;
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if !self.visited.insert(name) {
                        continue;
                    }
                    if let Some(fragment) = self.document.fragments.get(name) {
                        let on = fragment.node.type_condition.node.on.node.as_str();
                        self.selection_set(on, &fragment.node.selection_set.node)?;
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let on = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(parent, |c| c.node.on.node.as_str());
                    self.selection_set(on, &fragment.node.selection_set.node)?;
                }
            }
        }
        Ok(())
    }
}

fn invalid_literal(path: &str, unfit: &Unfit, pos: Pos) -> ServerError {
    let message = format!("argument \"{path}\" has an invalid value: {unfit}");
    AppError::Invalid(message).to_server_error(Some(pos))
}

/// The fields of `set` (through fragments) answering under `key`: their
/// names and selection sets.
fn collect_key<'a>(
    document: &'a ExecutableDocument,
    set: &'a SelectionSet,
    key: &str,
    found: &mut Vec<(&'a Name, &'a SelectionSet)>,
    visited: &mut HashSet<&'a str>,
) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) if field.node.response_key().node == key => {
                found.push((&field.node.name.node, &field.node.selection_set.node));
            }
            Selection::Field(_) => {}
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                if visited.insert(name)
                    && let Some(fragment) = document.fragments.get(name)
                {
                    collect_key(
                        document,
                        &fragment.node.selection_set.node,
                        key,
                        found,
                        visited,
                    );
                }
            }
            Selection::InlineFragment(fragment) => collect_key(
                document,
                &fragment.node.selection_set.node,
                key,
                found,
                visited,
            ),
        }
    }
}

/// Makes the value at `path` null, adding the key to its object when it is
/// missing; does nothing when an ancestor is already null.
fn set_null(data: &mut Value, path: &[PathSegment]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = data;
    for segment in parents {
        current = match (segment, current) {
            (PathSegment::Field(key), Value::Object(fields)) => {
                match fields.get_mut(key.as_str()) {
                    Some(value) => value,
                    None => return,
                }
            }
            (PathSegment::Index(i), Value::List(items)) => match items.get_mut(*i) {
                Some(value) => value,
                None => return,
            },
            _ => return,
        };
    }
    match (last, current) {
        (PathSegment::Field(key), Value::Object(fields)) => {
            fields.insert(Name::new(key), Value::Null);
        }
        (PathSegment::Index(i), Value::List(items)) => {
            if let Some(item) = items.get_mut(*i) {
                *item = Value::Null;
            }
        }
        _ => {}
    }
}

fn root_type(ty: OperationType) -> &'static str {
    match ty {
        OperationType::Query => "Query",
        OperationType::Mutation => "Mutation",
        OperationType::Subscription => "Subscription",
    }
}

/// The named type inside any list and non-null wrappers.
fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}
