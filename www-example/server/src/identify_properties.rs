//! Property tests of the identify body parser: it never panics, it accepts every valid body with
//! the values normalised, and it rejects a body with one bad member, naming that member. Each
//! property runs a fixed number of generated cases (about 2 s for all of them on a 2-core
//! machine, in a debug build).

use std::collections::BTreeSet;

use herogi::fields::{self, Field, MAX_TEXT_CHARS};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Map, Number, Value as Json};

use crate::identify::{parse, IdentifyRequest};

/// Generated cases per property.
const CASES: u32 = 256;

/// The custom attribute keys that the app defines in these tests.
const DEFINED: [&str; 2] = ["plan", "score"];

fn defined() -> BTreeSet<String> {
    DEFINED.iter().map(|key| key.to_string()).collect()
}

/// The value the parser must keep of a valid member.
#[derive(Clone, Debug)]
enum Expected {
    Text(String),
    CustomAttributes(Map<String, Json>),
}

/// A body member: the field, the JSON value sent, and what the parser must keep.
type Member = (Field, Json, Expected);

/// Generates free text of 1 to 255 characters with no control character, padded with spaces that the
/// parser trims.
fn free_text() -> impl Strategy<Value = (String, String)> {
    ("\\PC{1,255}", " {0,3}", " {0,3}")
        .prop_filter("trims to nothing", |(text, _, _)| !text.trim().is_empty())
        .prop_filter("is the text of a missing value", |(text, _, _)| {
            !fields::is_stringified_nothing(text.trim())
        })
        .prop_map(|(text, before, after)| {
            let expected = text.trim().to_string();
            (format!("{before}{text}{after}"), expected)
        })
}

/// Generates one of the (sent, kept) pairs.
fn one_of(
    pairs: &'static [(&'static str, &'static str)],
) -> impl Strategy<Value = (String, String)> {
    select(pairs).prop_map(|(sent, kept)| (sent.to_string(), kept.to_string()))
}

fn location() -> impl Strategy<Value = (String, String)> {
    (-90.0f64..=90.0, -180.0f64..=180.0).prop_map(|(latitude, longitude)| {
        let sent = json!({ "longitude": longitude, "latitude": latitude }).to_string();
        let text = |value: f64| Number::from_f64(value).unwrap().to_string();
        let kept = fields::location_text(&text(latitude), &text(longitude));
        (sent, kept)
    })
}

fn custom_attributes() -> impl Strategy<Value = (String, Map<String, Json>)> {
    let value = prop_oneof![
        any::<i32>().prop_map(Json::from),
        any::<bool>().prop_map(Json::from),
        "\\PC{0,20}".prop_map(Json::from),
        Just(Json::Null),
    ];
    btree_map(
        select(&["plan", "score", "other", "__proto__"][..]),
        value,
        0..4,
    )
    .prop_map(|entries| {
        let sent: Map<String, Json> = entries
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect();
        let kept = sent
            .iter()
            .filter(|(key, _)| DEFINED.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        (Json::Object(sent).to_string(), kept)
    })
}

/// Generates a valid value of `field`, as text, with the text the parser must keep.
fn valid_text(field: Field) -> BoxedStrategy<(String, String)> {
    match field {
        Field::Email => "[a-z0-9._+-]{1,20}@[a-z0-9]{1,10}\\.[a-z]{2,6}"
            .prop_map(|email| (email.clone(), email))
            .boxed(),
        Field::MobileNo => ("[1-9][0-9]{6,14}", select(&["", " ", "-"][..]))
            .prop_map(|(digits, separator)| {
                let (head, tail) = digits.split_at(3);
                (format!("+{head}{separator}{tail}"), format!("+{digits}"))
            })
            .boxed(),
        Field::Gender => {
            one_of(&[("male", "MALE"), ("FEMALE", "FEMALE"), ("Other", "OTHER")]).boxed()
        }
        Field::Language => {
            one_of(&[("en", "EN"), ("en-US", "EN"), ("FR", "FR"), ("ja_JP", "JA")]).boxed()
        }
        Field::Country => one_of(&[("us", "US"), ("GB", "GB"), ("De", "DE")]).boxed(),
        Field::Timezone => one_of(&[
            ("America/New_York", "America/New_York"),
            ("Europe/London", "Europe/London"),
            ("UTC", "UTC"),
        ])
        .boxed(),
        Field::CurrentLocation => location().boxed(),
        field if field.is_optin() => one_of(&[
            ("OPTIN", "OPTIN"),
            ("optout", "OPTOUT"),
            ("Opt-In", "OPTIN"),
            ("OPT_OUT", "OPTOUT"),
            ("true", "OPTIN"),
        ])
        .boxed(),
        _ => free_text().boxed(),
    }
}

/// Generates a valid member for `field`.
fn valid_member(field: Field) -> BoxedStrategy<Member> {
    if field == Field::CustomAttributes {
        return custom_attributes()
            .prop_map(move |(sent, kept)| {
                (field, Json::from(sent), Expected::CustomAttributes(kept))
            })
            .boxed();
    }
    valid_text(field)
        .prop_map(move |(sent, kept)| (field, Json::from(sent), Expected::Text(kept)))
        .boxed()
}

/// Generates a valid body: each field at most once, in random order.
fn valid_body() -> impl Strategy<Value = Vec<Member>> {
    let members: Vec<_> = fields::ALL
        .iter()
        .map(|field| proptest::option::of(valid_member(*field)))
        .collect();
    members
        .prop_map(|members| members.into_iter().flatten().collect::<Vec<_>>())
        .prop_shuffle()
}

/// Generates a value that every field rejects: a wrong JSON type, text over the length cap, or text with
/// a control character inside.
fn bad_value() -> impl Strategy<Value = Json> {
    let control =
        prop_oneof![0u32..0x20, 0x7fu32..0xa0].prop_map(|code| char::from_u32(code).unwrap());
    prop_oneof![
        any::<i64>().prop_map(Json::from),
        any::<bool>().prop_map(Json::from),
        Just(Json::Null),
        Just(json!(["OPTIN"])),
        Just(json!({ "latitude": 1, "longitude": 2 })),
        (MAX_TEXT_CHARS + 1..MAX_TEXT_CHARS + 300)
            .prop_map(|length| Json::from("a".repeat(length))),
        control.prop_map(|c| Json::from(format!("a{c}b"))),
    ]
}

/// Writes members as a JSON object, keeping their order and any repeats.
fn body_text(members: &[(String, Json)]) -> String {
    let parts: Vec<String> = members
        .iter()
        .map(|(name, value)| format!("{}:{value}", Json::from(name.as_str())))
        .collect();
    format!("{{{}}}", parts.join(","))
}

fn named(members: &[Member]) -> Vec<(String, Json)> {
    members
        .iter()
        .map(|(field, value, _)| (field.name().to_string(), value.clone()))
        .collect()
}

/// Checks that the parsed request keeps exactly the expected values.
fn assert_kept(request: &IdentifyRequest, members: &[Member]) -> Result<(), TestCaseError> {
    let text_fields = members
        .iter()
        .filter(|(field, _, _)| !matches!(field, Field::Hgid | Field::CustomAttributes))
        .count();
    prop_assert_eq!(request.fields.len(), text_fields);
    for (field, _, expected) in members {
        match (field, expected) {
            (Field::Hgid, Expected::Text(kept)) => {
                prop_assert_eq!(request.hgid.as_ref(), Some(kept))
            }
            (Field::CustomAttributes, Expected::CustomAttributes(kept)) => {
                prop_assert_eq!(request.custom_attributes.as_ref(), Some(kept))
            }
            (_, Expected::Text(kept)) => {
                prop_assert_eq!(request.value(*field), Some(kept.as_str()))
            }
            (_, Expected::CustomAttributes(_)) => unreachable!("only customAttributes keeps a map"),
        }
    }
    Ok(())
}

/// Generates a JSON value of any shape, a few levels deep.
fn any_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<f64>().prop_map(Json::from),
        ".{0,40}".prop_map(Json::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Json::from),
            btree_map(
                prop_oneof![
                    select(&fields::ALL[..]).prop_map(|f| f.name().to_string()),
                    ".{0,10}"
                ],
                inner,
                0..6
            )
            .prop_map(|entries| Json::Object(entries.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn valid_bodies_are_accepted(members in valid_body()) {
        let body = body_text(&named(&members));
        let request = parse(body.as_bytes(), &defined());
        prop_assert!(request.is_ok(), "{} rejected: {:?}", body, request);
        assert_kept(&request.unwrap(), &members)?;
    }

    #[test]
    fn one_bad_member_is_named(
        members in valid_body(),
        bad_field in select(&fields::ALL[..]),
        bad in bad_value(),
        position in any::<prop::sample::Index>(),
    ) {
        let mut body = named(&members);
        body.retain(|(name, _)| name != bad_field.name());
        body.insert(position.index(body.len() + 1), (bad_field.name().to_string(), bad));
        let text = body_text(&body);

        let invalid = parse(text.as_bytes(), &defined()).unwrap_err();
        prop_assert_eq!(invalid.field.as_deref(), Some(bad_field.name()), "{}", text);
        prop_assert!(invalid.message.contains(bad_field.name()), "{}", invalid.message);
    }

    #[test]
    fn unknown_member_is_named(
        members in valid_body(),
        name in "\\PC{0,80}",
        position in any::<prop::sample::Index>(),
    ) {
        prop_assume!(Field::from_name(&name).is_none());
        let mut body = named(&members);
        body.insert(position.index(body.len() + 1), (name.clone(), json!("x")));
        let text = body_text(&body);

        let invalid = parse(text.as_bytes(), &defined()).unwrap_err();
        let escaped_name: String = name.escape_debug().take(64).collect();
        prop_assert_eq!(invalid.field, Some(escaped_name));
        prop_assert!(invalid.message.starts_with("unknown field"), "{}", invalid.message);
    }

    #[test]
    fn repeated_member_is_named(members in valid_body(), pick in any::<prop::sample::Index>()) {
        prop_assume!(!members.is_empty());
        let mut body = named(&members);
        let repeat = body[pick.index(body.len())].clone();
        body.push(repeat.clone());
        let text = body_text(&body);

        let invalid = parse(text.as_bytes(), &defined()).unwrap_err();
        prop_assert_eq!(invalid.field, Some(repeat.0));
        prop_assert!(invalid.message.contains("more than once"), "{}", invalid.message);
    }

    #[test]
    fn free_text_is_trimmed_and_capped(text in any::<String>()) {
        let body = json!({ "city": text }).to_string();
        match parse(body.as_bytes(), &defined()) {
            Ok(request) => {
                let kept = request.value(Field::City).unwrap();
                prop_assert_eq!(kept, text.trim());
                prop_assert!(!kept.is_empty());
                prop_assert!(kept.chars().count() <= MAX_TEXT_CHARS);
                prop_assert!(!kept.chars().any(char::is_control));
            }
            Err(invalid) => prop_assert_eq!(invalid.field.as_deref(), Some("city")),
        }
    }

    #[test]
    fn any_json_never_panics(json in any_json()) {
        let body = json.to_string();
        match parse(body.as_bytes(), &defined()) {
            Ok(request) => {
                for (_, kept) in &request.fields {
                    prop_assert!(!kept.chars().any(char::is_control), "{:?}", kept);
                    prop_assert!(kept.chars().count() <= MAX_TEXT_CHARS, "{:?}", kept);
                }
            }
            Err(invalid) => prop_assert!(!invalid.message.is_empty()),
        }
    }

    #[test]
    fn any_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        if let Err(invalid) = parse(&bytes, &defined()) {
            prop_assert!(!invalid.message.is_empty());
        }
    }
}
