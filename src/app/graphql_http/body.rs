//! Reading a POST body within `BODY_LIMIT_BYTES` (counted after
//! decompression), and the 413 for one that is larger.

use axum::{
    body::{Body, Bytes, HttpBody},
    http::{HeaderValue, StatusCode, header},
    response::Response as HttpResponse,
};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::response::Reply;
use crate::{error::AppError, telemetry::metrics};

/// Why a body was not read.
pub enum Unread {
    TooLarge,
    Broken,
}

/// The whole body, unless it is larger than `limit` bytes. A declared
/// `Content-Length` over the limit is refused before anything is read.
pub async fn read(body: Body, limit: usize) -> Result<Bytes, Unread> {
    if body.size_hint().lower() > limit as u64 {
        return Err(Unread::TooLarge);
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => Err(Unread::TooLarge),
        Err(_) => Err(Unread::Broken),
    }
}

/// 413 PAYLOAD_TOO_LARGE. The rest of the body stays unread, so the
/// connection closes after this answer; it closes lingering (`app::linger`),
/// which lets a client still sending the body receive the answer.
pub fn too_large(reply: &Reply, limit: usize) -> HttpResponse {
    metrics::refusal("body");
    let message = format!("the request body is larger than {limit} bytes");
    let mut response = reply.refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        AppError::PayloadTooLarge(message),
    );
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
