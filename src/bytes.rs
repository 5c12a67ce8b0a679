//! Splitting and counting text at ASCII bytes.
//!
//! `str::split` and `str::split_once` with a `char` pattern bring `memchr` and a double-ended
//! searcher into the wasm, about 1.3 KiB, and `str::chars().count()` brings a 1 KiB counting loop.
//! The SDK splits only at ASCII bytes, which are always character boundaries, so these plain loops
//! do the same in a few bytes each.

/// Splits `text` at its first `byte` (ASCII) into what comes before and after it.
pub fn split_once(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == byte)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// Splits `text` at its last `byte` (ASCII) into what comes before and after it.
pub fn rsplit_once(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = text.bytes().rposition(|b| b == byte)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// Returns the parts of `text` between its `byte`s (ASCII), as `str::split` does.
pub fn split(text: &str, byte: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    core::iter::from_fn(move || {
        let current = rest?;
        match split_once(current, byte) {
            Some((part, after)) => {
                rest = Some(after);
                Some(part)
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// Returns `text` without the `byte`s (ASCII) it ends with.
pub fn trim_end(text: &str, byte: u8) -> &str {
    let end = text
        .bytes()
        .rposition(|b| b != byte)
        .map_or(0, |last| last + 1);
    text.get(..end).unwrap_or(text)
}

/// Returns `text` without the `byte`s (ASCII) it starts and ends with.
pub fn trim(text: &str, byte: u8) -> &str {
    let trimmed = trim_end(text, byte);
    let start = trimmed
        .bytes()
        .position(|b| b != byte)
        .unwrap_or(trimmed.len());
    trimmed.get(start..).unwrap_or(trimmed)
}

/// Returns whether `text` contains `byte` (ASCII).
pub fn contains(text: &str, byte: u8) -> bool {
    text.bytes().any(|b| b == byte)
}

/// Counts the characters of `text`: its bytes that start a UTF-8 sequence.
pub fn char_count(text: &str) -> usize {
    text.bytes().filter(|&b| (b as i8) >= -0x40).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn split_matches_str_split() {
        for text in ["", "a", ",", "a,b", ",a,,b,", "é,ü,,ß"] {
            let ours: Vec<&str> = split(text, b',').collect();
            let std: Vec<&str> = text.split(',').collect();
            assert_eq!(ours, std, "{text:?}");
            assert_eq!(split_once(text, b','), text.split_once(','), "{text:?}");
            assert_eq!(rsplit_once(text, b','), text.rsplit_once(','), "{text:?}");
            assert_eq!(contains(text, b','), text.contains(','), "{text:?}");
            assert_eq!(trim(text, b','), text.trim_matches(','), "{text:?}");
            assert_eq!(trim_end(text, b','), text.trim_end_matches(','), "{text:?}");
        }
    }

    #[test]
    fn char_count_matches_chars() {
        for text in ["", "abc", "é", "日本語", "a😀b", "\u{FEFF}x"] {
            assert_eq!(char_count(text), text.chars().count(), "{text:?}");
        }
    }
}
