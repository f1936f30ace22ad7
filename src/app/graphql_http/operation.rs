//! Readying one operation of an HTTP request to run: it passes the checks
//! every transport shares (`graphql::guard`), its cost is reckoned for the
//! client's budget, and it is told whether its answer may come from the
//! public response cache.

use std::sync::Arc;

use async_graphql::{Request, ServerError, parser::types::ExecutableDocument};

use crate::{
    app::AppState,
    cache::ResponseCache,
    error::AppError,
    graphql::{guard, persisted},
};

/// An operation ready to run.
pub struct Prepared {
    /// The request, whose parsed document is attached by [`Self::runnable`].
    pub request: Request,
    /// Its parsed document, to complete the response with.
    pub document: Arc<ExecutableDocument>,
    /// Its requested cost (0 for introspection, or a document that does not
    /// parse: execution reports that).
    pub cost: u64,
    /// The response-cache key, when the answer is public and may be cached.
    pub public_key: Option<[u8; 32]>,
}

impl Prepared {
    /// The request, given its parsed document, to execute.
    pub fn runnable(self) -> Request {
        let mut request = self.request;
        guard::attach(&mut request, &self.document);
        request
    }
}

/// Why an operation will not run.
pub enum Unprepared {
    /// Errors to answer with, like any GraphQL errors.
    Error(Vec<ServerError>),
    /// Only trusted documents may run, and this is not one (HTTP 400).
    Untrusted,
}

/// Resolves the document, checks and attaches the parsed one, reckons the
/// cost and decides whether the answer is public (`anonymous` viewers only).
pub async fn prepare(
    state: &AppState,
    mut request: Request,
    document_id: Option<&str>,
    anonymous: bool,
) -> Result<Prepared, Unprepared> {
    let registration = match persisted::resolve(state, &mut request, document_id).await {
        Ok(registration) => registration,
        Err(AppError::Untrusted) => return Err(Unprepared::Untrusted),
        Err(err) => return Err(Unprepared::Error(vec![err.to_server_error(None)])),
    };
    let checked = guard::prepare(state, &mut request).map_err(Unprepared::Error)?;
    if let Some(registration) = registration {
        persisted::register(state, registration, &request.query).await;
    }
    let cost = checked.cost();
    let name = request.operation_name.as_deref();
    let public = anonymous && state.caches.responses.enabled() && checked.parsed.is_public(name);
    let public_key = public.then(|| {
        let document = checked.parsed.normalized_digest(&request.query);
        ResponseCache::key(&document, name, &request.variables)
    });
    Ok(Prepared {
        request,
        document: checked.parsed.document.clone(),
        cost,
        public_key,
    })
}
