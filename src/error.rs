//! The one error type of the SDK, with a stable code for every kind of failure.

use alloc::string::String;

/// The kind of failure, sent to JavaScript as a stable string (`Error.code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// A call had the wrong shape (an attributes argument that is not an object, an invalid
    /// `externalId`); nothing was sent.
    InvalidArgument,
    /// `init` was given settings it cannot use (a missing `appId`, a bad `apiUrl`).
    InvalidConfig,
    /// The request did not reach the server (offline, DNS, CORS, connection reset).
    Network,
    /// The server answered with a status other than 2xx.
    Http,
    /// The server answered 2xx with a body that holds no `hgid`.
    BadResponse,
    /// The queue of undelivered calls was full, so this older call was dropped.
    QueueFull,
}

impl ErrorCode {
    /// Returns the code's stable text, as JavaScript sees it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::InvalidConfig => "INVALID_CONFIG",
            ErrorCode::Network => "NETWORK_ERROR",
            ErrorCode::Http => "HTTP_ERROR",
            ErrorCode::BadResponse => "BAD_RESPONSE",
            ErrorCode::QueueFull => "QUEUE_FULL",
        }
    }
}

/// A failed call: its code, a message that names the value and the fix, the argument or field
/// at fault, and the HTTP status when the server answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    /// The kind of failure.
    pub code: ErrorCode,
    /// A readable message, starting in lower case.
    pub message: String,
    /// The argument or field at fault (`"externalId"`, `"userAttributes"`), if any.
    pub field: Option<&'static str>,
    /// The HTTP status of the server's answer, for [`ErrorCode::Http`].
    pub status: Option<u16>,
}

impl Error {
    /// Makes an error about one argument or setting, whose message is the given parts joined.
    pub fn invalid(code: ErrorCode, field: &'static str, parts: &[&str]) -> Error {
        Error {
            code,
            message: parts.concat(),
            field: Some(field),
            status: None,
        }
    }

    /// Makes an error without a field.
    pub fn new(code: ErrorCode, message: String) -> Error {
        Error {
            code,
            message,
            field: None,
            status: None,
        }
    }

    /// Makes the error for a non-2xx answer, with the server's own message when it gave one.
    pub fn http(status: u16, server_message: Option<&str>) -> Error {
        let mut message = String::from("the server answered HTTP ");
        push_u32(&mut message, u32::from(status));
        if let Some(text) = server_message.filter(|t| !t.is_empty()) {
            message.push_str(": ");
            message.push_str(text);
        }
        Error {
            code: ErrorCode::Http,
            message,
            field: None,
            status: Some(status),
        }
    }

    /// Returns whether the call may succeed if sent again later (network failure, 408, 429, 5xx).
    pub fn is_retryable(&self) -> bool {
        match self.code {
            ErrorCode::Network => true,
            ErrorCode::Http => matches!(self.status, Some(408 | 429 | 500..=599)),
            _ => false,
        }
    }
}

/// Appends the decimal digits of `n`, without the formatting machinery that `format!` brings
/// into the wasm build.
pub fn push_u32(out: &mut String, n: u32) {
    push_u64(out, u64::from(n));
}

/// Appends the decimal digits of `n`, as [`push_u32`] does. It recurses once per digit (at most
/// 20 deep) and indexes nothing, so it has no bounds check that could panic.
pub fn push_u64(out: &mut String, n: u64) {
    if n >= 10 {
        push_u64(out, n / 10);
    }
    out.push(char::from(b'0' + (n % 10) as u8));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_u32_writes_digits() {
        for (n, text) in [(0, "0"), (7, "7"), (404, "404"), (u32::MAX, "4294967295")] {
            let mut out = String::new();
            push_u32(&mut out, n);
            assert_eq!(out, text);
        }
    }

    #[test]
    fn push_u64_writes_every_digit() {
        for (n, text) in [(10, "10"), (u64::MAX, "18446744073709551615")] {
            let mut out = String::new();
            push_u64(&mut out, n);
            assert_eq!(out, text);
        }
    }

    #[test]
    fn http_error_names_status_and_message() {
        let error = Error::http(401, Some("invalid credentials"));
        assert_eq!(
            error.message,
            "the server answered HTTP 401: invalid credentials"
        );
        assert_eq!(error.status, Some(401));
        assert!(!error.is_retryable());
        assert!(Error::http(503, None).is_retryable());
        assert!(Error::http(429, None).is_retryable());
    }
}
