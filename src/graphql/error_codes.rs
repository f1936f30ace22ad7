//! The binding error details of every response: a code on every error (an
//! error raised before execution without one failed validation; one raised
//! while resolving without one is unexpected, so it is logged and masked) and
//! the request id.

use async_graphql::Response;

use crate::{error::code, telemetry::metrics};

/// Gives every error of `response` its code and the request id, and counts
/// it by code.
pub fn finalize_errors(response: &mut Response, request_id: &str) {
    for error in &mut response.errors {
        let code = code::of(error);
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            if code == code::INTERNAL {
                tracing::error!(message = %error.message, path = ?error.path, "unexpected error");
                error.message = "internal server error".to_owned();
            }
            extensions.set("code", code);
        }
        extensions.set("requestId", request_id);
        metrics::error(code);
    }
}
