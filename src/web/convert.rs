//! The conversion of errors to JavaScript, and the page's URLs that `init` checks `apiUrl`
//! against.

use alloc::string::String;

use crate::config::Page;
use crate::error::Error;
use js_sys::Reflect;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(code: &str, message: &str, field: Option<&str>, status: Option<u16>) -> JsValue;
}

/// Makes the JavaScript error of a failed call: an instance of the `HerogiError` subclass of its
/// code, with `code`, `message`, `field` and `status`.
pub fn error_to_js(error: &Error) -> JsValue {
    make_error(
        error.code.as_str(),
        &error.message,
        error.field,
        error.status,
    )
}

/// Reads a property, `undefined` when reading throws.
pub fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = URL)]
    type Url;

    #[wasm_bindgen(constructor, js_class = "URL", catch)]
    fn new(url: &str, base: &str) -> Result<Url, JsValue>;
}

/// The page the SDK runs in: its base URL as the shim read it, and `location.origin`.
pub struct BrowserPage {
    /// The document's base URL when the page made the call, which the shim reads then: a call
    /// made while the core loads runs later, when a `<base>` element may have changed.
    pub base: String,
}

impl Page for BrowserPage {
    fn resolve(&self, url: &str) -> Option<String> {
        // `fetch` resolves a relative URL against the document's base URL, as this does.
        let resolved = Url::new(url, &self.base).ok()?;
        get(&resolved, "href").as_string()
    }

    fn origin(&self) -> String {
        super::io::location_part("origin")
    }
}
