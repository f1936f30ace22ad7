//! Gives errors raised before execution their binding codes: a document that
//! does not parse is GRAPHQL_PARSE_FAILED; one that does not validate (or
//! names an unknown operation) is GRAPHQL_VALIDATION_FAILED.

use std::sync::{Arc, Mutex};

use async_graphql::{
    Request, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
        NextRequest, NextSubscribe, NextValidation,
    },
    parser::types::{DocumentOperations, ExecutableDocument},
};

use futures_util::{StreamExt, stream::BoxStream};

use super::RequestMeta;
use crate::error::code;

pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension::default())
    }
}

/// Created per request: remembers the requested operation's name.
#[derive(Default)]
struct ErrorCodesExtension {
    operation_name: Mutex<Option<String>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        // Errors without a path were raised before execution started: the
        // operation could not be selected or validated.
        for error in response.errors.iter_mut().filter(|e| e.path.is_empty()) {
            set_code_if_missing(error, code::VALIDATION_FAILED);
        }
        response
    }

    /// Subscription events get the same error details as HTTP responses.
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let request_id = ctx
            .data_opt::<RequestMeta>()
            .map(|meta| meta.request_id.clone())
            .unwrap_or_default();
        Box::pin(next.run(ctx, stream).map(move |mut response| {
            finalize_errors(&mut response, &request_id);
            response
        }))
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if let Ok(mut name) = self.operation_name.lock() {
            name.clone_from(&request.operation_name);
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await.map_err(|mut error| {
            set_code_if_missing(&mut error, code::PARSE_FAILED);
            error
        })?;
        let name = self.operation_name.lock().ok().and_then(|n| n.clone());
        check_required_variables(&document, name.as_deref(), variables)?;
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|mut errors| {
            for error in &mut errors {
                set_code_if_missing(error, code::VALIDATION_FAILED);
            }
            errors
        })
    }
}

/// A non-null variable without a default must be given: the GraphQL spec makes
/// its absence a request error, which async-graphql would only notice while
/// resolving.
fn check_required_variables(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> ServerResult<()> {
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => match ops.get(name) {
            Some(op) => op,
            None => return Ok(()),
        },
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => match ops.values().next() {
            Some(op) => op,
            None => return Ok(()),
        },
        _ => return Ok(()),
    };
    for definition in &operation.node.variable_definitions {
        let definition = &definition.node;
        let name = &definition.name.node;
        let given = variables.get(name).is_some_and(|v| *v != Value::Null);
        if !definition.var_type.node.nullable && definition.default_value.is_none() && !given {
            let mut error = ServerError::new(
                format!(
                    "variable \"${name}\" of required type \"{}\" was not provided",
                    definition.var_type.node
                ),
                Some(definition.name.pos),
            );
            set_code_if_missing(&mut error, code::VALIDATION_FAILED);
            return Err(error);
        }
    }
    Ok(())
}

/// Gives every error a code and the request id; an error nobody coded is
/// unexpected, so its message is logged and masked.
pub fn finalize_errors(response: &mut Response, request_id: &str) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            tracing::error!(message = %error.message, path = ?error.path, "unexpected error");
            error.message = "internal server error".to_owned();
            extensions.set("code", code::INTERNAL);
        }
        extensions.set("requestId", request_id);
    }
}

fn set_code_if_missing(error: &mut ServerError, value: &str) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", value);
    }
}
