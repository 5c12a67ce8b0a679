//! Limits on request bodies: their size, and how long a client may pause while sending one.

use std::time::Duration;

use axum::extract::rejection::BytesRejection;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::timeout::TimeoutError;

use crate::error::ApiError;

/// Maximum size of a request body, in bytes: the SDK's largest identify body fits under it, and
/// a usual one is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = herogi::payload::MAX_BODY_BYTES;

/// How long a client may pause between two parts of a body before the request fails with 408.
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Rejects with 413 a request whose `Content-Length` is over [`MAX_BODY_BYTES`], before a byte
/// of its body is read, so a client cannot hold a connection by announcing a huge body.
pub async fn reject_declared_oversize(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    match declared {
        Some(length) if length > MAX_BODY_BYTES as u64 => too_large().into_response(),
        _ => next.run(request).await,
    }
}

/// Turns a failure to read the body into the API's error: 413 over the size limit, 408 when
/// the client paused too long, and 400 otherwise.
pub fn body_error(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large();
    }
    if caused_by_timeout(&rejection) {
        return ApiError {
            status: StatusCode::REQUEST_TIMEOUT,
            message: format!(
                "timed out reading the body: the client sent nothing for {} s",
                BODY_IDLE_TIMEOUT.as_secs()
            ),
            field: None,
        };
    }
    ApiError::bad_request(format!("failed to read the body: {rejection}"))
}

fn too_large() -> ApiError {
    ApiError {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        message: format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        field: None,
    }
}

/// Returns whether the body timeout is somewhere in the error's chain of causes.
fn caused_by_timeout(rejection: &BytesRejection) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(error) = cause {
        if error.is::<TimeoutError>() {
            return true;
        }
        cause = error.source();
    }
    false
}
