//! The outcome of an identify request. js/io.js sends the request with `fetch` and
//! hands over its status and body.

use crate::error::{Error, ErrorCode};
use crate::fields;
use alloc::string::{String, ToString};

/// Largest body sent with `keepalive`, in bytes: browsers allow 64 KiB for all keepalive
/// requests in flight, and the headers count too.
pub const MAX_KEEPALIVE_BODY: usize = 60 * 1024;

/// The request failed before any response; the text is the browser's message.
const NETWORK: f64 = 0.0;
/// No response, or no body, within the time a request may take.
const TIMED_OUT: f64 = -1.0;
/// The page's `fetch` resolved with something other than a Response.
const NOT_A_RESPONSE: f64 = -2.0;

/// A failed request: the error and, for 429 and 503, the server's `Retry-After` text.
pub struct Failure {
    pub error: Error,
    pub retry_after: Option<String>,
}

/// Reads a response: `status` is the HTTP status or one of [`NETWORK`], [`TIMED_OUT`] and
/// [`NOT_A_RESPONSE`]; `text` is the hgid of a 2xx body, the `message` of another body, or the
/// browser's message of a network failure.
///
/// # Errors
///
/// Returns [`ErrorCode::Network`] when the request failed, [`ErrorCode::Http`] with the status
/// and the server's message for a non-2xx response, and [`ErrorCode::BadResponse`] for a 2xx
/// response without an `hgid`, or with one that the field rules would not keep unchanged.
pub fn outcome(
    status: f64,
    text: Option<String>,
    retry_after: Option<String>,
) -> Result<String, Failure> {
    let fail = |code, message: &str| Failure {
        error: Error::new(code, message.to_string()),
        retry_after: None,
    };
    if status == NETWORK {
        let mut message = String::from(
            "the request failed before the server responded (offline, DNS, CORS or a blocked request)",
        );
        if let Some(detail) = text.filter(|detail| !detail.is_empty()) {
            message.push_str(": ");
            message.push_str(&detail);
        }
        return Err(fail(ErrorCode::Network, &message));
    }
    if status == TIMED_OUT {
        return Err(fail(
            ErrorCode::Network,
            "the server did not respond within 15 s",
        ));
    }
    if status == NOT_A_RESPONSE {
        return Err(fail(
            ErrorCode::Network,
            "fetch returned something other than a Response",
        ));
    }
    if !(200.0..300.0).contains(&status) {
        return Err(Failure {
            error: Error::http(status as u16, text.as_deref()),
            retry_after,
        });
    }
    match text {
        // An hgid that the SDK could not send back, such as blank text, would replace the
        // visitor's valid one, so it fails the call instead.
        Some(hgid) if fields::valid_hgid(&hgid) => Ok(hgid),
        Some(hgid) if !hgid.is_empty() => Err(fail(
            ErrorCode::BadResponse,
            "the server responded with an invalid hgid, such as blank text; check that apiUrl \
             points at the Identify API",
        )),
        _ => Err(fail(
            ErrorCode::BadResponse,
            "the server responded without an hgid; check that apiUrl points at the Identify API",
        )),
    }
}
