//! The binding error details of every response: a code on every error (an
//! error raised before execution without one failed validation; one raised
//! while resolving without one is unexpected, so it is logged and masked) and
//! the request id.

use async_graphql::Response;

use crate::error::code;

/// Gives every error of `response` its code and the request id.
pub fn finalize_errors(response: &mut Response, request_id: &str) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            if error.path.is_empty() {
                extensions.set("code", code::VALIDATION_FAILED);
            } else {
                tracing::error!(message = %error.message, path = ?error.path, "unexpected error");
                error.message = "internal server error".to_owned();
                extensions.set("code", code::INTERNAL);
            }
        }
        extensions.set("requestId", request_id);
    }
}
