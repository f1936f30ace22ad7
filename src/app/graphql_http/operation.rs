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
    limits::analyse,
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
    /// An error to answer with, like any GraphQL error.
    Error(ServerError),
    /// Only trusted documents may run, and this is not one (HTTP 400).
    Untrusted,
}

fn error(code: &str, message: &str) -> Unprepared {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    Unprepared::Error(error)
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

/// Resolves the document, attaches the parsed one, reckons the cost and
/// decides whether the answer is public (`anonymous` viewers only).
pub async fn prepare(
    state: &AppState,
    mut request: Request,
    document_id: Option<&str>,
    anonymous: bool,
) -> Result<Prepared, Unprepared> {
    resolve_document(state, &mut request, document_id).await?;
    let mut prepared = Prepared {
        cost: 0,
        public_key: None,
        request,
    };
    let request = &mut prepared.request;
    if state.config.limits.check_text(&request.query).is_err() {
        // Too large to parse here; execution refuses it with the details.
        return Ok(prepared);
    }
    let caches = &state.caches;
    if let Some(document) = caches.documents.parsed(&request.query) {
        let name = request.operation_name.as_deref();
        if let Ok(Some(analysis)) = analyse(&document, name, &request.variables) {
            prepared.cost = if analysis.introspection {
                0
            } else {
                analysis.cost
            };
        }
        if anonymous && caches.responses.enabled() && is_public(&document, name) {
            prepared.public_key =
                Some(ResponseCache::key(&request.query, name, &request.variables));
        }
        request.set_parsed_query(document);
    }
    Ok(prepared)
}
