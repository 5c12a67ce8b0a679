//! HTTP Basic auth with the app id as user name and the app secret as password, on every API
//! path, with failed attempts rate-limited per client address.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::error::ApiError;
use crate::rate_limit::{FailureLimiter, Recorded, BLOCK_DURATION, MAX_FAILURES};

/// The app id and secret that requests must carry.
#[derive(Clone)]
pub struct Credentials {
    /// The app id, sent as the user name.
    pub app_id: String,
    /// The app secret, sent as the password. Never logged.
    pub app_secret: String,
}

/// The state of the auth layer: the credentials, the path prefixes they guard, and the failures
/// counted per address.
pub struct Guard {
    credentials: Credentials,
    protected_prefixes: Vec<&'static str>,
    failures: Mutex<FailureLimiter>,
}

impl Guard {
    /// Makes a guard that requires `credentials` on every path that starts with one of
    /// `protected_prefixes`.
    pub fn new(credentials: Credentials, protected_prefixes: Vec<&'static str>) -> Guard {
        Guard {
            credentials,
            protected_prefixes,
            failures: Mutex::new(FailureLimiter::default()),
        }
    }

    fn protects(&self, path: &str) -> bool {
        self.protected_prefixes
            .iter()
            .any(|prefix| path.starts_with(prefix))
    }
}

/// Rejects a request to a protected path with 401 unless it carries the app's credentials in
/// HTTP Basic auth, and with 429 while its address is blocked for failing too often. Other
/// paths (static files) pass through.
pub async fn require_basic_auth(
    State(guard): State<Arc<Guard>>,
    request: Request,
    next: Next,
) -> Response {
    if !guard.protects(request.uri().path()) {
        return next.run(request).await;
    }
    let address = client_address(&request);
    let now = Instant::now();

    // A blocked address gets 429 even with the right credentials, so it cannot keep guessing.
    let blocked_for = lock(&guard.failures).blocked_for(address, now);
    if let Some(left) = blocked_for {
        return closing(too_many_failures(left.as_secs_f64().ceil() as u64));
    }

    match check(request.headers(), &guard.credentials) {
        Ok(()) => next.run(request).await,
        Err(Failure::Missing(error)) => closing(error.into_response()),
        Err(Failure::Rejected(error)) => {
            let recorded = lock(&guard.failures).record_failure(address, now);
            if recorded == Recorded::Blocked {
                tracing::warn!(
                    %address,
                    failures = MAX_FAILURES,
                    blocked_s = BLOCK_DURATION.as_secs(),
                    "too many failed authentications, so the address is blocked"
                );
            }
            closing(error.into_response())
        }
    }
}

/// Marks a response sent before the request body was read with `Connection: close`. The server
/// may close such a connection at once, and the header tells the client not to reuse it.
fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Returns the address of the connection's peer. Forwarding headers are ignored, because this
/// server runs without a proxy in front.
fn client_address(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

fn lock(limiter: &Mutex<FailureLimiter>) -> std::sync::MutexGuard<'_, FailureLimiter> {
    // The limiter's state stays valid even if a thread panicked while holding the lock.
    limiter.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Builds the 429 response of a blocked address, with `Retry-After` in seconds.
fn too_many_failures(retry_after_s: u64) -> Response {
    let error = ApiError {
        status: StatusCode::TOO_MANY_REQUESTS,
        message: format!(
            "too many failed authentications from this address: retry after {retry_after_s} s \
             with the right app id and secret"
        ),
        field: None,
    };
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
    response
}

/// An authentication that failed: without any credentials, or with invalid or wrong ones.
/// Only the second kind counts towards the rate limit, because it can be a guess.
#[derive(Debug)]
enum Failure {
    Missing(ApiError),
    Rejected(ApiError),
}

#[cfg(test)]
impl Failure {
    fn error(&self) -> &ApiError {
        match self {
            Failure::Missing(error) | Failure::Rejected(error) => error,
        }
    }
}

/// Checks the `Authorization` header against the credentials. Messages never repeat what the
/// header contains.
fn check(headers: &HeaderMap, credentials: &Credentials) -> Result<(), Failure> {
    const EXPECTED: &str = "expected Basic base64(appId:appSecret)";

    let value = headers.get(header::AUTHORIZATION).ok_or_else(|| {
        Failure::Missing(ApiError::unauthorized(&format!(
            "missing Authorization header: {EXPECTED}"
        )))
    })?;
    let invalid = || {
        Failure::Rejected(ApiError::unauthorized(&format!(
            "invalid Authorization header: {EXPECTED}"
        )))
    };

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
        Err(Failure::Rejected(ApiError::unauthorized(
            "invalid app id or app secret",
        )))
    }
}

/// Compares a sent value with the expected one in a time that depends only on the expected
/// length: every expected byte is compared, whatever the sent length, so neither the position
/// of the first difference nor the expected length leaks.
fn constant_time_eq(sent: &[u8], expected: &[u8]) -> bool {
    let mut difference = u8::from(sent.len() != expected.len());
    for (index, &byte) in expected.iter().enumerate() {
        difference |= byte ^ sent.get(index).copied().unwrap_or(!byte);
    }
    std::hint::black_box(difference) == 0
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
        let failure = check(&HeaderMap::new(), &credentials()).unwrap_err();
        assert!(matches!(failure, Failure::Missing(_)));
        assert!(failure
            .error()
            .message
            .starts_with("missing Authorization header"));
    }

    #[test]
    fn rejects_wrong_secret_or_id() {
        for pair in ["app:wrong", "other:s3cret:with-colon", "app:", ":", "app"] {
            let result = check(&headers(&basic(pair)), &credentials());
            assert!(
                matches!(result, Err(Failure::Rejected(_))),
                "{pair} was not rejected as a guess"
            );
        }
    }

    #[test]
    fn rejects_other_schemes_and_bad_base64() {
        for value in ["Bearer abc", "Basic !!!", "Basic", "YXBwOnMzY3JldA=="] {
            let failure = check(&headers(value), &credentials()).unwrap_err();
            assert!(matches!(failure, Failure::Rejected(_)), "{value}");
            assert!(
                failure
                    .error()
                    .message
                    .starts_with("invalid Authorization header"),
                "{value}"
            );
        }
    }

    #[test]
    fn constant_time_eq_compares_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"ab", b"abc"));
        assert!(!constant_time_eq(b"abcd", b"abc"));
        assert!(!constant_time_eq(b"", b"abc"));
        assert!(!constant_time_eq(b"abc", b""));
    }
}
