//! Reads a call's arguments from the text that js/read.js writes: the page's values, read once
//! in JavaScript, which lists the format. Parsing text here costs one boundary crossing per call,
//! where reading each value from the wasm took one per value, key and string.

use alloc::string::String;
use alloc::vec::Vec;

use crate::value::{Number, Value, TOO_MANY_VALUES, UNPAIRED_SURROGATE, UNPAIRED_SURROGATE_KEY};

/// Reads a call's arguments from the text of js/read.js, with `numbers` the values of its numbers
/// in order.
pub fn arguments(text: &str, numbers: &[f64]) -> Vec<Value> {
    let mut parser = Parser {
        text,
        at: 0,
        numbers: numbers.iter(),
    };
    let mut values = Vec::new();
    while parser.at < text.len() {
        values.push(parser.value());
    }
    values
}

/// The position in the text of js/read.js and the numbers not yet read.
struct Parser<'a> {
    text: &'a str,
    at: usize,
    numbers: core::slice::Iter<'a, f64>,
}

impl Parser<'_> {
    fn byte(&mut self) -> u8 {
        let byte = self.text.as_bytes().get(self.at).copied().unwrap_or(0);
        self.at += 1;
        byte
    }

    /// Reads a count or length: digits up to a `:`.
    fn count(&mut self) -> usize {
        let mut count = 0usize;
        loop {
            match self.byte() {
                digit @ b'0'..=b'9' => {
                    count = count
                        .saturating_mul(10)
                        .saturating_add(usize::from(digit - b'0'))
                }
                _ => return count,
            }
        }
    }

    /// Reads `<length>:<text>`, with the length in UTF-16 code units, as JavaScript counts it.
    fn part(&mut self) -> String {
        let mut units = self.count();
        let start = self.at;
        while units > 0 && self.at < self.text.len() {
            // A lead byte gives the length of its character in UTF-8. Only a 4-byte character
            // takes two UTF-16 code units.
            let (bytes, taken) = match self.text.as_bytes()[self.at] {
                0..=0x7f => (1, 1),
                0xc0..=0xdf => (2, 1),
                0xe0..=0xef => (3, 1),
                _ => (4, 2),
            };
            self.at += bytes;
            units = units.saturating_sub(taken);
        }
        self.text.get(start..self.at).unwrap_or_default().into()
    }

    /// Returns how many values a count announces, at most one per byte left, so that a damaged
    /// count cannot reserve more memory than the text could fill.
    fn items(&mut self) -> usize {
        self.count().min(self.text.len().saturating_sub(self.at))
    }

    fn value(&mut self) -> Value {
        match self.byte() {
            b'n' => Value::Null,
            b't' => Value::Bool(true),
            b'f' => Value::Bool(false),
            b'F' => Value::Function,
            b's' => Value::String(self.part()),
            b'r' => Value::Unreadable(self.part()),
            b'd' => {
                let text = self.part();
                let value = self.numbers.next().copied().unwrap_or(f64::NAN);
                Value::Number(Number { value, text })
            }
            b'a' => {
                let count = self.items();
                Value::Array((0..count).map(|_| self.value()).collect())
            }
            b'o' => {
                let count = self.items();
                Value::Object((0..count).map(|_| (self.part(), self.value())).collect())
            }
            b'x' => Value::Unsupported(match self.byte() {
                b'b' => "a BigInt",
                b'y' => "a symbol",
                b'c' => "a cycle",
                b'd' => "nesting deeper than 32 levels",
                b'O' => "an object that is not a plain object (a Date, Map or class instance)",
                b'S' => UNPAIRED_SURROGATE,
                b'K' => UNPAIRED_SURROGATE_KEY,
                b'T' => TOO_MANY_VALUES,
                _ => "an object whose Proxy traps throw",
            }),
            _ => Value::Undefined,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn text(value: &str) -> Value {
        Value::String(value.into())
    }

    #[test]
    fn reads_each_kind_of_value() {
        let values = arguments("untfFs2:hid3:1.5r4:boomxb", &[1.5]);
        let number = Value::Number(Number {
            value: 1.5,
            text: "1.5".into(),
        });
        assert_eq!(
            values,
            vec![
                Value::Undefined,
                Value::Null,
                Value::Bool(true),
                Value::Bool(false),
                Value::Function,
                text("hi"),
                number,
                Value::Unreadable("boom".into()),
                Value::Unsupported("a BigInt"),
            ]
        );
    }

    #[test]
    fn reads_nested_arrays_and_objects() {
        let values = arguments("o2:4:citys4:Oslo4:tagsa2:s1:anxc", &[]);
        let tags = Value::Array(vec![text("a"), Value::Null]);
        assert_eq!(values.len(), 2);
        assert_eq!(
            values[0],
            Value::Object(vec![("city".into(), text("Oslo")), ("tags".into(), tags)])
        );
        assert_eq!(values[1], Value::Unsupported("a cycle"));
    }

    #[test]
    fn lengths_count_utf16_code_units() {
        // "é" is one code unit in two UTF-8 bytes, "😀" two code units in four bytes.
        let values = arguments("s3:é😀s1:x", &[]);
        assert_eq!(values, vec![text("é😀"), text("x")]);
    }

    #[test]
    fn numbers_come_in_order() {
        let values = arguments("d1:1d3:NaNd8:Infinity", &[1.0, f64::NAN, f64::INFINITY]);
        let Value::Number(last) = &values[2] else {
            panic!("not a number: {:?}", values[2]);
        };
        assert_eq!(last.value, f64::INFINITY);
        assert_eq!(last.text, "Infinity");
        let Value::Number(first) = &values[0] else {
            panic!("not a number: {:?}", values[0]);
        };
        assert_eq!(first.value, 1.0);
    }

    #[test]
    fn damaged_text_reads_without_panic() {
        // A count far above the bytes left, a length past the end, and an unknown tag.
        assert_eq!(
            arguments("a4294967295:n", &[]),
            vec![Value::Array(vec![Value::Null])]
        );
        assert_eq!(arguments("s99:ab", &[]), vec![text("ab")]);
        assert_eq!(arguments("?", &[]), vec![Value::Undefined]);
        assert_eq!(arguments("d1:5", &[]).len(), 1);
    }

    #[test]
    fn bounds_match_the_reader() {
        let reader = include_str!("../js/read.js");
        let max_values = [
            "const MAX_VALUES = ",
            &crate::value::MAX_VALUES.to_string(),
            ";",
        ];
        assert!(reader.contains(&max_values.concat()));
        // The kind name that the parser gives a value nested too deep names the reader's bound.
        assert!(reader.contains("const MAX_DEPTH = 32;"));
        assert_eq!(
            arguments("xd", &[]),
            vec![Value::Unsupported("nesting deeper than 32 levels")]
        );
    }

    #[test]
    fn unsupported_kinds_have_their_names() {
        let values = arguments("xyxcxdxOxSxKxTxP", &[]);
        let kinds: Vec<&str> = values
            .iter()
            .map(|value| match value {
                Value::Unsupported(kind) => *kind,
                _ => "",
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                "a symbol",
                "a cycle",
                "nesting deeper than 32 levels",
                "an object that is not a plain object (a Date, Map or class instance)",
                UNPAIRED_SURROGATE,
                UNPAIRED_SURROGATE_KEY,
                TOO_MANY_VALUES,
                "an object whose Proxy traps throw",
            ]
        );
    }
}
