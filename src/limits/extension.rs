//! The schema extension that enforces [`Limits`] on every operation, over
//! HTTP and WebSocket alike, after parsing and before any resolver runs.

use std::sync::{Arc, Mutex};

use async_graphql::{
    Request, ServerResult, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
    },
    parser::types::ExecutableDocument,
};

use super::{
    Limits,
    analysis::{Refusal, analyse},
    too_complex,
};

pub struct OperationLimits(pub Limits);

impl ExtensionFactory for OperationLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsExtension {
            limits: self.0,
            operation_name: Mutex::new(None),
        })
    }
}

/// Created per request: remembers the requested operation's name.
struct LimitsExtension {
    limits: Limits,
    operation_name: Mutex<Option<String>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for LimitsExtension {
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
        if !query.is_empty() {
            self.limits.check_text(query)?;
        }
        let document = next.run(ctx, query, variables).await?;
        let name = self.operation_name.lock().ok().and_then(|n| n.clone());
        match analyse(&document, name.as_deref(), variables) {
            Ok(Some(analysis)) => self.limits.check(&analysis)?,
            Ok(None) => {}
            Err(Refusal::FragmentCycle(fragment)) => {
                let mut error = too_complex("depth", self.limits.depth as u64, u64::MAX);
                error.message = format!("fragment {fragment} spreads itself");
                return Err(error);
            }
        }
        Ok(document)
    }
}
