//! Reading GraphQL requests from a POST body or a GET query string.

use std::collections::HashMap;

use async_graphql::{Request, Variables};
use serde::Deserialize;

/// One operation as a client sends it: a GraphQL request, plus the
/// `documentId` of a trusted document.
#[derive(Deserialize)]
pub struct Incoming {
    #[serde(flatten)]
    pub request: Request,
    #[serde(rename = "documentId", default)]
    pub document_id: Option<String>,
}

impl Incoming {
    /// Whether it names its document somehow (text, trusted id or persisted hash).
    pub fn names_a_document(&self) -> bool {
        !self.request.query.trim().is_empty()
            || self.document_id.is_some()
            || self.request.extensions.0.contains_key("persistedQuery")
    }
}

/// A POST body: one operation or a batch.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum Body {
    Single(Box<Incoming>),
    Batch(Vec<Incoming>),
}

/// The query-string parameters of GET /graphql.
#[derive(Deserialize)]
pub struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
    #[serde(rename = "documentId")]
    document_id: Option<String>,
}

impl GetParams {
    /// Whether no GraphQL parameter was given (a browser opening the page).
    pub fn is_empty(&self) -> bool {
        self.query.is_none() && self.extensions.is_none() && self.document_id.is_none()
    }

    /// The operation, or `None` when a parameter is not what it should be.
    pub fn into_incoming(self) -> Option<Incoming> {
        let mut request = Request::new(self.query.unwrap_or_default());
        request.operation_name = self.operation_name.filter(|n| !n.is_empty());
        if let Some(raw) = self.variables.filter(|v| !v.is_empty()) {
            let value: serde_json::Value = serde_json::from_str(&raw).ok()?;
            if !value.is_object() && !value.is_null() {
                return None;
            }
            request.variables = Variables::from_json(value);
        }
        if let Some(raw) = self.extensions.filter(|e| !e.is_empty()) {
            let extensions: HashMap<String, async_graphql::Value> =
                serde_json::from_str(&raw).ok()?;
            request.extensions = async_graphql::Extensions(extensions);
        }
        let incoming = Incoming {
            request,
            document_id: self.document_id.filter(|d| !d.is_empty()),
        };
        incoming.names_a_document().then_some(incoming)
    }
}
