//! Conversion between JavaScript values and the core's `Value`, and of errors and results, and
//! the page's URLs that `init` checks `apiUrl` against.

use alloc::string::String;
use alloc::vec::Vec;

use super::io;
use crate::config::Page;
use crate::error::Error;
use crate::value::{
    Number, Value, MAX_VALUES, TOO_MANY_VALUES, UNPAIRED_SURROGATE, UNPAIRED_SURROGATE_KEY,
};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

/// Maximum nesting of objects and arrays read from a call, deeper values are unsupported.
const MAX_DEPTH: usize = 32;

/// A call's arguments as the core reads them.
pub struct Arguments {
    /// The arguments, converted.
    pub values: Vec<Value>,
    /// The members of the plain-object arguments as read: argument index, key and value. A
    /// dropped value is reported from here, because reading it again would run its getter
    /// again.
    pub members: Vec<(usize, String, JsValue)>,
}

impl Arguments {
    /// Returns the value that member `key` of argument `index` had when the call read it, or
    /// `undefined` when it was not read (its getter threw).
    pub fn member(&self, index: usize, key: &str) -> JsValue {
        self.members
            .iter()
            .find(|(argument, name, _)| *argument == index && name == key)
            .map_or(JsValue::UNDEFINED, |(_, _, value)| value.clone())
    }
}

/// Converts a call's arguments, reading each object once so later changes by the page do not
/// change the call. At most [`MAX_VALUES`] values are read, so a huge or sparse array, or one
/// array referenced many times, costs the page no more than that.
pub fn arguments(args: &Array) -> Arguments {
    let mut reader = Reader {
        ancestors: Vec::new(),
        remaining: MAX_VALUES,
        argument: 0,
        members: Vec::new(),
    };
    let mut values = Vec::new();
    for (index, arg) in args.iter().enumerate() {
        reader.argument = index;
        values.push(reader.read(&arg));
    }
    Arguments {
        values,
        members: reader.members,
    }
}

/// The state of reading one call's arguments.
struct Reader {
    /// The objects and arrays that contain the value being read, to detect a cycle.
    ancestors: Vec<JsValue>,
    /// How many more values may be read.
    remaining: u32,
    /// The index of the argument being read.
    argument: usize,
    /// The members of plain-object arguments, as [`Arguments::members`].
    members: Vec<(usize, String, JsValue)>,
}

impl Reader {
    fn read(&mut self, value: &JsValue) -> Value {
        let Some(remaining) = self.remaining.checked_sub(1) else {
            return Value::Unsupported(TOO_MANY_VALUES);
        };
        self.remaining = remaining;

        // One call into JavaScript returns the kind of value, and for an object whether it is
        // an array or a plain object, instead of one call per question.
        let kind = io::kind(value);
        match kind {
            KIND_UNDEFINED => return Value::Undefined,
            KIND_NULL => return Value::Null,
            KIND_FALSE | KIND_TRUE => return Value::Bool(kind == KIND_TRUE),
            KIND_NUMBER => return self::number(value.as_f64().unwrap_or(f64::NAN)),
            KIND_STRING => {
                let text = value.as_string().unwrap_or_default();
                return if is_whole(value, &text) {
                    Value::String(text)
                } else {
                    Value::Unsupported(UNPAIRED_SURROGATE)
                };
            }
            KIND_FUNCTION => return Value::Function,
            KIND_BIGINT => return Value::Unsupported("a BigInt"),
            KIND_SYMBOL => return Value::Unsupported("a symbol"),
            _ => {}
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
        let converted = match kind {
            KIND_ARRAY => self.array_items(value),
            KIND_PLAIN_OBJECT => self.object_entries(value),
            KIND_OTHER_OBJECT => Value::Unsupported(
                "an object that is not a plain object (a Date, Map or class instance)",
            ),
            _ => THROWING_PROXY,
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
                    Ok(item) => {
                        // The argument itself is the only ancestor of its own members.
                        if self.ancestors.len() == 1 {
                            self.members
                                .push((self.argument, text.clone(), item.clone()));
                        }
                        self.read(&item)
                    }
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

// Every step that can run the page's code (a Proxy trap, a getter) is an import marked `catch`
// or catches in js/io.js. An exception that crossed the wasm frames would skip their clean-up
// and leak the wasm stack a little at each call.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn own_keys(value: &JsValue) -> Result<Array, JsValue>;
}

// The kinds of value that `kind` of js/io.js returns.
const KIND_UNDEFINED: u8 = 0;
const KIND_NULL: u8 = 1;
const KIND_FALSE: u8 = 2;
const KIND_TRUE: u8 = 3;
const KIND_NUMBER: u8 = 4;
const KIND_STRING: u8 = 5;
const KIND_FUNCTION: u8 = 6;
const KIND_BIGINT: u8 = 7;
const KIND_SYMBOL: u8 = 8;
const KIND_ARRAY: u8 = 9;
/// An object whose prototype is `null` or an `Object.prototype`, of this realm or another (an
/// iframe's).
const KIND_PLAIN_OBJECT: u8 = 10;
const KIND_OTHER_OBJECT: u8 = 11;

const THROWING_PROXY: Value = Value::Unsupported("an object whose Proxy traps throw");

/// Makes a number `Value` with the text JavaScript gives it.
pub fn number(value: f64) -> Value {
    let text = js_sys::Number::from(value)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default();
    Value::Number(Number { value, text })
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
        super::io::location_part("origin")
    }
}
