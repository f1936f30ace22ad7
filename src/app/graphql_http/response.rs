//! Turning executed operations, and requests refused before execution, into
//! HTTP responses with the binding error details. Every body is serialized
//! from a GraphQL response, and every refusal is an [`AppError`].

use std::collections::BTreeMap;

use async_graphql::{BatchResponse, Response, ServerError, Value};
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response as HttpResponse},
};
use serde::Serialize;
use serde_json::value::RawValue;

use super::{negotiate::ResponseType, sse};
use crate::{
    cache::responses::PublicAnswer,
    db::StatementCount,
    error::{AppError, code},
    graphql::finalize_errors,
};

/// What every response of one request shares.
#[derive(Clone)]
pub struct Reply {
    pub request_id: String,
    pub response_type: ResponseType,
    /// SQL statements the request ran, once it has run.
    pub statements: Option<u64>,
    /// Whether results go out as a graphql-sse event stream (`sse`);
    /// refusals of the request itself are JSON all the same.
    pub event_stream: bool,
    /// Whether the client takes gzip (`Accept-Encoding`).
    pub gzip: bool,
}

/// A public answer's body, for one request.
pub enum PublicBody {
    Json(String),
    /// Gzipped: the compression layer leaves it as it is.
    Gzip(Vec<u8>),
}

/// The start of a public answer's body: all of it but the cost.
fn public_start(data: &RawValue) -> String {
    format!("{{\"data\":{}", data.get())
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
    /// A request refused before any operation ran, with `Retry-After` when
    /// the error says when to try again.
    pub fn refuse(&self, status: StatusCode, error: AppError) -> HttpResponse {
        let mut response = Response::from_errors(vec![error.to_server_error(None)]);
        self.finalize(&mut response);
        let body = Body {
            response: &response,
            ran: false,
        };
        let body = serde_json::to_string(&body).unwrap_or_else(|_| internal_body());
        let mut refused = self.respond(status, body);
        if let Some(seconds) = error.retry_after() {
            refused
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        refused
    }

    /// The request refused as a whole for its client's rate: HTTP 429 with
    /// `Retry-After`.
    pub fn rate_limited(&self, retry_after: u64) -> HttpResponse {
        self.refuse(
            StatusCode::TOO_MANY_REQUESTS,
            AppError::RateLimited { retry_after },
        )
    }

    /// The result of a single operation or of a batch.
    pub fn executed(&self, response: BatchResponse) -> HttpResponse {
        if self.event_stream {
            let bodies = match response {
                BatchResponse::Single(one) => vec![self.to_json(one)],
                BatchResponse::Batch(many) => many.into_iter().map(|r| self.to_json(r)).collect(),
            };
            return sse::answer(bodies, self.statements);
        }
        match response {
            BatchResponse::Single(mut one) => {
                self.finalize(&mut one);
                if let Some((status, retry_after)) = refused_as_a_whole(&one) {
                    let mut response = self.respond(status, to_json(&one));
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
                for one in &mut many {
                    self.finalize(one);
                }
                let body = serde_json::to_string(&many.iter().map(Body::of).collect::<Vec<_>>());
                self.respond(StatusCode::OK, body.unwrap_or_else(|_| internal_body()))
            }
        }
    }

    fn finalize(&self, response: &mut Response) {
        finalize_errors(response, &self.request_id);
    }

    /// The JSON text of one response, its errors finalized.
    pub fn to_json(&self, mut response: Response) -> String {
        self.finalize(&mut response);
        to_json(&response)
    }

    /// GET cannot change anything: 405, allowing POST.
    pub fn only_queries_over_get(&self) -> HttpResponse {
        let mut refused = self.refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            AppError::BadRequest("only queries may be sent with GET; use POST".into()),
        );
        refused
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        refused
    }

    /// The body of a public answer, with this request's `extensions.cost`:
    /// gzipped when the client takes gzip, compressing only the cost (the
    /// answer's part is compressed once, for every request it is served to).
    pub fn public_body(&self, answer: &PublicAnswer, cost: serde_json::Value) -> PublicBody {
        let end = format!(",\"extensions\":{{\"cost\":{cost}}}}}");
        if self.gzip
            && !self.event_stream
            && let Some(body) = answer
                .gzipped(public_start)
                .and_then(|start| start.with_end(end.as_bytes()))
        {
            return PublicBody::Gzip(body);
        }
        PublicBody::Json(public_start(answer.data()) + &end)
    }

    /// A public catalog response, cacheable by browsers and CDNs.
    pub fn public(&self, body: PublicBody, state: Public) -> HttpResponse {
        let (max_age, cache) = match state {
            Public::Hit { max_age } => (max_age, "hit"),
            Public::Miss { max_age } => (max_age, "miss"),
        };
        let (mut response, vary) = match body {
            PublicBody::Json(body) if self.event_stream => {
                return sse::answer(vec![body], self.statements);
            }
            PublicBody::Json(body) => (self.respond(StatusCode::OK, body), "accept, authorization"),
            PublicBody::Gzip(body) => {
                let mut response = self.respond(StatusCode::OK, body);
                response
                    .headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                (response, "accept, authorization, accept-encoding")
            }
        };
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
            headers.insert(header::CACHE_CONTROL, value);
        }
        headers.insert(header::VARY, HeaderValue::from_static(vary));
        headers.insert("x-cache", HeaderValue::from_static(cache));
        response
    }

    fn respond(&self, status: StatusCode, body: impl Into<axum::body::Body>) -> HttpResponse {
        let body: axum::body::Body = body.into();
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
            response.extensions_mut().insert(StatementCount(count));
        }
        response
    }
}

fn has_code(error: &ServerError, wanted: &[&str]) -> bool {
    error
        .extensions
        .as_ref()
        .and_then(|x| x.get("code"))
        .is_some_and(|c| wanted.iter().any(|w| *c == Value::from(*w)))
}

/// A response to a request that did not run: its document could not be
/// parsed or validated, or its variables not coerced. It has no `data`.
fn is_request_error(response: &Response) -> bool {
    response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| {
            has_code(e, &[code::PARSE_FAILED, code::VALIDATION_FAILED])
                || (e.path.is_empty() && has_code(e, &[code::BAD_USER_INPUT]))
        })
}

/// When nothing could be answered because a limiter refused the operation
/// (HTTP 429) or a dependency is unavailable (HTTP 503): the status and the
/// longest `retryAfter`.
fn refused_as_a_whole(response: &Response) -> Option<(StatusCode, u64)> {
    let no_data = match &response.data {
        Value::Null => true,
        Value::Object(fields) => fields.values().all(|v| *v == Value::Null),
        _ => false,
    };
    if !no_data || response.errors.is_empty() {
        return None;
    }
    let status = if response
        .errors
        .iter()
        .all(|e| has_code(e, &[code::RATE_LIMITED]))
    {
        StatusCode::TOO_MANY_REQUESTS
    } else if response
        .errors
        .iter()
        .all(|e| has_code(e, &[code::SERVICE_UNAVAILABLE]))
    {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        return None;
    };
    let longest = response
        .errors
        .iter()
        .filter_map(|e| match e.extensions.as_ref()?.get("retryAfter") {
            Some(Value::Number(n)) => n.as_u64(),
            _ => None,
        })
        .max();
    Some((status, longest.unwrap_or(1).max(1)))
}

/// A response as its JSON is sent: one whose operation did not run (a
/// request error) has no `data`.
struct Body<'a> {
    response: &'a Response,
    ran: bool,
}

impl<'a> Body<'a> {
    fn of(response: &'a Response) -> Self {
        Self {
            response,
            ran: !is_request_error(response),
        }
    }
}

impl Serialize for Body<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct RequestError<'a> {
            errors: &'a [ServerError],
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            extensions: &'a BTreeMap<String, Value>,
        }
        if self.ran {
            self.response.serialize(serializer)
        } else {
            RequestError {
                errors: &self.response.errors,
                extensions: &self.response.extensions,
            }
            .serialize(serializer)
        }
    }
}

/// The JSON text of a response, serialized once.
fn to_json(response: &Response) -> String {
    serde_json::to_string(&Body::of(response)).unwrap_or_else(|_| internal_body())
}

fn internal_body() -> String {
    let error = AppError::Internal(anyhow::anyhow!("a response could not be serialized"));
    let body = serde_json::json!({ "errors": [{ "message": "internal server error", "extensions": { "code": error.code() } }] });
    body.to_string()
}
