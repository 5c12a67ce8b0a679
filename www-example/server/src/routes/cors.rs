//! CORS: any origin may call the API, the `null` origin of sandboxed frames included.

use std::time::Duration;

use axum::extract::Request;
use axum::http::{header, HeaderName, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The header that carries a call's own request id, the same on every retry.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// How long a browser may cache a preflight response. Chromium caps it at 2 hours.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// Builds the CORS layer. It mirrors the request's `Origin`, so every origin is allowed, the
/// literal `null` of sandboxed frames included, and it exposes `Retry-After` and the request id
/// to the calling page.
pub fn layer() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, X_REQUEST_ID])
        .expose_headers([header::RETRY_AFTER, X_REQUEST_ID])
        .max_age(PREFLIGHT_MAX_AGE)
}

/// Turns the 200 of a preflight response into 204 No Content. The CORS layer responds to every
/// `OPTIONS` request itself with an empty 200.
pub async fn preflight_no_content(request: Request, next: Next) -> Response {
    let is_options = request.method() == Method::OPTIONS;
    let mut response = next.run(request).await;
    if is_options && response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    response
}
