//! Argument shifting of `identify`: which argument is the externalId, the attributes, the
//! preferences and the callback.

use alloc::string::String;

use crate::error::{Error, ErrorCode};
use crate::fields::{self, Field};
use crate::value::Value;

/// The positions of an `identify` call's arguments, after shifting.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shifted {
    /// The normalised externalId, when the call gave one.
    pub external_id: Option<String>,
    /// The index of the `userAttributes` object.
    pub user_attributes: Option<usize>,
    /// The index of the `customAttributes` object.
    pub custom_attributes: Option<usize>,
    /// The index of the `preferences` object.
    pub preferences: Option<usize>,
    /// The index of the callback: the first function among the arguments.
    pub callback: Option<usize>,
}

/// The names of the object arguments, in order.
const OBJECT_ARGUMENTS: [&str; 3] = ["userAttributes", "customAttributes", "preferences"];

/// Shifts an `identify` call's arguments. A plain object first means there is no externalId;
/// `null` or `undefined` first means no externalId without shifting. Arguments after the
/// callback, and after `preferences`, are ignored.
///
/// # Errors
///
/// Returns [`ErrorCode::InvalidArgument`] naming the argument when the externalId is invalid or
/// an attributes argument is neither an object nor `null`/`undefined`.
pub fn shift(args: &[Value]) -> Result<Shifted, Error> {
    let callback = args.iter().position(|arg| matches!(arg, Value::Function));
    let positional = &args[..callback.unwrap_or(args.len())];

    let (external_id, first_object) = match positional.first() {
        None | Some(Value::Object(_)) => (None, 0),
        Some(Value::Undefined | Value::Null) => (None, 1),
        Some(value) => (Some(external_id(value)?), 1),
    };

    let mut shifted = Shifted {
        external_id,
        callback,
        ..Shifted::default()
    };
    for (offset, name) in OBJECT_ARGUMENTS.into_iter().enumerate() {
        let index = first_object + offset;
        let slot = match offset {
            0 => &mut shifted.user_attributes,
            1 => &mut shifted.custom_attributes,
            _ => &mut shifted.preferences,
        };
        match positional.get(index) {
            None | Some(Value::Undefined | Value::Null) => {}
            Some(Value::Object(_)) => *slot = Some(index),
            Some(other) => {
                return Err(Error::invalid(
                    ErrorCode::InvalidArgument,
                    name,
                    &[
                        name,
                        " must be a plain object, null or undefined; got ",
                        other.kind(),
                    ],
                ))
            }
        }
    }
    Ok(shifted)
}

/// Checks and normalises an externalId argument: a string or a finite number, trimmed.
fn external_id(value: &Value) -> Result<String, Error> {
    let invalid = |parts: &[&str]| Error::invalid(ErrorCode::InvalidArgument, "externalId", parts);
    let text = match value {
        Value::String(text) => text.as_str(),
        Value::Number(number) if number.value.is_finite() => number.text.as_str(),
        Value::Number(number) => {
            return Err(invalid(&[
                "externalId must be a finite number; got ",
                &number.text,
            ]))
        }
        other => {
            return Err(invalid(&[
                "externalId must be a string or a finite number, or null for none \
                 (to pass userAttributes first, give a plain object); got ",
                other.kind(),
            ]))
        }
    };
    let trimmed = text.trim();
    if fields::is_stringified_nothing(trimmed) {
        return Err(invalid(&[
            "externalId is the text \"",
            trimmed,
            "\", which comes from a missing value turned into a string; pass null for no \
             externalId",
        ]));
    }
    fields::normalize_text(Field::ExternalUserId, text).map_err(|reason| {
        let reason = if reason == "is empty" {
            "is empty or blank; pass null for none"
        } else {
            reason
        };
        invalid(&["externalId ", reason])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object() -> Value {
        Value::Object(vec![("email".into(), "a@b.co".into())])
    }

    fn shifted(
        external_id: Option<&str>,
        objects: [Option<usize>; 3],
        callback: Option<usize>,
    ) -> Shifted {
        Shifted {
            external_id: external_id.map(str::to_string),
            user_attributes: objects[0],
            custom_attributes: objects[1],
            preferences: objects[2],
            callback,
        }
    }

    #[test]
    fn call_forms_shift_as_documented() {
        let f = || Value::Function;
        let cases: Vec<(&str, Vec<Value>, Shifted)> = vec![
            ("no arguments", vec![], shifted(None, [None; 3], None)),
            (
                "externalId and all objects",
                vec!["u1".into(), object(), object(), object(), f()],
                shifted(Some("u1"), [Some(1), Some(2), Some(3)], Some(4)),
            ),
            (
                "objects first",
                vec![object(), object(), object(), f()],
                shifted(None, [Some(0), Some(1), Some(2)], Some(3)),
            ),
            (
                "null externalId does not shift",
                vec![Value::Null, object(), object(), object(), f()],
                shifted(None, [Some(1), Some(2), Some(3)], Some(4)),
            ),
            (
                "undefined externalId does not shift",
                vec![Value::Undefined, object()],
                shifted(None, [Some(1), None, None], None),
            ),
            (
                "all null with a callback",
                vec![Value::Null, Value::Null, Value::Null, f()],
                shifted(None, [None; 3], Some(3)),
            ),
            (
                "callback alone",
                vec![f()],
                shifted(None, [None; 3], Some(0)),
            ),
            (
                "externalId and callback",
                vec!["u1".into(), f()],
                shifted(Some("u1"), [None; 3], Some(1)),
            ),
            (
                "attributes and callback",
                vec![object(), f()],
                shifted(None, [Some(0), None, None], Some(1)),
            ),
            (
                "number externalId",
                vec![Value::from(42.0), object()],
                shifted(Some("42"), [Some(1), None, None], None),
            ),
            (
                "externalId is trimmed",
                vec!["  u@x.io ".into()],
                shifted(Some("u@x.io"), [None; 3], None),
            ),
            (
                "arguments after the callback are ignored",
                vec!["u1".into(), f(), "junk".into()],
                shifted(Some("u1"), [None; 3], Some(1)),
            ),
            (
                "skipped custom attributes",
                vec!["u1".into(), object(), Value::Null, object()],
                shifted(Some("u1"), [Some(1), None, Some(3)], None),
            ),
        ];
        for (name, args, expected) in cases {
            assert_eq!(shift(&args), Ok(expected), "{name}");
        }
    }

    #[test]
    fn invalid_external_ids_name_the_argument() {
        let nan = Value::Number(crate::value::Number {
            value: f64::NAN,
            text: "NaN".into(),
        });
        let cases: Vec<(Value, &str)> = vec![
            ("".into(), "empty"),
            ("   ".into(), "empty"),
            ("undefined".into(), "\"undefined\""),
            ("NULL".into(), "\"NULL\""),
            (nan, "finite"),
            (true.into(), "a boolean"),
            (Value::Array(vec![]), "an array"),
            ("x".repeat(256).as_str().into(), "longer than 255"),
            ("a\u{0}b".into(), "control"),
        ];
        for (value, phrase) in cases {
            let error = shift(&[value.clone(), object()]).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidArgument, "{value:?}");
            assert_eq!(error.field, Some("externalId"), "{value:?}");
            assert!(
                error.message.contains(phrase),
                "{value:?}: {}",
                error.message
            );
        }
    }

    #[test]
    fn non_object_attributes_name_the_argument() {
        let cases: Vec<(Vec<Value>, &str)> = vec![
            (vec!["u1".into(), "x".into()], "userAttributes"),
            (vec![object(), Value::Array(vec![])], "customAttributes"),
            (
                vec![Value::Null, object(), object(), 5.0.into()],
                "preferences",
            ),
            (
                vec![object(), Value::Unsupported("a Date")],
                "customAttributes",
            ),
        ];
        for (args, field) in cases {
            let error = shift(&args).unwrap_err();
            assert_eq!(error.field, Some(field), "{args:?}");
            assert!(error.message.starts_with(field), "{}", error.message);
        }
    }
}
