//! Readying one operation to run: automatic persisted queries (Apollo's APQ
//! protocol) resolve its document, a parsed copy comes from the document
//! cache, and it is told whether its answer may come from the public
//! response cache.

use std::sync::Arc;

use async_graphql::{Request, ServerError, Value};

use crate::{
    cache::{Caches, ResponseCache, documents::sha256_hex, responses::is_public},
    error::code,
};

/// An operation ready to run.
pub struct Prepared {
    pub request: Request,
    /// The response-cache key, when the answer is public and may be cached.
    pub public_key: Option<[u8; 32]>,
}

fn error(code: &str, message: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    error
}

/// The `sha256Hash` of an APQ request, if the request is one.
fn persisted_hash(request: &Request) -> Result<Option<String>, ServerError> {
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

/// Resolves the persisted document, attaches the parsed one, and decides
/// whether the answer is public (`anonymous` viewers only).
pub async fn prepare(
    caches: &Caches,
    mut request: Request,
    anonymous: bool,
) -> Result<Prepared, ServerError> {
    if let Some(hash) = persisted_hash(&request)? {
        if request.query.is_empty() {
            match caches.documents.persisted.get(&hash).await {
                Some(document) => request.query = document.to_string(),
                None => return Err(error("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")),
            }
        } else if sha256_hex(&request.query) != hash {
            return Err(error(
                code::BAD_USER_INPUT,
                "provided sha256Hash does not match the query",
            ));
        } else {
            caches
                .documents
                .persisted
                .put(hash, Arc::from(request.query.as_str()))
                .await;
        }
    }
    let mut public_key = None;
    if let Some(document) = caches.documents.parsed(&request.query) {
        let public = anonymous
            && caches.responses.enabled()
            && is_public(&document, request.operation_name.as_deref());
        if public {
            public_key = Some(ResponseCache::key(
                &request.query,
                request.operation_name.as_deref(),
                &request.variables,
            ));
        }
        request.set_parsed_query(document);
    }
    Ok(Prepared {
        request,
        public_key,
    })
}
