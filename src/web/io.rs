//! The functions of js/io.js that the core calls: the send loop, the requests, the position
//! request and the settling of calls, which wait on the browser, and the page's location and
//! random bytes.

use alloc::string::String;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/io.js")]
extern "C" {
    /// Starts delivery after a valid `init`: marks this tab alive and listens to the page's
    /// `online`, `visibilitychange` and `pagehide` events.
    pub fn start(url: &str, authorization: &str, tab: &str, debug: bool);

    /// Calls `coreStart` when the page is next idle, or soon after where the browser has no
    /// `requestIdleCallback`.
    #[wasm_bindgen(js_name = startSoon)]
    pub fn start_soon();

    /// Returns `navigator.language`, or `None` where it is not a string or its getter throws.
    pub fn language() -> Option<String>;

    /// Starts the send loop unless it runs.
    pub fn send();

    /// Calls `coreSave` when the current task ends.
    pub fn later();

    /// Tells the page a call's outcome: `value` is the hgid when `ok`, the error otherwise.
    pub fn settle(call: &JsValue, ok: bool, value: &JsValue);

    /// Returns a part of `location`, such as `"origin"` or `"hostname"`.
    #[wasm_bindgen(js_name = locationPart)]
    pub fn location_part(part: &str) -> String;

    /// Fills `bytes` from `crypto.getRandomValues`. Returns false where the browser has none.
    #[wasm_bindgen(js_name = randomBytes)]
    pub fn random_bytes(bytes: &mut [u8]) -> bool;

    /// Sends a request as the page goes away, without waiting for its response.
    #[wasm_bindgen(js_name = postNow)]
    pub fn post_now(id: &str, body: &str, keepalive: bool);

    /// Asks the browser for the position, which comes back through `coreLocated`. Returns
    /// false when the browser has no Geolocation API or refuses the request.
    #[wasm_bindgen(js_name = askLocation)]
    pub fn ask_location() -> bool;
}
