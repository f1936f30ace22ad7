//! Turning executed operations, and requests refused before execution, into
//! HTTP responses with the binding error details.

use async_graphql::{BatchResponse, Response, Value};
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response as HttpResponse},
};
use serde_json::json;

use super::negotiate::ResponseType;
use crate::{error::code, graphql::finalize_errors};

/// What every response of one request shares.
pub struct Reply {
    pub request_id: String,
    pub response_type: ResponseType,
    /// SQL statements the request ran, when they are to be exposed.
    pub statements: Option<u64>,
}

/// A public response's cache state, for `Cache-Control` and `x-cache`.
#[derive(Clone, Copy, Debug)]
pub enum Public {
    /// Answered from the response cache.
    Hit { max_age: u64 },
    /// Computed now, and cached.
    Miss { max_age: u64 },
}

impl Reply {
    /// A request refused before any operation ran.
    pub fn refuse(&self, status: StatusCode, code: &str, message: &str) -> HttpResponse {
        let body = json!({
            "errors": [{
                "message": message,
                "extensions": { "code": code, "requestId": self.request_id },
            }]
        });
        self.json(status, &body)
    }

    /// The result of a single operation or of a batch.
    pub fn executed(&self, response: BatchResponse) -> HttpResponse {
        match response {
            BatchResponse::Single(mut one) => {
                self.finalize(&mut one);
                if let Some(retry_after) = refused_by_limiter(&one) {
                    let mut response = self.respond(StatusCode::TOO_MANY_REQUESTS, to_json(&one));
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                    return response;
                }
                let status = if self.response_type == ResponseType::GraphqlResponseJson
                    && is_request_error(&one)
                {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::OK
                };
                self.respond(status, to_json(&one))
            }
            BatchResponse::Batch(mut many) => {
                let body: Vec<String> = many
                    .iter_mut()
                    .map(|one| {
                        self.finalize(one);
                        to_json(one)
                    })
                    .collect();
                self.respond(StatusCode::OK, format!("[{}]", body.join(",")))
            }
        }
    }

    fn finalize(&self, response: &mut Response) {
        finalize_errors(response, &self.request_id);
    }

    /// GET cannot change anything: 405, allowing POST.
    pub fn only_queries_over_get(&self) -> HttpResponse {
        let mut refused = self.refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            code::BAD_REQUEST,
            "only queries may be sent with GET; use POST",
        );
        refused
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        refused
    }

    /// The body of a successful public response, for the response cache.
    pub fn public_body(&self, response: &Response) -> String {
        to_json(response)
    }

    /// A public catalog response, cacheable by browsers and CDNs.
    pub fn public(&self, body: String, state: Public) -> HttpResponse {
        let (max_age, cache) = match state {
            Public::Hit { max_age } => (max_age, "hit"),
            Public::Miss { max_age } => (max_age, "miss"),
        };
        let mut response = self.respond(StatusCode::OK, body);
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
            headers.insert(header::CACHE_CONTROL, value);
        }
        headers.insert(
            header::VARY,
            HeaderValue::from_static("accept, authorization"),
        );
        headers.insert("x-cache", HeaderValue::from_static(cache));
        response
    }

    fn json(&self, status: StatusCode, body: &serde_json::Value) -> HttpResponse {
        self.respond(status, body.to_string())
    }

    fn respond(&self, status: StatusCode, body: String) -> HttpResponse {
        let mut response = (
            status,
            [
                (header::CONTENT_TYPE, self.response_type.content_type()),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response();
        if let Some(count) = self.statements {
            response
                .headers_mut()
                .insert("x-sql-statements", HeaderValue::from(count));
        }
        response
    }
}

/// A response to a document that could not be parsed or validated: no
/// operation ran, so it has no `data`.
fn is_request_error(response: &Response) -> bool {
    response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .is_some_and(|c| {
                    *c == Value::from(code::PARSE_FAILED)
                        || *c == Value::from(code::VALIDATION_FAILED)
                })
        })
}

/// When a limiter refused the whole operation (no data, only RATE_LIMITED
/// errors), the longest `retryAfter`: the response is then HTTP 429.
fn refused_by_limiter(response: &Response) -> Option<u64> {
    if response.data != Value::Null || response.errors.is_empty() {
        return None;
    }
    let mut longest = 0;
    for error in &response.errors {
        let extensions = error.extensions.as_ref()?;
        if extensions.get("code") != Some(&Value::from(code::RATE_LIMITED)) {
            return None;
        }
        if let Some(Value::Number(n)) = extensions.get("retryAfter") {
            longest = longest.max(n.as_u64().unwrap_or(1));
        }
    }
    Some(longest.max(1))
}

/// The JSON text of a response, serialized once; a request error has no `data`.
fn to_json(response: &Response) -> String {
    #[derive(serde::Serialize)]
    struct RequestError<'a> {
        errors: &'a [async_graphql::ServerError],
        #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        extensions: &'a std::collections::BTreeMap<String, Value>,
    }
    let text = if is_request_error(response) {
        serde_json::to_string(&RequestError {
            errors: &response.errors,
            extensions: &response.extensions,
        })
    } else {
        serde_json::to_string(response)
    };
    text.unwrap_or_else(|_| r#"{"errors":[{"message":"internal server error"}]}"#.to_owned())
}
