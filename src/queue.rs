//! Calls waiting for delivery: how each is stored, in what order they go out, and how the
//! queue stays within its bounds.
//!
//! An entry is stored as lines of text, so the wasm build needs no JSON parser: a version line,
//! the request id, the order key, the tab that made the call, the externalId, then one
//! `name=value` line per field, and optional marks: `#` and the visitor generation, and `!` when
//! the call keeps location out. No line can hold a newline: the field rules reject control
//! characters and the JSON writer escapes them.

use crate::bytes;
use crate::error::push_u32;
use crate::fields::Field;
use crate::json::hex_digit;
use crate::payload::Identify;
use alloc::string::String;
use alloc::vec::Vec;

/// Prefix of the `localStorage` key of each queued call, followed by its request id.
pub const KEY_PREFIX: &str = "herogi:q:";

/// Maximum number of queued calls.
pub const MAX_ENTRIES: usize = 100;

/// Maximum size of the queued calls, in bytes of their stored text.
pub const MAX_BYTES: usize = 256 * 1024;

/// Maximum size of the calls that all tabs of a site keep in storage, in bytes of their stored
/// text. A tab keeps a call beyond it in memory only.
pub const MAX_STORED_BYTES: usize = 512 * 1024;

const VERSION: &str = "h1";

/// One queued call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The request id, sent as `X-Request-Id` on every attempt so the server can drop repeats.
    pub id: String,
    /// Sorts entries in call order across tabs: time, a per-tab counter, the tab id.
    pub order: String,
    /// The id of the tab (page) that made the call.
    pub tab: String,
    /// The call's externalId and fields; `dropped` is not stored.
    pub request: Identify,
    /// The visitor generation when the call was made. Each `reset` starts a new one, so the
    /// response to a call of an earlier generation no longer changes the stored identity.
    pub visitor: String,
    /// Whether the browser's location may be added to the call: false when the call, or the
    /// visitor's latest call before it, opted out.
    pub share_location: bool,
}

/// The outcome of [`make_room`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Room {
    /// Pairs of (id of an entry merged away, id of the entry that absorbed it).
    pub merged: Vec<(String, String)>,
    /// Ids of entries dropped, oldest first.
    pub dropped: Vec<String>,
}

/// Makes the order key of a call made at `now_ms` (milliseconds since the epoch) as the tab's
/// `counter`-th call. Keys sort as text in call order.
pub fn order_key(now_ms: f64, counter: u32, tab: &str) -> String {
    let mut key = String::new();
    let millis = now_ms.max(0.0) as u64;
    push_padded(&mut key, (millis / 1_000_000) as u32, 7);
    push_padded(&mut key, (millis % 1_000_000) as u32, 6);
    key.push('-');
    push_padded(&mut key, counter, 10);
    key.push('-');
    key.push_str(tab);
    key
}

fn push_padded(out: &mut String, n: u32, width: usize) {
    let mut digits = String::new();
    push_u32(&mut digits, n);
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

/// Formats 16 random bytes as a version 4 UUID.
pub fn uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (index, byte) in bytes.iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(hex_digit(byte >> 4));
        out.push(hex_digit(*byte));
    }
    out
}

/// Returns the time, in milliseconds since the epoch, at which the call of `order` was made.
pub fn order_time(order: &str) -> Option<f64> {
    let digits = order.get(..13)?;
    let mut millis = 0u64;
    for digit in digits.bytes() {
        if !digit.is_ascii_digit() {
            return None;
        }
        millis = millis * 10 + u64::from(digit - b'0');
    }
    Some(millis as f64)
}

/// Reads the order key and the tab of a stored entry without decoding the rest.
pub fn order_and_tab(text: &str) -> Option<(&str, &str)> {
    let mut lines = bytes::split(text, b'\n');
    if lines.next()? != VERSION {
        return None;
    }
    let _id = lines.next()?;
    Some((lines.next()?, lines.next()?))
}

impl Entry {
    /// Returns the `localStorage` key of the entry.
    pub fn key(&self) -> String {
        [KEY_PREFIX, &self.id].concat()
    }

    /// Writes the entry as stored text.
    pub fn encode(&self) -> String {
        let mut text = String::with_capacity(self.stored_bytes());
        text.push_str(VERSION);
        let mut line = |parts: &[&str]| {
            text.push('\n');
            parts.iter().for_each(|part| text.push_str(part));
        };
        for fixed in [&self.id, &self.order, &self.tab] {
            line(&[fixed]);
        }
        match &self.request.external_id {
            Some(id) => line(&["=", id]),
            None => line(&["-"]),
        }
        for (field, value) in &self.request.fields {
            line(&[field.name(), "=", value]);
        }
        if !self.visitor.is_empty() {
            line(&["#", &self.visitor]);
        }
        if !self.share_location {
            line(&["!"]);
        }
        text
    }

    /// Reads an entry from stored text; `None` when the text is not one.
    pub fn decode(text: &str) -> Option<Entry> {
        let mut lines = bytes::split(text, b'\n');
        if lines.next()? != VERSION {
            return None;
        }
        let id = lines.next().filter(|id| !id.is_empty())?.into();
        let order = lines.next()?.into();
        let tab = lines.next()?.into();
        let external_id = match lines.next()?.split_at_checked(1)? {
            ("=", id) => Some(id.into()),
            ("-", "") => None,
            _ => return None,
        };
        let mut request = Identify {
            external_id,
            ..Identify::default()
        };
        let (mut visitor, mut share_location) = (String::new(), true);
        for line in lines {
            if let Some(generation) = line.strip_prefix('#') {
                visitor = generation.into();
                continue;
            }
            if line == "!" {
                share_location = false;
                continue;
            }
            let (name, value) = bytes::split_once(line, b'=')?;
            request.set(Field::from_name(name)?, value.into());
        }
        Some(Entry {
            id,
            order,
            tab,
            request,
            visitor,
            share_location,
        })
    }

    /// Returns the size of the stored text, in bytes, without writing it.
    pub fn stored_bytes(&self) -> usize {
        let lines = [
            VERSION,
            &self.id,
            &self.order,
            &self.tab,
            self.request.external_id.as_deref().unwrap_or(""),
        ];
        let fixed: usize = lines.iter().map(|line| line.len() + 1).sum::<usize>();
        let fields: usize = self
            .request
            .fields
            .iter()
            .map(|(field, value)| field.name().len() + value.len() + 2)
            .sum();
        let visitor = if self.visitor.is_empty() {
            0
        } else {
            self.visitor.len() + 2
        };
        let location = if self.share_location { 0 } else { 2 };
        // Each of the first five lines counts one byte more: four newlines and the externalId's
        // mark. Each later line counts its newline and its mark.
        fixed + fields + visitor + location
    }

    /// Returns whether both calls are for the same visitor: the same externalId, or none, on
    /// the same side of a `reset`, with the same location choice.
    pub fn same_visitor(&self, other: &Entry) -> bool {
        self.request.external_id == other.request.external_id
            && self.visitor == other.visitor
            && self.share_location == other.share_location
    }

    /// Merges a later call for the same visitor into this one: the later values win, custom
    /// attributes are merged key by key, and the later request id is kept because it names the
    /// newest values. The order key stays, so the merged call keeps its place.
    pub fn absorb(&mut self, later: Entry) {
        for (field, value) in later.request.fields {
            let merged = match (field, self.request.get(field)) {
                (Field::CustomAttributes, Some(earlier)) => merge_objects(earlier, &value),
                _ => value,
            };
            self.request.set(field, merged);
        }
        self.id = later.id;
    }
}

/// Merges two JSON object texts written by the SDK's JSON writer: members of the later object
/// replace those with the same key, the others are kept in order.
fn merge_objects(earlier: &str, later: &str) -> String {
    let mut members = object_members(earlier);
    for (key, member) in object_members(later) {
        match members.iter_mut().find(|(existing, _)| *existing == key) {
            Some(slot) => slot.1 = member,
            None => members.push((key, member)),
        }
    }
    let mut merged = String::from("{");
    for (index, (_, member)) in members.iter().enumerate() {
        if index > 0 {
            merged.push(',');
        }
        merged.push_str(member);
    }
    merged.push('}');
    merged
}

/// Splits a JSON object text into its members (`"key":value`), each with its key's literal. It
/// splits with a pattern that tracks strings and nesting, so no byte offset is sliced by hand.
fn object_members(text: &str) -> Vec<(&str, &str)> {
    let inner = text.trim();
    let inner = inner.get(1..inner.len().saturating_sub(1)).unwrap_or("");
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let top_level_comma = move |c: char| {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            return false;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            ',' => return depth == 0,
            _ => {}
        }
        false
    };
    inner
        .split(top_level_comma)
        .map(str::trim)
        .filter(|member| !member.is_empty())
        .map(|member| (member_key(member), member))
        .collect()
}

/// Returns the key literal of a member, the text up to the colon after the key's closing quote.
fn member_key(member: &str) -> &str {
    let mut escaped = false;
    for (index, byte) in member.bytes().enumerate().skip(1) {
        match byte {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'"' => return member.get(..=index).unwrap_or(member),
            _ => {}
        }
    }
    member
}

/// Makes room for `incoming` in `queue` (sorted in call order) so that the queue with it stays
/// within [`MAX_ENTRIES`] and [`MAX_BYTES`]: first consecutive calls for the same visitor are
/// merged, oldest first, and only then the oldest calls are dropped. The entry `busy` (being
/// sent) is never merged or dropped.
pub fn make_room(queue: &mut Vec<Entry>, incoming: &Entry, busy: Option<&str>) -> Room {
    let mut room = Room::default();
    let mut bytes: usize = queue.iter().map(Entry::stored_bytes).sum();
    let budget = MAX_BYTES.saturating_sub(incoming.stored_bytes());
    let fits = |len: usize, bytes: usize| len < MAX_ENTRIES && bytes <= budget;
    let movable = |entry: &Entry| Some(entry.id.as_str()) != busy;

    let mut index = 0;
    while !fits(queue.len(), bytes) && index + 1 < queue.len() {
        let pair_bytes: usize = queue
            .iter()
            .skip(index)
            .take(2)
            .map(Entry::stored_bytes)
            .sum();
        match merge_next(queue, index, busy, |_| true) {
            Some(merge) => {
                let merged_bytes = queue.get(index).map_or(0, Entry::stored_bytes);
                bytes = bytes - pair_bytes + merged_bytes;
                room.merged.push(merge);
            }
            None => index += 1,
        }
    }

    while !fits(queue.len(), bytes) {
        let Some(oldest) = queue.iter().position(movable) else {
            break;
        };
        let dropped = queue.remove(oldest);
        bytes -= dropped.stored_bytes();
        room.dropped.push(dropped.id);
    }
    room
}

/// Merges the calls after `queue[at]` into it while they are for the same visitor and the
/// merged call's stored text stays within `max_bytes`, so that one request carries them. The
/// entry `busy` is never merged. Returns the merges as [`Room::merged`] does.
pub fn merge_from(
    queue: &mut Vec<Entry>,
    at: usize,
    max_bytes: usize,
    busy: Option<&str>,
) -> Vec<(String, String)> {
    let mut merges = Vec::new();
    let fits = |merged: &Entry| merged.stored_bytes() <= max_bytes;
    while let Some(merge) = merge_next(queue, at, busy, fits) {
        merges.push(merge);
    }
    merges
}

/// Merges `queue[index + 1]` into `queue[index]` when both are for the same visitor, neither is
/// `busy`, and the merged call is within the limits of [`Identify::within_limits`] and passes
/// `accept`. Returns (id of the entry merged away, id of the merged entry), or `None` when
/// nothing was merged.
fn merge_next(
    queue: &mut Vec<Entry>,
    index: usize,
    busy: Option<&str>,
    accept: impl Fn(&Entry) -> bool,
) -> Option<(String, String)> {
    let Some([first, second]) = queue.get(index..index + 2) else {
        return None;
    };
    let movable = |entry: &Entry| Some(entry.id.as_str()) != busy;
    if !first.same_visitor(second) || !movable(first) || !movable(second) {
        return None;
    }
    let mut merged = first.clone();
    merged.absorb(second.clone());
    if !merged.request.within_limits() || !accept(&merged) {
        return None;
    }
    queue.remove(index + 1);
    let slot = queue.get_mut(index)?;
    let absorbed = core::mem::replace(slot, merged).id;
    Some((absorbed, slot.id.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::MAX_CUSTOM_ATTRIBUTES_BYTES;

    fn entry(id: &str, external_id: Option<&str>, fields: &[(Field, &str)]) -> Entry {
        let mut request = Identify {
            external_id: external_id.map(String::from),
            ..Identify::default()
        };
        for (field, value) in fields {
            request.set(*field, (*value).into());
        }
        Entry {
            id: id.into(),
            order: ["o-", id].concat(),
            tab: "tab".into(),
            request,
            visitor: String::new(),
            share_location: true,
        }
    }

    #[test]
    fn order_keys_sort_in_call_order() {
        let keys = [
            order_key(999.0, 0, "b"),
            order_key(1_000.0, 0, "b"),
            order_key(1_000.0, 2, "a"),
            order_key(1_000.0, 10, "a"),
            order_key(1_764_000_000_000.0, 0, "a"),
        ];
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "{keys:?}");
        assert_eq!(keys[0], "0000000000999-0000000000-b");
        assert_eq!(order_time(&keys[4]), Some(1_764_000_000_000.0));
        assert_eq!(order_time("12-x"), None);
    }

    #[test]
    fn uuid_has_version_and_variant() {
        let id = uuid_v4([0xff; 16]);
        assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
    }

    #[test]
    fn entry_round_trips_as_text() {
        let original = entry(
            "id-1",
            Some("alice"),
            &[
                (Field::Email, "a@b.co"),
                (Field::CustomAttributes, r#"{"note":"x=y\nz"}"#),
            ],
        );
        let text = original.encode();
        assert_eq!(text.lines().count(), 7);
        assert_eq!(order_and_tab(&text), Some(("o-id-1", "tab")));
        assert_eq!(order_and_tab("h0\nid\no\nt"), None);
        assert_eq!(Entry::decode(&text), Some(original));

        let anonymous = entry("id-2", None, &[]);
        assert_eq!(Entry::decode(&anonymous.encode()), Some(anonymous));

        let marked = Entry {
            visitor: "generation-2".into(),
            share_location: false,
            ..entry("id-4", Some("bob"), &[(Field::City, "Oslo")])
        };
        assert_eq!(Entry::decode(&marked.encode()), Some(marked));
    }

    #[test]
    fn stored_bytes_counts_the_stored_text() {
        let entries = [
            entry("1", None, &[]),
            entry(
                "2",
                Some("alice"),
                &[(Field::Email, "a@b.co"), (Field::City, "Oslo")],
            ),
            Entry {
                visitor: "v".into(),
                share_location: false,
                ..entry("3", None, &[(Field::City, "Oslo")])
            },
            entry("4", Some(""), &[]),
        ];
        for entry in entries {
            assert_eq!(entry.stored_bytes(), entry.encode().len(), "{entry:?}");
        }
    }

    #[test]
    fn garbage_does_not_decode() {
        for text in [
            "",
            "h0\nid\no\nt\n-",
            "h1\n\no\nt\n-",
            "h1\nid\no\nt\n?x",
            "h1\nid\no\nt\n-\nbogus=1",
        ] {
            assert_eq!(Entry::decode(text), None, "{text:?}");
        }
    }

    #[test]
    fn absorb_keeps_later_values() {
        let mut first = entry(
            "1",
            None,
            &[
                (Field::Email, "old@x.io"),
                (Field::City, "Oslo"),
                (Field::CustomAttributes, r#"{"a":1}"#),
            ],
        );
        let second = entry(
            "2",
            None,
            &[
                (Field::Email, "new@x.io"),
                (Field::CustomAttributes, r#"{"b":2}"#),
            ],
        );
        first.absorb(second);
        assert_eq!(first.id, "2");
        assert_eq!(first.order, "o-1");
        assert_eq!(first.request.get(Field::Email), Some("new@x.io"));
        assert_eq!(first.request.get(Field::City), Some("Oslo"));
        assert_eq!(
            first.request.get(Field::CustomAttributes),
            Some(r#"{"a":1,"b":2}"#)
        );
    }

    #[test]
    fn absorb_replaces_repeated_custom_keys() {
        let mut first = entry(
            "1",
            None,
            &[(Field::CustomAttributes, r#"{"a":"x,y","b":{"c":[1,2]}}"#)],
        );
        let second = entry(
            "2",
            None,
            &[(
                Field::CustomAttributes,
                r#"{"b":{"c":[3]},"q\"k":"}","a":"z"}"#,
            )],
        );
        first.absorb(second);
        assert_eq!(
            first.request.get(Field::CustomAttributes),
            Some(r#"{"a":"z","b":{"c":[3]},"q\"k":"}"}"#)
        );
    }

    #[test]
    fn merge_that_would_break_limits_is_skipped() {
        let half = format!(
            r#"{{"{}":"{}"}}"#,
            "k1",
            "x".repeat(MAX_CUSTOM_ATTRIBUTES_BYTES / 2)
        );
        let other = format!(
            r#"{{"{}":"{}"}}"#,
            "k2",
            "x".repeat(MAX_CUSTOM_ATTRIBUTES_BYTES / 2)
        );
        let mut queue = vec![
            entry("1", None, &[(Field::CustomAttributes, &half)]),
            entry("2", None, &[(Field::CustomAttributes, &other)]),
        ];
        queue.extend((3..=MAX_ENTRIES).map(|i| entry(&i.to_string(), Some(&i.to_string()), &[])));
        let room = make_room(&mut queue, &entry("new", None, &[]), None);
        assert!(room.merged.is_empty());
        assert_eq!(room.dropped, vec!["1".to_string()]);
    }

    #[test]
    fn full_queue_merges_before_dropping() {
        let mut queue: Vec<Entry> = (0..MAX_ENTRIES)
            .map(|i| entry(&i.to_string(), None, &[(Field::City, "c")]))
            .collect();
        let incoming = entry("new", None, &[]);
        let room = make_room(&mut queue, &incoming, None);
        assert_eq!(queue.len(), MAX_ENTRIES - 1);
        assert_eq!(room.merged, vec![("0".to_string(), "1".to_string())]);
        assert!(room.dropped.is_empty());
    }

    #[test]
    fn calls_across_a_reset_are_not_merged() {
        let after = entry("2", None, &[]);
        assert!(after.same_visitor(&after.clone()));
        let next_generation = Entry {
            visitor: "g2".into(),
            ..entry("3", None, &[])
        };
        assert!(!after.same_visitor(&next_generation));
        let opted_out = Entry {
            share_location: false,
            ..entry("4", None, &[])
        };
        assert!(!after.same_visitor(&opted_out));
    }

    #[test]
    fn full_queue_of_different_visitors_drops_oldest() {
        let mut queue: Vec<Entry> = (0..MAX_ENTRIES)
            .map(|i| entry(&i.to_string(), Some(&i.to_string()), &[]))
            .collect();
        let room = make_room(&mut queue, &entry("new", None, &[]), Some("0"));
        assert!(room.merged.is_empty());
        assert_eq!(room.dropped, vec!["1".to_string()]);
        assert_eq!(queue[0].id, "0");
    }

    #[test]
    fn merge_stops_at_visitor_or_size() {
        let mut queue = vec![
            entry("1", None, &[(Field::City, "Oslo")]),
            entry("2", None, &[(Field::City, "Bergen")]),
            entry("3", Some("bob"), &[]),
            entry("4", Some("bob"), &[]),
        ];
        let merges = merge_from(&mut queue, 0, MAX_BYTES, None);
        assert_eq!(merges, vec![("1".to_string(), "2".to_string())]);
        assert_eq!(queue.len(), 3);
        assert_eq!(queue[0].request.get(Field::City), Some("Bergen"));

        let big = "x".repeat(1000);
        let mut queue = vec![
            entry("1", None, &[(Field::City, &big)]),
            entry("2", None, &[(Field::Email, &big)]),
        ];
        assert!(merge_from(&mut queue, 0, 1500, None).is_empty());
        assert!(merge_from(&mut queue, 0, MAX_BYTES, Some("1")).is_empty());
        assert!(merge_from(&mut queue, 1, MAX_BYTES, None).is_empty());
        assert_eq!(merge_from(&mut queue, 0, MAX_BYTES, None).len(), 1);
    }

    #[test]
    fn byte_bound_is_kept() {
        let big = "x".repeat(60 * 1024);
        let mut queue: Vec<Entry> = (0..4)
            .map(|i| entry(&i.to_string(), Some(&i.to_string()), &[(Field::City, &big)]))
            .collect();
        let incoming = entry("new", Some("n"), &[(Field::City, &big)]);
        let room = make_room(&mut queue, &incoming, None);
        let bytes: usize = queue.iter().map(Entry::stored_bytes).sum();
        assert!(bytes + incoming.stored_bytes() <= MAX_BYTES);
        assert_eq!(room.dropped, vec!["0".to_string()]);
    }
}
