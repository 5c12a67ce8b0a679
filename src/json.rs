//! A small JSON writer, so the wasm build carries no `serde_json`.

use alloc::string::{String, ToString};

use crate::value::Value;

/// Appends `text` as a JSON string literal.
pub fn push_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str("\\u");
                let code = c as u32;
                for shift in [12, 8, 4, 0] {
                    out.push(hex_digit((code >> shift) as u8));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Returns the lower-case hexadecimal digit of the low four bits of `nibble`. It computes the
/// digit rather than indexing a table, so it has no bounds check that could panic.
pub fn hex_digit(nibble: u8) -> char {
    let nibble = nibble & 0xf;
    char::from(if nibble < 10 {
        b'0' + nibble
    } else {
        b'a' - 10 + nibble
    })
}

/// Appends `value` as JSON text.
///
/// # Errors
///
/// Returns the path of the first value that JSON cannot hold (a function, a `BigInt`, a symbol,
/// a cycle or a non-finite number) and its kind, as in `("score", "an infinite number")`. As in
/// `JSON.stringify`, an object key whose value is `undefined` is left out and an `undefined`
/// array item is written as `null`.
pub fn push_value(out: &mut String, value: &Value) -> Result<(), (String, &'static str)> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) if number.value.is_finite() => out.push_str(&number.text),
        Value::Number(number) if number.value.is_nan() => return Err((String::new(), "NaN")),
        Value::Number(_) => return Err((String::new(), "an infinite number")),
        Value::String(text) => push_string(out, text),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                let mut path = String::new();
                crate::error::push_u32(&mut path, index as u32);
                push_value(out, item).map_err(|(inner, kind)| (join(&path, &inner), kind))?;
            }
            out.push(']');
        }
        Value::Object(entries) => {
            out.push('{');
            let present = entries
                .iter()
                .filter(|(_, item)| !matches!(item, Value::Undefined));
            for (index, (key, item)) in present.enumerate() {
                if index > 0 {
                    out.push(',');
                }
                push_string(out, key);
                out.push(':');
                push_value(out, item).map_err(|(inner, kind)| (join(key, &inner), kind))?;
            }
            out.push('}');
        }
        Value::Undefined => out.push_str("null"),
        Value::Function | Value::Unsupported(_) | Value::Unreadable(_) => {
            return Err((String::new(), value.kind()))
        }
    }
    Ok(())
}

fn join(head: &str, tail: &str) -> String {
    if tail.is_empty() {
        head.to_string()
    } else {
        [head, ".", tail].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Number;

    fn text(value: &Value) -> String {
        let mut out = String::new();
        push_value(&mut out, value).unwrap();
        out
    }

    #[test]
    fn hex_digits_of_every_nibble() {
        let digits: String = (0..=0x1f).map(hex_digit).collect();
        assert_eq!(digits, "0123456789abcdef0123456789abcdef");
    }

    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        push_string(&mut out, "a\"b\\c\nd\u{1}e\u{2028}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001e\u2028é""#);
    }

    #[test]
    fn nested_values_are_written() {
        let value = Value::Object(vec![
            ("plan".into(), "pro".into()),
            ("score".into(), Value::from(12.5)),
            (
                "tags".into(),
                Value::Array(vec!["a".into(), Value::Null, true.into()]),
            ),
            ("__proto__".into(), Value::Object(vec![])),
        ]);
        assert_eq!(
            text(&value),
            r#"{"plan":"pro","score":12.5,"tags":["a",null,true],"__proto__":{}}"#
        );
    }

    #[test]
    fn undefined_is_skipped_like_json_stringify() {
        let value = Value::Object(vec![
            ("gone".into(), Value::Undefined),
            ("list".into(), Value::Array(vec![Value::Undefined])),
        ]);
        assert_eq!(text(&value), r#"{"list":[null]}"#);
    }

    #[test]
    fn unsupported_values_name_their_path() {
        let infinite = Value::Number(Number {
            value: f64::INFINITY,
            text: "Infinity".into(),
        });
        let cases = [
            (
                Value::Object(vec![("score".into(), infinite)]),
                "score",
                "an infinite number",
            ),
            (
                Value::Object(vec![(
                    "a".into(),
                    Value::Array(vec![Value::Null, Value::Function]),
                )]),
                "a.1",
                "a function",
            ),
            (
                Value::Object(vec![("big".into(), Value::Unsupported("a BigInt"))]),
                "big",
                "a BigInt",
            ),
        ];
        for (value, path, kind) in cases {
            let error = push_value(&mut String::new(), &value).unwrap_err();
            assert_eq!(error, (path.to_string(), kind));
        }
    }
}
