//! The identify request built from a call's arguments: the valid fields, normalised, and the
//! values that were dropped with the reason.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::args::Shifted;
use crate::fields::{self, Field, PREFERENCES, USER_ATTRIBUTES};
use crate::json;
use crate::value::Value;

/// Maximum size of the `customAttributes` JSON text once escaped into the body, in bytes. Larger
/// ones are dropped. The local server refuses larger ones too.
pub const MAX_CUSTOM_ATTRIBUTES_BYTES: usize = 96 * 1024;

/// Maximum size of an identify body, in bytes: the custom attributes at their maximum and every
/// other field at its maximum (255 characters, each escaped to at most 6 bytes) fit under it.
/// The local server answers 413 above it.
pub const MAX_BODY_BYTES: usize = 128 * 1024;

/// The argument a dropped value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// The `userAttributes` object.
    UserAttributes,
    /// The `customAttributes` object, dropped as a whole.
    CustomAttributes,
    /// The `preferences` object.
    Preferences,
}

/// A value left out of the request because it broke its field's rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// The argument that held it.
    pub section: Section,
    /// The key as the page wrote it; empty for `customAttributes`, which is dropped whole.
    pub key: String,
    /// The field name reported to the page (`"email"`, or the key itself when it is unknown).
    pub field: String,
    /// The reason it was dropped, as a phrase that follows the field name.
    pub reason: String,
}

/// An identify request: normalised fields in body order, and what was dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identify {
    /// The externalUserId, when the call gave one.
    pub external_id: Option<String>,
    /// The valid fields, at most one per field, sorted in body order.
    pub fields: Vec<(Field, String)>,
    /// The values that were dropped.
    pub dropped: Vec<Dropped>,
}

impl Identify {
    /// Builds the request from a call's arguments and their positions.
    pub fn build(args: &[Value], shifted: &Shifted) -> Identify {
        let mut request = Identify {
            external_id: shifted.external_id.clone(),
            ..Identify::default()
        };
        let argument = |index: Option<usize>| index.and_then(|i| args.get(i));

        if let Some(Value::Object(entries)) = argument(shifted.user_attributes) {
            // Opt-ins are accepted here too, so that a page that puts them with the other
            // attributes loses nothing; `preferences` win when both give one.
            let allowed = [&USER_ATTRIBUTES[..], &PREFERENCES[..]].concat();
            for (key, value) in entries {
                request.add(Section::UserAttributes, &allowed, key, value);
            }
        }
        if let Some(custom) = argument(shifted.custom_attributes) {
            request.add_custom(custom);
        }
        if let Some(Value::Object(entries)) = argument(shifted.preferences) {
            for (key, value) in entries {
                request.add(Section::Preferences, &PREFERENCES, key, value);
            }
        }
        request
    }

    /// Returns the normalised value of `field`, if the request has it.
    pub fn get(&self, field: Field) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `field`, replacing an earlier value and keeping the fields in body order.
    pub fn set(&mut self, field: Field, value: String) {
        let index = self
            .fields
            .iter()
            .position(|(f, _)| *f >= field)
            .unwrap_or(self.fields.len());
        match self.fields.get_mut(index) {
            Some(slot) if slot.0 == field => slot.1 = value,
            _ => self.fields.insert(index, (field, value)),
        }
    }

    /// Returns whether the custom attributes are within [`MAX_CUSTOM_ATTRIBUTES_BYTES`], as a
    /// merge of queued calls must keep them.
    pub fn within_limits(&self) -> bool {
        self.get(Field::CustomAttributes)
            .is_none_or(|text| escaped_len(text) <= MAX_CUSTOM_ATTRIBUTES_BYTES)
    }

    /// Writes the JSON body, with `hgid` first when given.
    pub fn body(&self, hgid: Option<&str>) -> String {
        let mut out = String::from("{");
        let external = self
            .external_id
            .as_deref()
            .map(|id| (Field::ExternalUserId, id));
        let hgid = hgid.map(|id| (Field::Hgid, id));
        let rest = self
            .fields
            .iter()
            .map(|(field, value)| (*field, value.as_str()));
        for (index, (field, value)) in hgid.into_iter().chain(external).chain(rest).enumerate() {
            if index > 0 {
                out.push(',');
            }
            json::push_string(&mut out, field.name());
            out.push(':');
            json::push_string(&mut out, value);
        }
        out.push('}');
        out
    }

    fn add(&mut self, section: Section, allowed: &[Field], key: &str, value: &Value) {
        let Some(field) = Field::from_key(key, allowed) else {
            let reason = if Field::from_key(key, &fields::ALL).is_some() {
                "cannot be set in this argument"
            } else {
                "is not a known field"
            };
            self.drop_value(section, key, key, reason.to_string());
            return;
        };
        if let Value::Unreadable(message) = value {
            self.drop_value(section, key, field.name(), unreadable_reason(message));
            return;
        }
        match fields::normalize(field, value) {
            Ok(Some(normalized)) => self.set(field, normalized),
            Ok(None) => {}
            Err(reason) => self.drop_value(section, key, field.name(), reason.to_string()),
        }
    }

    fn add_custom(&mut self, custom: &Value) {
        let mut text = String::new();
        let reason = match json::push_value(&mut text, custom) {
            Err((path, kind)) => {
                ["holds ", kind, " at ", &path, ", which JSON cannot hold"].concat()
            }
            Ok(()) if escaped_len(&text) > MAX_CUSTOM_ATTRIBUTES_BYTES => {
                "is larger than 96 KiB as JSON".to_string()
            }
            Ok(()) if text == "{}" => return,
            Ok(()) => {
                self.set(Field::CustomAttributes, text);
                return;
            }
        };
        let field = Field::CustomAttributes.name();
        self.drop_value(Section::CustomAttributes, "", field, reason);
    }

    fn drop_value(&mut self, section: Section, key: &str, field: &str, reason: String) {
        self.dropped.push(Dropped {
            section,
            key: key.into(),
            field: field.into(),
            reason,
        });
    }
}

/// Returns the reason of a value whose read threw, with the thrown message when there is one.
fn unreadable_reason(message: &str) -> String {
    let mut reason = String::from("could not be read, because reading it threw");
    if !message.is_empty() {
        reason.push_str(": ");
        reason.push_str(message);
    }
    reason
}

/// Returns the length of `text` as a JSON string literal.
fn escaped_len(text: &str) -> usize {
    let mut escaped = String::with_capacity(text.len() + 2);
    json::push_string(&mut escaped, text);
    escaped.len()
}
