//! The identify request over `fetch`.

use super::convert;
use crate::error::{Error, ErrorCode};
use alloc::string::{String, ToString};
use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, Response};

#[wasm_bindgen]
extern "C" {
    /// The page's `fetch`, looked up at each call; a wrapper that throws is caught.
    #[wasm_bindgen(catch, js_name = fetch)]
    fn page_fetch(url: &str, init: &RequestInit) -> Result<Promise, JsValue>;

    /// `AbortSignal.timeout(ms)`, which throws where the browser lacks it.
    #[wasm_bindgen(catch, js_namespace = AbortSignal, js_name = timeout)]
    fn abort_after(ms: f64) -> Result<JsValue, JsValue>;
}

/// How long a request may take, headers and body, before it counts as a network failure and
/// is sent again later with the same request id.
pub const TIMEOUT_MS: f64 = 15_000.0;

/// Largest body sent with `keepalive`, in bytes: browsers allow 64 KiB for all keepalive
/// requests in flight, and the headers count too.
pub const MAX_KEEPALIVE_BODY: usize = 60 * 1024;

/// A failed request: the error and, for 429 and 503, the server's `Retry-After` text.
pub struct Failure {
    pub error: Error,
    pub retry_after: Option<String>,
}

/// One identify request.
pub struct Post<'a> {
    pub api_url: &'a str,
    pub authorization: &'a str,
    pub request_id: &'a str,
    pub body: &'a str,
}

impl Post<'_> {
    /// Starts the request. Bodies up to [`MAX_KEEPALIVE_BODY`] go with `keepalive`, so the
    /// request outlives the page that sent it.
    ///
    /// # Errors
    ///
    /// Returns the thrown value when `fetch` itself throws.
    pub fn start(&self) -> Result<js_sys::Promise, JsValue> {
        let headers = Headers::new()?;
        headers.set("Content-Type", "application/json")?;
        headers.set("Authorization", self.authorization)?;
        headers.set("X-Request-Id", self.request_id)?;
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&JsValue::from_str(self.body));
        // The SDK sends no cookies, and without credentials a 401 never makes the browser ask
        // the visitor for a password.
        convert::set(&init, "credentials", &JsValue::from_str("omit"));
        let keepalive = self.body.len() <= MAX_KEEPALIVE_BODY;
        convert::set(&init, "keepalive", &JsValue::from_bool(keepalive));
        if let Ok(signal) = abort_after(TIMEOUT_MS) {
            convert::set(&init, "signal", &signal);
        }
        page_fetch(&[self.api_url, "/v1/identify"].concat(), &init)
    }

    /// Sends the request and returns the `hgid` of the response.
    ///
    /// # Errors
    ///
    /// Returns [`ErrorCode::Network`] when the request fails, [`ErrorCode::Http`] with the
    /// status and the server's message for a non-2xx response, and [`ErrorCode::BadResponse`] for
    /// a 2xx response without an `hgid`.
    pub async fn send(&self) -> Result<String, Failure> {
        let fail = |error| Failure {
            error,
            retry_after: None,
        };
        let started = self.start().map_err(|cause| fail(network(cause)))?;
        // The deadline applies even where the browser cannot abort the request.
        let deadline = Promise::new(&mut |resolve, _| {
            let global: web_sys::Window = js_sys::global().unchecked_into();
            let _ = global
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, TIMEOUT_MS as i32);
        });
        let timed_out = || {
            fail(Error::new(
                ErrorCode::Network,
                "the server did not respond within 15 s".to_string(),
            ))
        };
        let answer = JsFuture::from(Promise::race(&Array::of2(&started, &deadline)))
            .await
            .map_err(|cause| fail(network(cause)))?;
        // The deadline resolves with undefined. A response is not checked with instanceof,
        // because a page may replace `window.Response` after the SDK has started.
        if answer.is_undefined() {
            return Err(timed_out());
        }
        if convert::get(&answer, "status").as_f64().is_none() {
            return Err(fail(Error::new(
                ErrorCode::Network,
                "fetch returned something other than a Response".to_string(),
            )));
        }
        let response: Response = answer.unchecked_into();
        let text = match response.text() {
            Ok(promise) => {
                match JsFuture::from(Promise::race(&Array::of2(&promise, &deadline))).await {
                    Ok(text) if text.is_undefined() => return Err(timed_out()),
                    Ok(text) => text.as_string(),
                    Err(cause) => return Err(fail(network(cause))),
                }
            }
            Err(_) => None,
        };
        let json = text
            .and_then(|t| js_sys::JSON::parse(&t).ok())
            .unwrap_or(JsValue::UNDEFINED);

        if !response.ok() {
            let message = convert::get(&json, "message").as_string();
            let retry_after = response.headers().get("Retry-After").ok().flatten();
            return Err(Failure {
                error: Error::http(response.status(), message.as_deref()),
                retry_after,
            });
        }
        match convert::get(&json, "hgid").as_string() {
            Some(hgid) if !hgid.is_empty() => Ok(hgid),
            _ => Err(fail(Error::new(
                ErrorCode::BadResponse,
                "the server responded without an hgid; check that apiUrl points at the Identify API"
                    .to_string(),
            ))),
        }
    }
}

fn network(cause: JsValue) -> Error {
    let detail = convert::get(&cause, "message")
        .as_string()
        .unwrap_or_default();
    let mut message = String::from(
        "the request failed before the server responded (offline, DNS, CORS or a blocked request)",
    );
    if !detail.is_empty() {
        message.push_str(": ");
        message.push_str(&detail);
    }
    Error::new(ErrorCode::Network, message)
}
