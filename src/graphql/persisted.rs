//! Finding the document an operation runs, the same way over every
//! transport: a trusted document named by `documentId` or by its
//! persisted-query hash, an automatic persisted query (Apollo's APQ:
//! registered with its hash checked, once it has passed the checks every
//! operation passes, then named by the hash alone), or the text sent. In
//! only-trusted mode nothing outside the manifest runs.

use std::sync::Arc;

use async_graphql::{Request, Value};

use crate::{digest::sha256_hex, error::AppError, state::AppState};

/// What an APQ client is told when the server does not know its hash; the
/// message is the one Apollo's clients look for.
const NOT_FOUND: &str = "PersistedQueryNotFound";

/// The `sha256Hash` of a request's `extensions.persistedQuery`, lower-case,
/// if it names one.
pub fn persisted_hash(request: &Request) -> Result<Option<String>, AppError> {
    let Some(persisted) = request.extensions.0.get("persistedQuery") else {
        return Ok(None);
    };
    let bad = || AppError::BadRequest("persistedQuery needs version 1 and a sha256Hash".into());
    let Value::Object(fields) = persisted else {
        return Err(bad());
    };
    let hash = match (fields.get("version"), fields.get("sha256Hash")) {
        (Some(Value::Number(v)), Some(Value::String(hash))) if v.as_u64() == Some(1) => hash,
        _ => return Err(bad()),
    };
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::bad_input(
            "extensions.persistedQuery.sha256Hash",
            "sha256Hash must be 64 hexadecimal digits",
        ));
    }
    Ok(Some(hash.to_ascii_lowercase()))
}

/// An APQ document sent with its hash, to register once it has passed the
/// checks (a document that fails them is not kept).
#[must_use = "a new APQ document is registered once it has passed the checks"]
pub struct Registration(String);

/// Sets `request.query` to the document the request names: by
/// `document_id` or a persisted-query hash in the trusted manifest, else
/// through APQ (a new one to [`register`], its hash checked), else the text
/// sent. [`AppError::Untrusted`] when only trusted documents may run.
pub async fn resolve(
    state: &AppState,
    request: &mut Request,
    document_id: Option<&str>,
) -> Result<Option<Registration>, AppError> {
    let mut registration = None;
    let trusted = &state.trusted;
    if let Some(id) = document_id {
        request.query = match trusted.get(id) {
            Some(document) => document.to_string(),
            None if trusted.only() => return Err(AppError::Untrusted),
            None => return Err(AppError::PersistedQueryNotFound(NOT_FOUND.into())),
        };
    } else if let Some(hash) = persisted_hash(request)? {
        if request.query.is_empty() {
            let known = match trusted.get(&hash) {
                Some(document) => Some(document),
                None => state.caches.documents.persisted.get(&hash).await,
            };
            request.query = match known {
                Some(document) => document.to_string(),
                None if trusted.only() => return Err(AppError::Untrusted),
                None => return Err(AppError::PersistedQueryNotFound(NOT_FOUND.into())),
            };
        } else if sha256_hex(&request.query) != hash {
            return Err(AppError::bad_input(
                "extensions.persistedQuery.sha256Hash",
                "provided sha256Hash does not match the query",
            ));
        } else if !trusted.only() {
            registration = Some(Registration(hash));
        }
    }
    if trusted.only() && !trusted.contains(&request.query) {
        return Err(AppError::Untrusted);
    }
    Ok(registration)
}

/// Registers `query`, which passed the checks, under the hash it was sent with.
pub async fn register(state: &AppState, registration: Registration, query: &str) {
    let document = Arc::from(query);
    let store = &state.caches.documents.persisted;
    store.put(registration.0, document).await;
}
