//! A JavaScript value as the core sees it, so argument and field rules need no browser.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// One JavaScript value, converted from a call's arguments by the browser glue.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `undefined`, or an argument that was not given.
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number, with the text JavaScript's `String(n)` gives it.
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// A plain object (prototype `Object.prototype` or `null`): own enumerable keys in order.
    Object(Vec<(String, Value)>),
    /// A function; the glue keeps the function itself.
    Function,
    /// A value that JSON cannot hold, named for messages: `"a BigInt"`, `"a cycle"`, `"a Date"`.
    Unsupported(&'static str),
    /// An object property or array item whose read threw, as a getter or a Proxy `get` trap can:
    /// the thrown error's `message`, or the thrown string, or empty when it had neither.
    Unreadable(String),
}

/// The maximum number of values that js/read.js reads from one call's arguments: each
/// argument, array item and object entry, nested ones included. A `customAttributes` object
/// within `MAX_CUSTOM_ATTRIBUTES_BYTES` (96 KiB) of JSON contains at most 49152 values, since
/// each takes at least a character and a comma, so the bound leaves room for the other arguments.
pub const MAX_VALUES: u32 = 65_536;

/// The kind of an array or object that contains more values than [`MAX_VALUES`] leaves room for.
pub const TOO_MANY_VALUES: &str = "more values than the 65536 that one call may contain";

/// The kind of a string with an unpaired UTF-16 surrogate, which UTF-8 text cannot hold.
///
/// NOTE: such a value in `userAttributes` or `preferences` is dropped with its field's generic
/// reason, such as "must be a string", because the field rules give no reason per kind.
pub const UNPAIRED_SURROGATE: &str = "a string with an unpaired UTF-16 surrogate";

/// The kind of an object entry whose key has an unpaired UTF-16 surrogate.
pub const UNPAIRED_SURROGATE_KEY: &str = "a key with an unpaired UTF-16 surrogate";

/// A number with its JavaScript text, so the wasm build needs no float formatting or parsing.
#[derive(Clone, Debug, PartialEq)]
pub struct Number {
    /// The value.
    pub value: f64,
    /// The text of `String(value)` in JavaScript, which is valid JSON when the value is finite.
    pub text: String,
}

impl Value {
    /// Returns whether the value is `undefined` or `null`.
    pub fn is_nullish(&self) -> bool {
        matches!(self, Value::Undefined | Value::Null)
    }

    /// Returns the value of `key` in an object, matched exactly, or `None`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Names the kind of value for error messages (`"a string"`, `"an array"`).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Undefined => "undefined",
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
            Value::Function => "a function",
            Value::Unsupported(kind) => kind,
            Value::Unreadable(_) => "a getter that throws",
        }
    }
}

#[cfg(any(not(target_arch = "wasm32"), test))]
impl Number {
    /// Makes a number whose text follows JavaScript's `String(n)` for the values tests and the
    /// server use. The SDK's browser glue takes the text from JavaScript instead, so the wasm
    /// build carries no float formatting.
    pub fn from_f64(value: f64) -> Number {
        let text = if value.is_nan() {
            "NaN".to_string()
        } else if value.is_infinite() {
            if value > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
        } else if value == value.trunc() && value.abs() < 1e21 {
            alloc::format!("{}", value as i128)
        } else {
            alloc::format!("{value}")
        };
        Number { value, text }
    }
}

#[cfg(any(not(target_arch = "wasm32"), test))]
impl From<f64> for Value {
    fn from(value: f64) -> Value {
        Value::Number(Number::from_f64(value))
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Value {
        Value::String(value.to_string())
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Value {
        Value::Bool(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::MAX_CUSTOM_ATTRIBUTES_BYTES;

    #[test]
    fn max_values_fits_largest_custom_attributes() {
        // Each value of a JSON text takes at least two bytes: itself and a separator.
        let most_custom_values = MAX_CUSTOM_ATTRIBUTES_BYTES / 2;
        assert_eq!(most_custom_values, 49152);
        assert!(most_custom_values < MAX_VALUES as usize);
        assert!(TOO_MANY_VALUES.contains(&MAX_VALUES.to_string()));
    }
}
