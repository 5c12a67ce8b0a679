//! HTTP Basic auth with the app id as user name and the app secret as password.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::error::ApiError;

/// The app id and secret that requests must carry.
#[derive(Clone)]
pub struct Credentials {
    /// The app id, sent as the user name.
    pub app_id: String,
    /// The app secret, sent as the password. Never logged.
    pub app_secret: String,
}

/// Rejects the request with 401 unless it carries the app's credentials in HTTP Basic auth.
pub async fn require_basic_auth(
    State(credentials): State<Arc<Credentials>>,
    request: Request,
    next: Next,
) -> Response {
    match check(request.headers(), &credentials) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

/// Checks the `Authorization` header against the credentials. Messages never repeat what the
/// header holds.
fn check(headers: &HeaderMap, credentials: &Credentials) -> Result<(), ApiError> {
    const EXPECTED: &str = "expected Basic base64(appId:appSecret)";

    let value = headers.get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthorized(&format!("missing Authorization header: {EXPECTED}"))
    })?;
    let invalid = || ApiError::unauthorized(&format!("invalid Authorization header: {EXPECTED}"));

    let text = value.to_str().map_err(|_| invalid())?;
    let (scheme, encoded) = text.trim().split_once(' ').ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(invalid());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| invalid())?;
    let colon = decoded
        .iter()
        .position(|&b| b == b':')
        .ok_or_else(invalid)?;
    let (app_id, app_secret) = (&decoded[..colon], &decoded[colon + 1..]);

    // Both comparisons always run, so the timing does not tell which part was wrong.
    let id_matches = constant_time_eq(app_id, credentials.app_id.as_bytes());
    let secret_matches = constant_time_eq(app_secret, credentials.app_secret.as_bytes());
    if id_matches & secret_matches {
        Ok(())
    } else {
        Err(ApiError::unauthorized("invalid app id or app secret"))
    }
}

/// Compares two byte strings in a time that depends on their lengths only.
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    if left.len() != right.len() {
        return false;
    }
    left.iter()
        .zip(right)
        .fold(0u8, |difference, (a, b)| difference | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn credentials() -> Credentials {
        Credentials {
            app_id: "app".into(),
            app_secret: "s3cret:with-colon".into(),
        }
    }

    fn headers(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(authorization).unwrap(),
        );
        headers
    }

    fn basic(user_and_password: &str) -> String {
        format!("Basic {}", STANDARD.encode(user_and_password))
    }

    #[test]
    fn accepts_matching_credentials() {
        let result = check(&headers(&basic("app:s3cret:with-colon")), &credentials());
        assert!(result.is_ok());
    }

    #[test]
    fn accepts_lower_case_scheme() {
        let value = basic("app:s3cret:with-colon").replacen("Basic", "basic", 1);
        assert!(check(&headers(&value), &credentials()).is_ok());
    }

    #[test]
    fn rejects_missing_header() {
        let error = check(&HeaderMap::new(), &credentials()).unwrap_err();
        assert!(error.message.starts_with("missing Authorization header"));
    }

    #[test]
    fn rejects_wrong_secret_or_id() {
        for pair in ["app:wrong", "other:s3cret:with-colon", "app:", ":", "app"] {
            let result = check(&headers(&basic(pair)), &credentials());
            assert!(result.is_err(), "{pair} was accepted");
        }
    }

    #[test]
    fn rejects_other_schemes_and_bad_base64() {
        for value in ["Bearer abc", "Basic !!!", "Basic", "YXBwOnMzY3JldA=="] {
            let error = check(&headers(value), &credentials()).unwrap_err();
            assert!(
                error.message.starts_with("invalid Authorization header"),
                "{value}"
            );
        }
    }

    #[test]
    fn constant_time_eq_compares_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
