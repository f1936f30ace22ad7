//! What every operation goes through before it runs, over HTTP and WebSocket
//! alike: trusted documents, the size and nesting of its text, parsing (with
//! a cache of parsed documents), required variables, and the operation
//! limits. Done here rather than in schema extensions: any extension sends
//! every field through async-graphql's slow resolve path.

use async_graphql::{Request, ServerError, Value, Variables, parser::types::ExecutableDocument};

use super::trusted::TrustedDocuments;
use crate::{
    app::AppState,
    error::code,
    limits::{
        Analysis, Limits, analyse,
        analysis::{Refusal, operation},
        too_complex,
    },
};

/// Readies `request` to run: its parsed document attached, its analysis
/// returned (`None` when the operation to run cannot be told; execution
/// reports that).
pub fn prepare(
    state: &AppState,
    request: &mut Request,
) -> Result<Option<Analysis>, Vec<ServerError>> {
    let limits = &state.config.limits;
    if state.config.guardrails {
        limits.check_text(&request.query).map_err(|e| vec![e])?;
    }
    let document = state
        .caches
        .documents
        .parsed(&request.query)
        .map_err(|err| {
            let mut error = ServerError::from(err);
            set_code(&mut error, code::PARSE_FAILED);
            vec![error]
        })?;
    let analysis = if state.config.guardrails {
        check(
            limits,
            &document,
            request.operation_name.as_deref(),
            &request.variables,
        )?
    } else {
        None
    };
    request.set_parsed_query(document);
    Ok(analysis)
}

/// Trusted documents, then [`prepare`]: for transports that do not resolve
/// documents themselves (WebSocket).
pub fn prepare_any(
    state: &AppState,
    trusted: &TrustedDocuments,
    request: &mut Request,
) -> Result<Option<Analysis>, Vec<ServerError>> {
    trusted.resolve(request).map_err(|e| vec![e])?;
    prepare(state, request)
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
            let mut error = too_complex("depth", limits.depth as u64, u64::MAX);
            error.message = format!("fragment {fragment} spreads itself");
            Err(vec![error])
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
            let mut error = ServerError::new(
                format!(
                    "variable \"${variable}\" of required type \"{}\" was not provided",
                    definition.var_type.node
                ),
                Some(definition.name.pos),
            );
            set_code(&mut error, code::VALIDATION_FAILED);
            return Err(error);
        }
    }
    Ok(())
}

fn set_code(error: &mut ServerError, value: &str) {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", value);
}
