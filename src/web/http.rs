//! The identify request over `fetch`.

use alloc::string::{String, ToString};

use super::convert;
use crate::error::{Error, ErrorCode};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, Response};

/// Posts an identify body and returns the `hgid` of the answer.
///
/// # Errors
///
/// Returns [`ErrorCode::Network`] when the request fails, [`ErrorCode::Http`] with the status
/// and the server's message for a non-2xx answer, and [`ErrorCode::BadResponse`] for a 2xx
/// answer without an `hgid`.
pub async fn post_identify(
    api_url: &str,
    authorization: &str,
    body: &str,
) -> Result<String, Error> {
    let headers = Headers::new().map_err(network)?;
    headers
        .set("Content-Type", "application/json")
        .map_err(network)?;
    headers
        .set("Authorization", authorization)
        .map_err(network)?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));

    let url = [api_url, "/v1/identify"].concat();
    let global: web_sys::Window = js_sys::global().unchecked_into();
    let answer = JsFuture::from(global.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(network)?;
    let response: Response = answer.unchecked_into();
    let text = match response.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|t| t.as_string()),
        Err(_) => None,
    };
    let json = text
        .and_then(|t| js_sys::JSON::parse(&t).ok())
        .unwrap_or(JsValue::UNDEFINED);

    if !response.ok() {
        let message = convert::get(&json, "message").as_string();
        return Err(Error::http(response.status(), message.as_deref()));
    }
    match convert::get(&json, "hgid").as_string() {
        Some(hgid) if !hgid.is_empty() => Ok(hgid),
        _ => Err(Error::new(
            ErrorCode::BadResponse,
            "the server answered without an hgid; check that apiUrl points at the Identify API"
                .to_string(),
        )),
    }
}

fn network(cause: JsValue) -> Error {
    let detail = js_sys::Error::from(cause).message();
    let mut message = String::from(
        "the request failed before the server answered (offline, DNS, CORS or a blocked request)",
    );
    let detail = String::from(detail);
    if !detail.is_empty() {
        message.push_str(": ");
        message.push_str(&detail);
    }
    Error::new(ErrorCode::Network, message)
}
