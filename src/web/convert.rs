//! Conversion between JavaScript values and the core's `Value`, and of errors and results, and
//! the page's URLs that `init` checks `apiUrl` against.

use alloc::string::String;
use alloc::vec::Vec;

use crate::config::Page;
use crate::error::Error;
use crate::value::{
    Number, Value, MAX_VALUES, TOO_MANY_VALUES, UNPAIRED_SURROGATE, UNPAIRED_SURROGATE_KEY,
};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

/// Maximum nesting of objects and arrays read from a call, deeper values are unsupported.
const MAX_DEPTH: usize = 32;

/// Converts a call's arguments, reading each object once so later changes by the page do not
/// change the call. At most [`MAX_VALUES`] values are read, so a huge or sparse array, or one
/// array referenced many times, costs the page no more than that.
pub fn arguments(args: &Array) -> Vec<Value> {
    let mut reader = Reader {
        ancestors: Vec::new(),
        remaining: MAX_VALUES,
    };
    args.iter().map(|arg| reader.read(&arg)).collect()
}

/// The state of reading one call's arguments.
struct Reader {
    /// The objects and arrays that contain the value being read, to detect a cycle.
    ancestors: Vec<JsValue>,
    /// How many more values may be read.
    remaining: u32,
}

impl Reader {
    fn read(&mut self, value: &JsValue) -> Value {
        let Some(remaining) = self.remaining.checked_sub(1) else {
            return Value::Unsupported(TOO_MANY_VALUES);
        };
        self.remaining = remaining;

        if value.is_undefined() {
            return Value::Undefined;
        }
        if value.is_null() {
            return Value::Null;
        }
        if let Some(flag) = value.as_bool() {
            return Value::Bool(flag);
        }
        if let Some(number) = value.as_f64() {
            return self::number(number);
        }
        if let Some(text) = value.as_string() {
            return if is_whole(value, &text) {
                Value::String(text)
            } else {
                Value::Unsupported(UNPAIRED_SURROGATE)
            };
        }
        if value.is_function() {
            return Value::Function;
        }
        if value.is_bigint() {
            return Value::Unsupported("a BigInt");
        }
        if value.is_symbol() {
            return Value::Unsupported("a symbol");
        }
        if self
            .ancestors
            .iter()
            .any(|ancestor| Object::is(ancestor, value))
        {
            return Value::Unsupported("a cycle");
        }
        if self.ancestors.len() >= MAX_DEPTH {
            return Value::Unsupported("nesting deeper than 32 levels");
        }

        self.ancestors.push(value.clone());
        let converted = match is_array(value) {
            Ok(true) => self.array_items(value),
            Ok(false) => match is_plain_object(value) {
                Ok(true) => self.object_entries(value),
                Ok(false) => Value::Unsupported(
                    "an object that is not a plain object (a Date, Map or class instance)",
                ),
                Err(_) => THROWING_PROXY,
            },
            Err(_) => THROWING_PROXY,
        };
        self.ancestors.pop();
        converted
    }

    /// Reads an array's items, after checking its length against the values left to read,
    /// because a sparse array's `length` can be 2^32 - 1 with no item stored. A `length` that
    /// is not a number reads as 0.
    fn array_items(&mut self, value: &JsValue) -> Value {
        let length = Reflect::get(value, &JsValue::from_str("length"))
            .ok()
            .and_then(|length| length.as_f64())
            .unwrap_or(0.0);
        if length > f64::from(self.remaining) {
            return Value::Unsupported(TOO_MANY_VALUES);
        }
        let items = (0..length as u32)
            .map(|index| match Reflect::get_u32(value, index) {
                Ok(item) => self.read(&item),
                Err(error) => unreadable(&error),
            })
            .collect();
        Value::Array(items)
    }

    /// Reads own enumerable string keys; keys such as `__proto__` stay data.
    fn object_entries(&mut self, value: &JsValue) -> Value {
        let Ok(keys) = own_keys(value) else {
            return THROWING_PROXY;
        };
        if keys.length() > self.remaining {
            return Value::Unsupported(TOO_MANY_VALUES);
        }
        let mut entries = Vec::new();
        for key in keys.iter() {
            let text = key.as_string().unwrap_or_default();
            let item = if is_whole(&key, &text) {
                match Reflect::get(value, &key) {
                    Ok(item) => self.read(&item),
                    Err(error) => unreadable(&error),
                }
            } else {
                Value::Unsupported(UNPAIRED_SURROGATE_KEY)
            };
            entries.push((text, item));
        }
        Value::Object(entries)
    }
}

/// Makes the value of a property or item whose read threw `error`, with the error's `message`,
/// or `error` itself when the page threw a string. Reading `message` can run a getter too, so a
/// throw there leaves the message empty.
fn unreadable(error: &JsValue) -> Value {
    let message = error
        .as_string()
        .or_else(|| get(error, "message").as_string());
    Value::Unreadable(message.unwrap_or_default())
}

/// Returns whether `text`, read from the JavaScript string `value`, is that string unchanged.
/// Reading replaces each unpaired UTF-16 surrogate with U+FFFD, so only a text that contains
/// U+FFFD is compared with the original.
fn is_whole(value: &JsValue, text: &str) -> bool {
    // `chars().any` rather than `contains`, whose search for a multi-byte character brings a
    // substring search of about 2.5 KiB (before wasm-opt) into the wasm.
    !text.chars().any(|c| c == '\u{FFFD}') || JsValue::from_str(text) == *value
}

// Every step that can run the page's code (a Proxy trap, a getter) goes through an import
// marked `catch`: an exception that crossed the wasm frames would skip their clean-up and leak
// the wasm stack a little at each call.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn is_array(value: &JsValue) -> Result<bool, JsValue>;

    #[wasm_bindgen(js_namespace = Object, js_name = getPrototypeOf, catch)]
    fn prototype_of(value: &JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn own_keys(value: &JsValue) -> Result<Array, JsValue>;
}

const THROWING_PROXY: Value = Value::Unsupported("an object whose Proxy traps throw");

/// Makes a number `Value` with the text JavaScript gives it.
pub fn number(value: f64) -> Value {
    let text = js_sys::Number::from(value)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default();
    Value::Number(Number { value, text })
}

/// Returns whether the prototype is `null` or an `Object.prototype`, of this realm or another
/// (an iframe's): the one prototype whose own prototype is `null`.
fn is_plain_object(value: &JsValue) -> Result<bool, JsValue> {
    let prototype = prototype_of(value)?;
    Ok(prototype.is_null() || prototype_of(&prototype)?.is_null())
}

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

/// Sets a property on an object the SDK made itself.
pub fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
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
        get(&get(&js_sys::global(), "location"), "origin")
            .as_string()
            .unwrap_or_default()
    }
}
