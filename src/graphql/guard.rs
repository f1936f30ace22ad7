//! What every operation goes through before it runs, over HTTP, SSE and
//! WebSocket alike: its document found ([`persisted`]), the size and nesting
//! of its text, parsing (with a cache of parsed documents), the report of a
//! document outside the trusted manifest (`TRUSTED_DOCUMENTS=report`),
//! required variables, the operation limits, `Int` ranges and introspection.
//! Done here rather than in schema extensions: any extension sends every
//! field through async-graphql's slow resolve path.

use std::{collections::HashSet, sync::Arc};

use async_graphql::{
    Request, Response, ServerError, Value, Variables,
    parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet},
};

use super::{persisted, shape::shape};
use crate::{
    cache::documents::Parsed,
    error::AppError,
    limits::{
        Analysis, Limits, analyse,
        analysis::{Refusal, operation},
    },
    state::AppState,
};

/// An operation that passed the checks.
pub struct Checked {
    /// Its analysis; `None` when the operation to run cannot be told
    /// (execution reports that) or the guardrails are off.
    pub analysis: Option<Analysis>,
    /// The parsed document, kept to complete the response (see
    /// [`complete`]), with what is worked out from it once.
    pub parsed: Arc<Parsed>,
}

impl Checked {
    /// The operation's requested cost (0 for introspection, or a document
    /// whose operation cannot be told: execution reports that).
    pub fn cost(&self) -> u64 {
        self.analysis
            .as_ref()
            .filter(|a| !a.introspection)
            .map_or(0, |a| a.cost)
    }
}

/// Finds the document of `request` (by `document_id`, a persisted-query
/// hash or its text) and readies it to run, its parsed document attached; a
/// new APQ document is registered once it has passed the checks.
pub async fn admit(
    state: &AppState,
    request: &mut Request,
    document_id: Option<&str>,
) -> Result<Checked, Vec<ServerError>> {
    let registration = persisted::resolve(state, request, document_id)
        .await
        .map_err(|err| vec![err.to_server_error(None)])?;
    let checked = prepare(state, request)?;
    attach(request, &checked.parsed.document);
    if let Some(registration) = registration {
        persisted::register(state, registration, &request.query).await;
    }
    Ok(checked)
}

/// Readies `request`, whose document is known, to run: once [`attach`]ed
/// to its parsed document (an answer from the response cache needs no copy).
pub fn prepare(state: &AppState, request: &mut Request) -> Result<Checked, Vec<ServerError>> {
    let limits = &state.config.limits.operation;
    let guardrails = state.config.bench.guardrails();
    // A document found parsed passed the text's checks when it was parsed.
    let parsed = state.caches.documents.parsed(&request.query, || {
        if guardrails {
            limits.check_text(&request.query).map_err(|e| vec![e])?;
        }
        Ok(())
    })?;
    let document = &parsed.document;
    let name = request.operation_name.as_deref();
    state
        .trusted
        .report(&request.query, operation_name(document, name));
    let analysis = if guardrails {
        check(limits, document, name, &request.variables)?
    } else {
        None
    };
    if let Some(operation) = operation(document, name) {
        let operation = &operation.node;
        if !state.config.limits.introspection
            && introspects(document, &operation.selection_set.node, &mut HashSet::new())
        {
            let refused = AppError::Invalid("introspection is disabled".into());
            return Err(vec![refused.to_server_error(None)]);
        }
        shape()
            .check_values(document, operation, &request.variables)
            .map_err(|e| vec![e])?;
    }
    Ok(Checked { analysis, parsed })
}

/// Gives `request` its parsed `document`, so that execution does not parse
/// it again.
pub fn attach(request: &mut Request, document: &ExecutableDocument) {
    request.set_parsed_query(ExecutableDocument::clone(document));
}

/// The name of the operation to run: the one asked for, else the name of
/// the document's only operation.
fn operation_name<'a>(document: &'a ExecutableDocument, asked: Option<&'a str>) -> Option<&'a str> {
    asked.or(match &document.operations {
        DocumentOperations::Multiple(operations) if operations.len() == 1 => {
            operations.keys().next().map(|name| name.as_str())
        }
        _ => None,
    })
}

/// Completes a response's errored fields as the GraphQL spec says (see
/// `shape`).
pub fn complete(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    response: &mut Response,
) {
    if let Some(operation) = operation(document, operation_name) {
        shape().complete(
            document,
            &operation.node,
            &mut response.data,
            &response.errors,
        );
    }
}

fn check(
    limits: &Limits,
    document: &ExecutableDocument,
    name: Option<&str>,
    variables: &Variables,
) -> Result<Option<Analysis>, Vec<ServerError>> {
    check_required_variables(document, name, variables).map_err(|e| vec![e])?;
    match analyse(document, name, variables) {
        Ok(Some(analysis)) => {
            limits.check(&analysis)?;
            Ok(Some(analysis))
        }
        Ok(None) => Ok(None),
        Err(Refusal::FragmentCycle(fragment)) => {
            let refused = AppError::TooComplex {
                limit: "depth",
                max: limits.depth as u64,
                found: u64::MAX,
                message: format!("fragment {fragment} spreads itself"),
            };
            Err(vec![refused.to_server_error(None)])
        }
    }
}

/// A non-null variable without a default must be given: the GraphQL spec
/// makes its absence a request error, which async-graphql would only notice
/// while resolving.
fn check_required_variables(
    document: &ExecutableDocument,
    name: Option<&str>,
    variables: &Variables,
) -> Result<(), ServerError> {
    let Some(operation) = operation(document, name) else {
        return Ok(());
    };
    for definition in &operation.node.variable_definitions {
        let definition = &definition.node;
        let variable = &definition.name.node;
        let given = variables.get(variable).is_some_and(|v| *v != Value::Null);
        if !definition.var_type.node.nullable && definition.default_value.is_none() && !given {
            let message = format!(
                "variable \"${variable}\" of required type \"{}\" was not provided",
                definition.var_type.node
            );
            return Err(AppError::Invalid(message).to_server_error(Some(definition.name.pos)));
        }
    }
    Ok(())
}

/// Whether a root selection set asks for the schema (`__schema`, `__type`;
/// `__typename` is no introspection of the schema).
fn introspects<'a>(
    document: &'a ExecutableDocument,
    set: &'a SelectionSet,
    spread: &mut HashSet<&'a str>,
) -> bool {
    set.items.iter().any(|selection| match &selection.node {
        Selection::Field(field) => matches!(field.node.name.node.as_str(), "__schema" | "__type"),
        Selection::InlineFragment(fragment) => {
            introspects(document, &fragment.node.selection_set.node, spread)
        }
        Selection::FragmentSpread(fragment) => {
            let name = fragment.node.fragment_name.node.as_str();
            spread.insert(name)
                && document
                    .fragments
                    .get(name)
                    .is_some_and(|f| introspects(document, &f.node.selection_set.node, spread))
        }
    })
}
