//! The body fields of `POST /v1/identify`, with the rule and normalisation of each one.
//!
//! The SDK applies these rules to what a page passes to `identify`, and the local server applies
//! the same ones to what it receives, so the two never disagree.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::bytes;
use crate::iso;
use crate::json;
use crate::value::{Value, UNPAIRED_SURROGATE};

/// Maximum length, in characters, of free text, ids and `externalUserId`.
pub const MAX_TEXT_CHARS: usize = 255;

/// Maximum length of an email address, in characters (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// One field of the identify body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// The platform's id of the visitor.
    Hgid,
    /// The site's own id of the user.
    ExternalUserId,
    /// Email address.
    Email,
    /// Phone number in E.164.
    MobileNo,
    /// First name.
    Firstname,
    /// Last name.
    Lastname,
    /// City.
    City,
    /// `MALE`, `FEMALE` or `OTHER`.
    Gender,
    /// ISO 639-1 language code.
    Language,
    /// ISO 3166-1 alpha-2 country code.
    Country,
    /// IANA time zone name.
    Timezone,
    /// JSON text `{"latitude":..,"longitude":..}`.
    CurrentLocation,
    /// Facebook id.
    FacebookId,
    /// Twitter id.
    TwitterId,
    /// LINE id.
    LineId,
    /// JSON text of the site-defined attributes object.
    CustomAttributes,
    /// Email consent.
    EmailOptin,
    /// SMS consent.
    SmsOptin,
    /// Push consent.
    PushOptin,
    /// Web push consent.
    WebPushOptin,
    /// Location consent.
    LocationOptin,
}

/// Every field, in the order a body lists them.
pub const ALL: [Field; 21] = [
    Field::Hgid,
    Field::ExternalUserId,
    Field::Email,
    Field::MobileNo,
    Field::Firstname,
    Field::Lastname,
    Field::City,
    Field::Gender,
    Field::Language,
    Field::Country,
    Field::Timezone,
    Field::CurrentLocation,
    Field::FacebookId,
    Field::TwitterId,
    Field::LineId,
    Field::CustomAttributes,
    Field::EmailOptin,
    Field::SmsOptin,
    Field::PushOptin,
    Field::WebPushOptin,
    Field::LocationOptin,
];

/// The fields a page may give in `userAttributes`.
pub const USER_ATTRIBUTES: [Field; 13] = [
    Field::Email,
    Field::MobileNo,
    Field::Firstname,
    Field::Lastname,
    Field::City,
    Field::Gender,
    Field::Language,
    Field::Country,
    Field::Timezone,
    Field::CurrentLocation,
    Field::FacebookId,
    Field::TwitterId,
    Field::LineId,
];

/// The opt-in fields, given in `preferences`.
pub const PREFERENCES: [Field; 5] = [
    Field::EmailOptin,
    Field::SmsOptin,
    Field::PushOptin,
    Field::WebPushOptin,
    Field::LocationOptin,
];

impl Field {
    /// Returns the field's name in the JSON body (`"mobileNo"`).
    pub fn name(self) -> &'static str {
        match self {
            Field::Hgid => "hgid",
            Field::ExternalUserId => "externalUserId",
            Field::Email => "email",
            Field::MobileNo => "mobileNo",
            Field::Firstname => "firstname",
            Field::Lastname => "lastname",
            Field::City => "city",
            Field::Gender => "gender",
            Field::Language => "language",
            Field::Country => "country",
            Field::Timezone => "timezone",
            Field::CurrentLocation => "currentLocation",
            Field::FacebookId => "facebookId",
            Field::TwitterId => "twitterId",
            Field::LineId => "lineId",
            Field::CustomAttributes => "customAttributes",
            Field::EmailOptin => "emailOptin",
            Field::SmsOptin => "smsOptin",
            Field::PushOptin => "pushOptin",
            Field::WebPushOptin => "webPushOptin",
            Field::LocationOptin => "locationOptin",
        }
    }

    /// Finds a field by its exact body name, as the server receives it.
    pub fn from_name(name: &str) -> Option<Field> {
        ALL.into_iter().find(|field| field.name() == name)
    }

    /// Finds a `userAttributes` or `preferences` field by a key a page wrote: any case, and the
    /// misspellings `firsname` and `firtname` of the platform's own docs mean `firstname`.
    pub fn from_key(key: &str, allowed: &[Field]) -> Option<Field> {
        let wanted = if key.eq_ignore_ascii_case("firsname") || key.eq_ignore_ascii_case("firtname")
        {
            "firstname"
        } else {
            key
        };
        allowed
            .iter()
            .copied()
            .find(|field| field.name().eq_ignore_ascii_case(wanted))
    }

    /// Returns whether the field is one of the five opt-ins.
    pub fn is_optin(self) -> bool {
        PREFERENCES.contains(&self)
    }
}

/// Why a value was dropped: a phrase that follows the value in a message.
pub type Reason = &'static str;

/// Checks and normalises one field's value. `Ok(None)` means the value is absent (`undefined`
/// or `null`) and the field is left out.
///
/// # Errors
///
/// Returns the reason when the value breaks the field's rule.
pub fn normalize(field: Field, value: &Value) -> Result<Option<String>, Reason> {
    match value {
        Value::Undefined | Value::Null => Ok(None),
        Value::String(text) => normalize_text(field, text).map(Some),
        Value::Number(number) if accepts_number(field) => {
            if number.value.is_finite() {
                normalize_text(field, &number.text).map(Some)
            } else {
                Err("is not a finite number")
            }
        }
        Value::Bool(flag) if field.is_optin() => Ok(Some(optin_text(*flag).to_string())),
        Value::Object(_) if field == Field::CurrentLocation => location(value).map(Some),
        Value::Object(_) if field == Field::CustomAttributes => {
            let mut text = String::new();
            json::push_value(&mut text, value)
                .map_err(|_| "holds a value that JSON cannot hold")?;
            Ok(Some(text))
        }
        Value::Unsupported(kind) if *kind == UNPAIRED_SURROGATE => {
            Err("contains an unpaired UTF-16 surrogate")
        }
        _ if field.is_optin() => Err("must be OPTIN or OPTOUT (any case), or a boolean"),
        _ if field == Field::CurrentLocation => Err(LOCATION_RULE),
        _ => Err("must be a string"),
    }
}

/// Checks and normalises one field's value given as text.
///
/// # Errors
///
/// Returns the reason when the text breaks the field's rule.
pub fn normalize_text(field: Field, raw: &str) -> Result<String, Reason> {
    let text = raw.trim();
    if text.is_empty() {
        return Err("is empty");
    }
    if text.chars().any(char::is_control) {
        return Err("contains control characters");
    }
    match field {
        Field::Email => email(text),
        Field::MobileNo => mobile(text),
        Field::Gender => one_of(text, &["MALE", "FEMALE", "OTHER"])
            .ok_or("must be MALE, FEMALE or OTHER (any case)"),
        Field::Language => language(text),
        Field::Country => {
            iso::country(text).ok_or("is not an ISO 3166-1 alpha-2 country code such as US or GB")
        }
        Field::Timezone => timezone(text),
        Field::CurrentLocation => Err(LOCATION_RULE),
        Field::CustomAttributes => Err("must be an object"),
        field if field.is_optin() => optin(text),
        Field::ExternalUserId | Field::Hgid if is_stringified_nothing(text) => {
            Err("is the text of a missing value (\"undefined\" or \"null\")")
        }
        _ => capped(text),
    }
}

/// Returns the opt-in text of a boolean.
pub fn optin_text(flag: bool) -> &'static str {
    if flag {
        "OPTIN"
    } else {
        "OPTOUT"
    }
}

fn accepts_number(field: Field) -> bool {
    matches!(
        field,
        Field::ExternalUserId | Field::FacebookId | Field::TwitterId | Field::LineId
    )
}

/// Returns whether `text` is an hgid that the field rules keep unchanged, as one from the
/// server or from storage must be before the SDK keeps it.
pub fn valid_hgid(text: &str) -> bool {
    normalize_text(Field::Hgid, text).is_ok_and(|kept| kept == text)
}

/// Returns whether `text` is what a missing value becomes when a page turns it into a string.
pub fn is_stringified_nothing(text: &str) -> bool {
    text.eq_ignore_ascii_case("undefined") || text.eq_ignore_ascii_case("null")
}

fn capped(text: &str) -> Result<String, Reason> {
    if bytes::char_count(text) > MAX_TEXT_CHARS {
        return Err("is longer than 255 characters");
    }
    Ok(text.to_string())
}

fn one_of(text: &str, allowed: &[&'static str]) -> Option<String> {
    allowed
        .iter()
        .find(|name| name.eq_ignore_ascii_case(text))
        .map(|name| name.to_string())
}

fn optin(text: &str) -> Result<String, Reason> {
    let compact: String = text
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    match compact.as_str() {
        "OPTIN" | "TRUE" => Ok("OPTIN".to_string()),
        "OPTOUT" | "FALSE" => Ok("OPTOUT".to_string()),
        _ => Err("must be OPTIN or OPTOUT (any case), or a boolean"),
    }
}

fn email(text: &str) -> Result<String, Reason> {
    const RULE: Reason = "is not an email address: expected local@domain.tld with no spaces, \
                          at most 254 characters";
    if bytes::char_count(text) > MAX_EMAIL_CHARS || text.chars().any(char::is_whitespace) {
        return Err(RULE);
    }
    let (local, domain) = bytes::split_once(text, b'@').ok_or(RULE)?;
    let labels_ok = bytes::split(domain, b'.').all(|label| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && !bytes::contains(label, b'@')
    });
    let tld = bytes::rsplit_once(domain, b'.').map_or(domain, |(_, tld)| tld);
    let tld_ok = bytes::char_count(tld) >= 2 && !tld.bytes().all(|b| b.is_ascii_digit());
    if local.is_empty() || !bytes::contains(domain, b'.') || !labels_ok || !tld_ok {
        return Err(RULE);
    }
    Ok(text.to_string())
}

fn mobile(text: &str) -> Result<String, Reason> {
    let compact: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '[' | ']'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or("");
    if (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(compact)
    } else {
        Err("is not an E.164 phone number: expected + then 7 to 15 digits, such as +14155550123")
    }
}

fn language(text: &str) -> Result<String, Reason> {
    let end = text
        .bytes()
        .position(|b| b == b'-' || b == b'_')
        .unwrap_or(text.len());
    let primary = text.get(..end).unwrap_or("");
    iso::language(primary)
        .ok_or("is not an ISO 639-1 language code such as EN, or a tag such as en-US")
}

/// Areas that begin IANA zone names, the legacy ones (`US/Eastern`) included.
const ZONE_AREAS: [&str; 16] = [
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
    "Etc",
    "US",
    "Canada",
    "Brazil",
    "Chile",
    "Mexico",
];

/// IANA zone names of one word (tzdata 2024 and later, the `backward` file included).
const SINGLE_ZONES: &str = "CET CST6CDT Cuba EET EST EST5EDT Egypt Eire GB GB-Eire GMT GMT+0 \
                            GMT-0 GMT0 Greenwich HST Hongkong Iceland Iran Israel Jamaica Japan \
                            Kwajalein Libya MET MST MST7MDT NZ NZ-CHAT Navajo PRC PST8PDT Poland \
                            Portugal ROC ROK Singapore Turkey UCT UTC Universal W-SU WET Zulu";

/// Checks the shape of an IANA zone name (an area and one or two parts, or `UTC`). The full
/// zone list is not embedded: it would cost the wasm more than every other rule together.
fn timezone(text: &str) -> Result<String, Reason> {
    const RULE: Reason = "is not an IANA time zone name such as America/New_York or UTC";
    let mut parts = bytes::split(text, b'/');
    let area = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    let part_ok = |part: &&str| {
        part.len() <= 30
            && part.starts_with(|c: char| c.is_ascii_alphabetic())
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
    };
    let valid = if rest.is_empty() {
        SINGLE_ZONES
            .split_ascii_whitespace()
            .any(|zone| zone == area)
    } else {
        ZONE_AREAS.contains(&area) && rest.len() <= 2 && rest.iter().all(part_ok)
    };
    if valid {
        Ok(text.to_string())
    } else {
        Err(RULE)
    }
}

const LOCATION_RULE: Reason = "must be an object {latitude, longitude} of numbers, with \
                               latitude in [-90, 90] and longitude in [-180, 180]";

/// Builds the `currentLocation` text from an object with finite `latitude` and `longitude`
/// numbers in range.
///
/// # Errors
///
/// Returns the reason when a coordinate is missing, not a number, or out of range.
pub fn location(value: &Value) -> Result<String, Reason> {
    let coordinate = |key: &str, limit: f64| match value.get(key) {
        Some(Value::Number(number)) if number.value.abs() <= limit => Ok(number.text.as_str()),
        _ => Err(LOCATION_RULE),
    };
    let latitude = coordinate("latitude", 90.0)?;
    let longitude = coordinate("longitude", 180.0)?;
    Ok(location_text(latitude, longitude))
}

/// Writes `{"latitude":..,"longitude":..}` from two numbers' JSON texts.
pub fn location_text(latitude: &str, longitude: &str) -> String {
    [
        "{\"latitude\":",
        latitude,
        ",\"longitude\":",
        longitude,
        "}",
    ]
    .concat()
}
