//! CORS: which origins may call the API from a browser. Every origin is allowed by default, the
//! `null` origin of sandboxed frames included, and `--allow-origin` narrows that to a list.
//!
//! This layer responds to a preflight itself, before auth, with only the methods and headers
//! that the SDK uses. A request from an origin that is not allowed still reaches the routes,
//! because only the browser enforces CORS, but its response carries no CORS header, so the page
//! cannot read it. Such a page cannot send the `Authorization` header without a preflight, which
//! fails.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The header that carries a call's own request id, the same on every retry.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The methods of the API routes.
const ALLOW_METHODS: &str = "GET, POST";

/// The request headers that the SDK sends besides the CORS-safelisted ones.
const ALLOW_HEADERS: &str = "authorization, content-type, x-request-id";

/// The response headers a page may read besides the CORS-safelisted ones: the retry delay and
/// the echoed request id.
const EXPOSE_HEADERS: &str = "retry-after, x-request-id";

/// How long a browser may cache a preflight response. Chromium caps it at 2 hours.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The preflight header of Chromium's Private Network Access, sent when a public page calls a
/// loopback or private address.
const REQUEST_PRIVATE_NETWORK: HeaderName =
    HeaderName::from_static("access-control-request-private-network");
const ALLOW_PRIVATE_NETWORK: HeaderName =
    HeaderName::from_static("access-control-allow-private-network");

/// The origins allowed to call the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Every origin, `null` included.
    Any,
    /// Only these origins, in their serialised form (`http://localhost:3000` or `null`).
    List(Vec<String>),
}

impl AllowedOrigins {
    /// Builds the policy from the `--allow-origin` values: any origin when none is given or
    /// when one is `*`.
    pub fn from_values(values: &[String]) -> AllowedOrigins {
        if values.is_empty() || values.iter().any(|value| value == "*") {
            AllowedOrigins::Any
        } else {
            AllowedOrigins::List(values.to_vec())
        }
    }

    fn allows(&self, origin: &HeaderValue) -> bool {
        match self {
            AllowedOrigins::Any => true,
            AllowedOrigins::List(origins) => {
                let Ok(origin) = origin.to_str() else {
                    return false;
                };
                origins
                    .iter()
                    .any(|allowed| allowed.eq_ignore_ascii_case(origin))
            }
        }
    }
}

/// Checks one `--allow-origin` value: `*`, `null`, or `scheme://host[:port]` with no path.
///
/// # Errors
///
/// Returns a message that names the value and shows the expected form.
pub fn parse_origin(value: &str) -> Result<String, String> {
    let value = value.trim();
    let invalid = || {
        format!(
            "invalid origin {value:?}: expected scheme://host[:port] with no path, such as \
             http://localhost:3000, or null, or *"
        )
    };
    if value == "*" || value == "null" {
        return Ok(value.to_string());
    }
    let (scheme, rest) = value.split_once("://").ok_or_else(invalid)?;
    let scheme_ok = !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    let host_ok = !rest.is_empty()
        && !rest.contains(['/', '?', '#', '@'])
        && rest.bytes().all(|b| b.is_ascii_graphic());
    if scheme_ok && host_ok {
        Ok(value.to_string())
    } else {
        Err(invalid())
    }
}

/// Responds to CORS preflights and adds the CORS headers to the responses of allowed origins.
pub async fn handle(
    State(origins): State<Arc<AllowedOrigins>>,
    request: Request,
    next: Next,
) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    if let Some(origin) = &origin {
        if is_preflight(&request) {
            return preflight(&origins, origin, request.headers());
        }
    }

    // The CORS headers depend on the Origin header, so a cache must key on it.
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = origin.filter(|origin| origins.allows(origin)) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }
    response
}

/// Returns whether a request is a CORS preflight: `OPTIONS` with an
/// `Access-Control-Request-Method` header.
/// Any other `OPTIONS` request goes to the routes like every request.
fn is_preflight(request: &Request) -> bool {
    request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// Responds to a preflight: 204 with the allowed methods and headers for an allowed origin, or 403
/// that names the option to set.
fn preflight(origins: &AllowedOrigins, origin: &HeaderValue, request: &HeaderMap) -> Response {
    if !origins.allows(origin) {
        let escaped = String::from_utf8_lossy(origin.as_bytes())
            .escape_debug()
            .to_string();
        let error = ApiError {
            status: StatusCode::FORBIDDEN,
            message: format!(
                "origin \"{escaped}\" is not allowed: start the server with --allow-origin \
                 {escaped}"
            ),
            field: None,
        };
        let mut response = error.into_response();
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("origin"));
        return response;
    }

    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOW_METHODS),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from(PREFLIGHT_MAX_AGE.as_secs()),
    );
    if request
        .get(REQUEST_PRIVATE_NETWORK)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"true"))
    {
        headers.insert(ALLOW_PRIVATE_NETWORK, HeaderValue::from_static("true"));
    }
    headers.insert(
        header::VARY,
        HeaderValue::from_static(
            "origin, access-control-request-method, access-control-request-headers",
        ),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_origin_accepts_origins() {
        for value in ["*", "null", "http://localhost:3000", "https://example.test"] {
            assert_eq!(parse_origin(value).as_deref(), Ok(value));
        }
    }

    #[test]
    fn parse_origin_rejects_urls() {
        for value in [
            "",
            "localhost:3000",
            "http://",
            "http://example.test/",
            "http://example.test/page",
            "http://user@example.test",
            "http://example.test?x",
            "http ://example.test",
        ] {
            let error = parse_origin(value).unwrap_err();
            assert!(error.starts_with("invalid origin"), "{value}: {error}");
        }
    }

    #[test]
    fn list_matches_exactly() {
        let origins = AllowedOrigins::from_values(&["http://a.test".into(), "null".into()]);
        assert!(origins.allows(&HeaderValue::from_static("http://a.test")));
        assert!(origins.allows(&HeaderValue::from_static("HTTP://A.TEST")));
        assert!(origins.allows(&HeaderValue::from_static("null")));
        assert!(!origins.allows(&HeaderValue::from_static("http://a.test:8080")));
        assert!(!origins.allows(&HeaderValue::from_static("http://b.test")));
    }

    #[test]
    fn star_or_nothing_allows_any() {
        assert_eq!(AllowedOrigins::from_values(&[]), AllowedOrigins::Any);
        let values = ["http://a.test".to_string(), "*".to_string()];
        assert_eq!(AllowedOrigins::from_values(&values), AllowedOrigins::Any);
    }
}
