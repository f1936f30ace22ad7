//! Readying one operation to run: trusted documents and automatic persisted
//! queries (Apollo's APQ protocol) resolve its document, a parsed copy comes
//! from the document cache, its cost is reckoned for the client's budget, and
//! it is told whether its answer may come from the public response cache.

use std::sync::Arc;

use async_graphql::{Request, ServerError, Value};

use crate::{
    app::AppState,
    cache::{ResponseCache, documents::sha256_hex, responses::is_public},
    error::code,
    graphql::guard,
};

/// An operation ready to run.
pub struct Prepared {
    pub request: Request,
    /// Its requested cost (0 for introspection, or a document that does not
    /// parse: execution reports that).
    pub cost: u64,
    /// The response-cache key, when the answer is public and may be cached.
    pub public_key: Option<[u8; 32]>,
}

/// Why an operation will not run.
pub enum Unprepared {
    /// Errors to answer with, like any GraphQL errors.
    Error(Vec<ServerError>),
    /// Only trusted documents may run, and this is not one (HTTP 400).
    Untrusted,
}

fn error(code: &str, message: &str) -> Unprepared {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    Unprepared::Error(vec![error])
}

/// The `sha256Hash` of an APQ request, if the request is one.
fn persisted_hash(request: &Request) -> Result<Option<String>, Unprepared> {
    let Some(persisted) = request.extensions.0.get("persistedQuery") else {
        return Ok(None);
    };
    let hash = match persisted {
        Value::Object(fields) => match (fields.get("version"), fields.get("sha256Hash")) {
            (Some(Value::Number(v)), Some(Value::String(hash))) if v.as_u64() == Some(1) => hash,
            _ => {
                return Err(error(
                    code::BAD_REQUEST,
                    "persistedQuery needs version 1 and a sha256Hash",
                ));
            }
        },
        _ => return Err(error(code::BAD_REQUEST, "persistedQuery must be an object")),
    };
    let valid = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid {
        return Err(error(
            code::BAD_USER_INPUT,
            "sha256Hash must be 64 hexadecimal digits",
        ));
    }
    Ok(Some(hash.to_ascii_lowercase()))
}

/// Finds the document of a request: by `documentId` or a persisted-query hash
/// in the trusted manifest, else through APQ (registering a new one, its hash
/// checked), else the text sent.
async fn resolve_document(
    state: &AppState,
    request: &mut Request,
    document_id: Option<&str>,
) -> Result<(), Unprepared> {
    let trusted = &state.trusted;
    if let Some(id) = document_id {
        request.query = match trusted.get(id) {
            Some(document) => document.to_string(),
            None if trusted.only() => return Err(Unprepared::Untrusted),
            None => {
                return Err(error(
                    code::PERSISTED_QUERY_NOT_FOUND,
                    "PersistedQueryNotFound",
                ));
            }
        };
    } else if let Some(hash) = persisted_hash(request)? {
        if request.query.is_empty() {
            let known = match trusted.get(&hash) {
                Some(document) => Some(document),
                None => state.caches.documents.persisted.get(&hash).await,
            };
            match known {
                Some(document) => request.query = document.to_string(),
                None if trusted.only() => return Err(Unprepared::Untrusted),
                None => {
                    return Err(error(
                        code::PERSISTED_QUERY_NOT_FOUND,
                        "PersistedQueryNotFound",
                    ));
                }
            }
        } else if sha256_hex(&request.query) != hash {
            return Err(error(
                code::BAD_USER_INPUT,
                "provided sha256Hash does not match the query",
            ));
        } else if !trusted.only() {
            let document = Arc::from(request.query.as_str());
            state.caches.documents.persisted.put(hash, document).await;
        }
    }
    if trusted.only() && !trusted.contains(&request.query) {
        return Err(Unprepared::Untrusted);
    }
    Ok(())
}

/// Resolves the document, checks and attaches the parsed one, reckons the
/// cost and decides whether the answer is public (`anonymous` viewers only).
pub async fn prepare(
    state: &AppState,
    mut request: Request,
    document_id: Option<&str>,
    anonymous: bool,
) -> Result<Prepared, Unprepared> {
    resolve_document(state, &mut request, document_id).await?;
    let analysis = guard::prepare(state, &mut request).map_err(Unprepared::Error)?;
    let cost = analysis.filter(|a| !a.introspection).map_or(0, |a| a.cost);
    let name = request.operation_name.clone();
    let public = anonymous
        && state.caches.responses.enabled()
        && request
            .parsed_query()
            .is_ok_and(|document| is_public(document, name.as_deref()));
    let public_key =
        public.then(|| ResponseCache::key(&request.query, name.as_deref(), &request.variables));
    Ok(Prepared {
        request,
        cost,
        public_key,
    })
}
