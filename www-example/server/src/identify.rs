//! Validation of a `POST /v1/identify` body, with the SDK's own field rules from
//! `herogi::fields`, so the SDK and this server never disagree.

use std::collections::BTreeSet;
use std::fmt;

use herogi::fields::{self, Field};
use herogi::value::{Number, Value};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value as Json};

/// Maximum size, in bytes, of the `customAttributes` JSON text in a request, and of the custom
/// attributes a profile stores after merging. It is the SDK's own limit (which the SDK counts
/// on the escaped text, so never more than this), so the server accepts every call the SDK
/// sends. With every other field capped at 255 characters, a stored profile stays under about
/// 101 KiB.
pub const MAX_CUSTOM_ATTRIBUTES_BYTES: usize = herogi::payload::MAX_CUSTOM_ATTRIBUTES_BYTES;

/// A valid identify body: every field checked and normalised.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdentifyRequest {
    /// The `hgid` the client has, if any.
    pub hgid: Option<String>,
    /// The profile fields given, `externalUserId` included, with their normalised values.
    pub fields: Vec<(Field, String)>,
    /// The given custom attributes whose keys the app defines.
    pub custom_attributes: Option<Map<String, Json>>,
}

impl IdentifyRequest {
    /// Returns the `externalUserId` given, if any.
    pub fn external_user_id(&self) -> Option<&str> {
        self.value(Field::ExternalUserId)
    }

    /// Returns the normalised value given for `field`, if any.
    pub fn value(&self, field: Field) -> Option<&str> {
        self.fields
            .iter()
            .find(|(given, _)| *given == field)
            .map(|(_, value)| value.as_str())
    }
}

/// The reason a body is invalid: a message, and the field at fault when there is one.
#[derive(Clone, Debug, PartialEq)]
pub struct Invalid {
    /// A readable message, starting in lower case.
    pub message: String,
    /// The body field at fault.
    pub field: Option<String>,
}

impl Invalid {
    fn field(field: &str, message: String) -> Invalid {
        Invalid {
            message,
            field: Some(field.to_string()),
        }
    }
}

/// Parses and checks an identify body: a JSON object whose every value is a string, each field
/// at most once. Keys of `customAttributes` that are not in `defined` are dropped.
///
/// # Errors
///
/// Returns the first problem found: invalid JSON, a body that is not an object, an unknown or
/// repeated field, a value that is not a string, or a value that breaks its field's rule.
pub fn parse(body: &[u8], defined: &BTreeSet<String>) -> Result<IdentifyRequest, Invalid> {
    let entries = read_members(body)?;

    let mut request = IdentifyRequest::default();
    let mut seen = BTreeSet::new();
    for (name, value) in &entries {
        let field = Field::from_name(name).ok_or_else(|| unknown_field(name))?;
        if !seen.insert(field) {
            return Err(Invalid::field(
                name,
                format!("{name} appears more than once: send each field once"),
            ));
        }
        let Json::String(text) = value else {
            return Err(Invalid::field(
                name,
                format!("{name} must be a string, not {}", json_kind(value)),
            ));
        };
        match field {
            Field::Hgid => request.hgid = Some(checked_text(field, text)?),
            Field::CustomAttributes => {
                request.custom_attributes = Some(custom_attributes(text, defined)?)
            }
            Field::CurrentLocation => request.fields.push((field, location(text)?)),
            _ => request.fields.push((field, checked_text(field, text)?)),
        }
    }
    Ok(request)
}

/// Reads the members of the body's JSON object in the order they come, repeats included, which
/// a `serde_json::Map` would merge.
fn read_members(body: &[u8]) -> Result<Vec<(String, Json)>, Invalid> {
    if let Ok(Members(members)) = serde_json::from_slice(body) {
        return Ok(members);
    }

    // Parse again to tell invalid JSON from JSON that is not an object.
    let message = match serde_json::from_slice::<Json>(body) {
        Err(error) => format!("invalid JSON body: {error}"),
        Ok(json) => format!(
            "the body must be a JSON object of string fields, not {}",
            json_kind(&json)
        ),
    };
    Err(Invalid {
        message,
        field: None,
    })
}

/// The members of a JSON object, in order.
struct Members(Vec<(String, Json)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Members, D::Error> {
        deserializer.deserialize_map(MembersVisitor)
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Members;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
        let mut members = Vec::new();
        while let Some(member) = map.next_entry::<String, Json>()? {
            members.push(member);
        }
        Ok(Members(members))
    }
}

/// Builds the error for a member that is not a body field, listing the valid field names.
fn unknown_field(name: &str) -> Invalid {
    let known: Vec<&str> = fields::ALL.iter().map(|field| field.name()).collect();
    // The name is the client's own text, so it is escaped and cut to 64 characters.
    let escaped_name: String = name.escape_debug().take(64).collect();
    Invalid::field(
        &escaped_name,
        format!(
            "unknown field \"{escaped_name}\": the body may contain only {}",
            known.join(", ")
        ),
    )
}

/// Checks a plain text field with the SDK's rule and returns its normalised value.
fn checked_text(field: Field, text: &str) -> Result<String, Invalid> {
    match fields::normalize(field, &Value::String(text.to_string())) {
        Ok(Some(normalised)) => Ok(normalised),
        Ok(None) => Err(Invalid::field(
            field.name(),
            format!("{} is missing", field.name()),
        )),
        Err(reason) => Err(Invalid::field(
            field.name(),
            format!("{} {reason}", field.name()),
        )),
    }
}

/// Parses the JSON text of `currentLocation` and rewrites it in the SDK's canonical form.
fn location(text: &str) -> Result<String, Invalid> {
    let name = Field::CurrentLocation.name();
    let json: Json = serde_json::from_str(text)
        .map_err(|error| Invalid::field(name, format!("{name} is not valid JSON text: {error}")))?;
    fields::location(&to_value(&json))
        .map_err(|reason| Invalid::field(name, format!("{name} {reason}")))
}

/// Parses the JSON text of `customAttributes` and keeps the keys that the app defines.
fn custom_attributes(text: &str, defined: &BTreeSet<String>) -> Result<Map<String, Json>, Invalid> {
    let name = Field::CustomAttributes.name();
    if text.len() > MAX_CUSTOM_ATTRIBUTES_BYTES {
        return Err(Invalid::field(
            name,
            format!("{name} is longer than {MAX_CUSTOM_ATTRIBUTES_BYTES} bytes"),
        ));
    }
    let json: Json = serde_json::from_str(text)
        .map_err(|error| Invalid::field(name, format!("{name} is not valid JSON text: {error}")))?;
    let Json::Object(entries) = json else {
        return Err(Invalid::field(
            name,
            format!(
                "{name} must be the JSON text of an object, not {}",
                json_kind(&json)
            ),
        ));
    };

    let (kept, dropped): (Map<String, Json>, Map<String, Json>) = entries
        .into_iter()
        .partition(|(key, _)| defined.contains(key));
    if !dropped.is_empty() {
        let keys: Vec<&String> = dropped.keys().collect();
        tracing::debug!(
            ?keys,
            "dropped custom attributes that the app does not define"
        );
    }
    Ok(kept)
}

/// Converts a JSON value into the SDK's value type, where a number keeps its JSON text.
pub fn to_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(flag) => Value::Bool(*flag),
        Json::Number(number) => Value::Number(Number {
            value: number.as_f64().unwrap_or(f64::NAN),
            text: number.to_string(),
        }),
        Json::String(text) => Value::String(text.clone()),
        Json::Array(items) => Value::Array(items.iter().map(to_value).collect()),
        Json::Object(entries) => Value::Object(
            entries
                .iter()
                .map(|(key, value)| (key.clone(), to_value(value)))
                .collect(),
        ),
    }
}

/// Names the kind of a JSON value for messages.
fn json_kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defined() -> BTreeSet<String> {
        ["plan".to_string(), "score".to_string()].into()
    }

    fn parse_json(body: Json) -> Result<IdentifyRequest, Invalid> {
        parse(body.to_string().as_bytes(), &defined())
    }

    #[test]
    fn parses_every_field() {
        let request = parse_json(json!({
            "hgid": "h1",
            "externalUserId": "user-1",
            "email": "ada@example.com",
            "mobileNo": "+44 20 7946 0958",
            "firstname": "Ada",
            "lastname": "Lovelace",
            "city": "London",
            "gender": "female",
            "language": "en-GB",
            "country": "gb",
            "timezone": "Europe/London",
            "currentLocation": "{\"latitude\":51.5,\"longitude\":-0.12}",
            "facebookId": "fb-1",
            "twitterId": "tw-1",
            "lineId": "line-1",
            "customAttributes": "{\"plan\":\"pro\"}",
            "emailOptin": "OPTIN",
            "smsOptin": "optout",
            "pushOptin": "OPT-IN",
            "webPushOptin": "opt_out",
            "locationOptin": "true",
        }))
        .unwrap();

        assert_eq!(request.hgid.as_deref(), Some("h1"));
        assert_eq!(request.fields.len(), 19);
        assert_eq!(request.external_user_id(), Some("user-1"));
        assert_eq!(request.value(Field::MobileNo), Some("+442079460958"));
        assert_eq!(request.value(Field::Language), Some("EN"));
        assert_eq!(request.value(Field::PushOptin), Some("OPTIN"));
        assert_eq!(request.value(Field::LocationOptin), Some("OPTIN"));
        assert_eq!(
            request.custom_attributes,
            Some(json!({ "plan": "pro" }).as_object().cloned().unwrap())
        );
    }

    #[test]
    fn drops_undefined_custom_attributes() {
        let attributes = json!({ "plan": "pro", "score": [1, 2], "other": true }).to_string();
        let request = parse_json(json!({ "customAttributes": attributes })).unwrap();
        let kept = request.custom_attributes.unwrap();
        assert_eq!(kept.len(), 2);
        assert_eq!(kept["plan"], "pro");
        assert_eq!(kept["score"], json!([1, 2]));
    }

    #[test]
    fn location_is_rewritten_in_order() {
        let text = "{ \"longitude\": -0.12, \"latitude\": 51 }";
        let request = parse_json(json!({ "currentLocation": text })).unwrap();
        assert_eq!(
            request.value(Field::CurrentLocation),
            Some("{\"latitude\":51,\"longitude\":-0.12}")
        );
    }

    #[test]
    fn location_keeps_every_digit() {
        let text = "{\"latitude\":0.1,\"longitude\":-101.59372807011475}";
        let request = parse_json(json!({ "currentLocation": text })).unwrap();
        assert_eq!(request.value(Field::CurrentLocation), Some(text));
    }

    #[test]
    fn invalid_value_names_its_field() {
        let invalid = parse_json(json!({ "city": "Paris", "country": "EN" })).unwrap_err();
        assert_eq!(invalid.field.as_deref(), Some("country"));
        assert!(
            invalid.message.starts_with("country is not"),
            "{}",
            invalid.message
        );
    }

    #[test]
    fn empty_object_is_valid() {
        assert_eq!(parse_json(json!({})).unwrap(), IdentifyRequest::default());
    }
}
