//! Field rules of the identify body: each field's accepted inputs with their normalised output,
//! and its rejected inputs with a reason that names the rule.

use herogi::fields::{self, normalize, Field, ALL, PREFERENCES, USER_ATTRIBUTES};
use herogi::value::{Number, Value, UNPAIRED_SURROGATE};

/// One accepted input: the case name, the value and the normalised text.
type Accepted<'a> = (&'a str, Value, &'a str);

/// One rejected input: the case name, the value and a phrase the reason must contain.
type Rejected<'a> = (&'a str, Value, &'a str);

fn object(entries: &[(&str, Value)]) -> Value {
    Value::Object(
        entries
            .iter()
            .map(|(key, value)| (key.to_string(), value.clone()))
            .collect(),
    )
}

fn text(value: &str) -> Value {
    Value::from(value)
}

fn owned(value: String) -> Value {
    Value::String(value)
}

fn assert_accepted(field: Field, cases: &[Accepted]) {
    for (case, input, expected) in cases {
        let result = normalize(field, input);
        assert_eq!(
            result,
            Ok(Some(expected.to_string())),
            "{field:?} {case}: {input:?}"
        );
    }
}

fn assert_rejected(field: Field, cases: &[Rejected]) {
    for (case, input, phrase) in cases {
        let result = normalize(field, input);
        let Err(reason) = result else {
            panic!("{field:?} {case}: {input:?} was accepted as {result:?}");
        };
        assert!(
            reason.contains(phrase),
            "{field:?} {case}: reason {reason:?} does not contain {phrase:?}"
        );
    }
}

const EMAIL_RULE: &str = "is not an email address";

#[test]
fn email_accepted() {
    let max_length = format!("{}@example.com", "a".repeat(242));
    assert_eq!(max_length.chars().count(), 254);
    assert_accepted(
        Field::Email,
        &[
            ("plain", text("ann@example.com"), "ann@example.com"),
            (
                "plus tag",
                text("ann+news@example.com"),
                "ann+news@example.com",
            ),
            (
                "dotted local part",
                text("a.b@example.com"),
                "a.b@example.com",
            ),
            (
                "subdomain",
                text("ann@mail.example.co.uk"),
                "ann@mail.example.co.uk",
            ),
            (
                "hyphen inside label",
                text("ann@my-shop.io"),
                "ann@my-shop.io",
            ),
            ("case kept", text("Ann@Example.COM"), "Ann@Example.COM"),
            ("trimmed", text("  ann@example.com \t"), "ann@example.com"),
            ("254 characters", owned(max_length.clone()), &max_length),
        ],
    );
}

#[test]
fn email_rejected() {
    let too_long = format!("{}@example.com", "a".repeat(243));
    assert_eq!(too_long.chars().count(), 255);
    assert_rejected(
        Field::Email,
        &[
            ("missing @", text("ann.example.com"), EMAIL_RULE),
            ("empty local part", text("@example.com"), EMAIL_RULE),
            (
                "space in local part",
                text("ann lee@example.com"),
                EMAIL_RULE,
            ),
            ("space in domain", text("ann@exam ple.com"), EMAIL_RULE),
            ("no dot in domain", text("ann@localhost"), EMAIL_RULE),
            ("trailing dot label", text("ann@example.com."), EMAIL_RULE),
            ("leading dot label", text("ann@.example.com"), EMAIL_RULE),
            ("empty middle label", text("ann@example..com"), EMAIL_RULE),
            (
                "label starts with hyphen",
                text("ann@-shop.com"),
                EMAIL_RULE,
            ),
            ("label ends with hyphen", text("ann@shop-.com"), EMAIL_RULE),
            ("two @", text("ann@b@example.com"), EMAIL_RULE),
            (
                "one-letter top-level domain",
                text("ann@example.c"),
                EMAIL_RULE,
            ),
            (
                "numeric top-level domain",
                text("ann@example.123"),
                EMAIL_RULE,
            ),
            ("255 characters", owned(too_long), "at most 254 characters"),
            ("empty", text(""), "is empty"),
            ("blank", text("   "), "is empty"),
            (
                "tab inside",
                text("ann\t@example.com"),
                "control characters",
            ),
        ],
    );
}

const MOBILE_RULE: &str = "is not an E.164 phone number";

#[test]
fn mobile_no_accepted() {
    assert_accepted(
        Field::MobileNo,
        &[
            ("compact", text("+14155550123"), "+14155550123"),
            ("spaces", text("+1 415 555 0123"), "+14155550123"),
            ("dashes", text("+1-415-555-0123"), "+14155550123"),
            ("round brackets", text("+1 (415) 555-0123"), "+14155550123"),
            (
                "square brackets",
                text("+44 [20] 7946 0958"),
                "+442079460958",
            ),
            ("trimmed", text("  +66812345678 "), "+66812345678"),
            ("7 digits", text("+1234567"), "+1234567"),
            ("15 digits", text("+123456789012345"), "+123456789012345"),
            (
                "15 digits with separators",
                text("+123 4567-8901 2345"),
                "+123456789012345",
            ),
        ],
    );
}

#[test]
fn mobile_no_rejected() {
    assert_rejected(
        Field::MobileNo,
        &[
            ("no plus", text("14155550123"), MOBILE_RULE),
            ("6 digits", text("+123456"), MOBILE_RULE),
            ("16 digits", text("+1234567890123456"), MOBILE_RULE),
            ("plus alone", text("+"), MOBILE_RULE),
            ("two pluses", text("++14155550123"), MOBILE_RULE),
            ("plus inside", text("1+4155550123"), MOBILE_RULE),
            ("letters", text("+1415555ABCD"), MOBILE_RULE),
            (
                "dots are not stripped",
                text("+1.415.555.0123"),
                MOBILE_RULE,
            ),
            (
                "full-width digits",
                text("+１４１５５５５０１２３"),
                MOBILE_RULE,
            ),
            (
                "number value",
                Value::from(14155550123.0),
                "must be a string",
            ),
            ("empty", text(""), "is empty"),
        ],
    );
}

/// The fields whose rule is trimmed text of at most 255 characters.
const FREE_TEXT: [Field; 8] = [
    Field::Hgid,
    Field::ExternalUserId,
    Field::Firstname,
    Field::Lastname,
    Field::City,
    Field::FacebookId,
    Field::TwitterId,
    Field::LineId,
];

#[test]
fn free_text_accepted() {
    let max_ascii = "x".repeat(255);
    let max_accented = "é".repeat(255);
    let padded = format!("  {max_ascii}  ");
    for field in FREE_TEXT {
        assert_accepted(
            field,
            &[
                ("plain", text("Ann"), "Ann"),
                ("trimmed", text("  Ann Lee \n"), "Ann Lee"),
                ("inner spaces kept", text("Ann  Marie"), "Ann  Marie"),
                ("quotes kept", text("O\"Brien"), "O\"Brien"),
                ("non-ASCII", text("Zoë 東京"), "Zoë 東京"),
                ("255 characters", owned(max_ascii.clone()), &max_ascii),
                (
                    "255 two-byte characters",
                    owned(max_accented.clone()),
                    &max_accented,
                ),
                (
                    "255 characters after trimming",
                    owned(padded.clone()),
                    &max_ascii,
                ),
            ],
        );
    }
}

#[test]
fn free_text_rejected() {
    for field in FREE_TEXT {
        assert_rejected(
            field,
            &[
                (
                    "256 characters",
                    owned("x".repeat(256)),
                    "longer than 255 characters",
                ),
                (
                    "256 two-byte characters",
                    owned("é".repeat(256)),
                    "longer than 255 characters",
                ),
                ("empty", text(""), "is empty"),
                ("blank", text(" \t\n "), "is empty"),
            ],
        );
    }
}

#[test]
fn control_characters_rejected() {
    let cases = [
        ("NUL", "a\u{0}b"),
        ("line feed inside", "a\nb"),
        ("carriage return inside", "a\rb"),
        ("tab inside", "a\tb"),
        ("escape", "a\u{1b}b"),
        ("DEL", "a\u{7f}b"),
        ("C1 control", "a\u{85}b"),
        ("leading NUL", "\u{0}ann"),
    ];
    for field in ALL {
        for (case, input) in cases {
            let result = normalize(field, &text(input));
            let Err(reason) = result else {
                panic!("{field:?} {case}: accepted as {result:?}");
            };
            assert!(
                reason.contains("control characters"),
                "{field:?} {case}: {reason:?}"
            );
        }
    }
}

#[test]
fn gender_accepted() {
    assert_accepted(
        Field::Gender,
        &[
            ("male upper case", text("MALE"), "MALE"),
            ("female lower case", text("female"), "FEMALE"),
            ("other mixed case", text("oThEr"), "OTHER"),
            ("capitalised", text("Male"), "MALE"),
            ("trimmed", text(" female "), "FEMALE"),
        ],
    );
}

#[test]
fn gender_rejected() {
    const RULE: &str = "must be MALE, FEMALE or OTHER";
    assert_rejected(
        Field::Gender,
        &[
            ("initial", text("M"), RULE),
            ("unknown word", text("unknown"), RULE),
            ("prefix", text("fem"), RULE),
            ("inner space", text("MA LE"), RULE),
            ("boolean", Value::from(true), "must be a string"),
        ],
    );
}

#[test]
fn language_accepted() {
    assert_accepted(
        Field::Language,
        &[
            ("upper case code", text("EN"), "EN"),
            ("lower case code", text("th"), "TH"),
            ("mixed case code", text("De"), "DE"),
            ("BCP 47 region tag", text("en-US"), "EN"),
            ("lower case region tag", text("pt-br"), "PT"),
            ("underscore script and region", text("zh_Hant_TW"), "ZH"),
            ("hyphen script and region", text("zh-Hans-CN"), "ZH"),
            ("trimmed", text(" fr-CA "), "FR"),
        ],
    );
}

#[test]
fn language_rejected() {
    const RULE: &str = "is not an ISO 639-1 language code";
    assert_rejected(
        Field::Language,
        &[
            ("three-letter code", text("eng"), RULE),
            ("unassigned code", text("xx"), RULE),
            ("unassigned code in a tag", text("xx-US"), RULE),
            ("three-letter code in a tag", text("fil-PH"), RULE),
            ("one letter", text("e"), RULE),
            ("English name", text("English"), RULE),
            ("leading hyphen", text("-en"), RULE),
            ("digits", text("12"), RULE),
        ],
    );
}

#[test]
fn country_accepted() {
    assert_accepted(
        Field::Country,
        &[
            ("lower case", text("us"), "US"),
            ("upper case", text("GB"), "GB"),
            ("mixed case", text("tH"), "TH"),
            ("trimmed", text(" jp "), "JP"),
        ],
    );
}

#[test]
fn country_rejected() {
    const RULE: &str = "is not an ISO 3166-1 alpha-2 country code";
    assert_rejected(
        Field::Country,
        &[
            ("language code EN", text("EN"), RULE),
            ("UK is not the code of Great Britain", text("UK"), RULE),
            ("alpha-3", text("USA"), RULE),
            ("one letter", text("U"), RULE),
            ("region tag", text("en-US"), RULE),
            ("full name", text("Thailand"), RULE),
        ],
    );
}

#[test]
fn timezone_accepted() {
    assert_accepted(
        Field::Timezone,
        &[
            (
                "area and city",
                text("America/New_York"),
                "America/New_York",
            ),
            (
                "three parts",
                text("America/Argentina/Buenos_Aires"),
                "America/Argentina/Buenos_Aires",
            ),
            ("UTC", text("UTC"), "UTC"),
            ("GMT", text("GMT"), "GMT"),
            ("Etc offset", text("Etc/GMT+5"), "Etc/GMT+5"),
            ("Etc negative offset", text("Etc/GMT-14"), "Etc/GMT-14"),
            ("Etc/UTC", text("Etc/UTC"), "Etc/UTC"),
            (
                "hyphens in city",
                text("America/Port-au-Prince"),
                "America/Port-au-Prince",
            ),
            ("trimmed", text(" Asia/Bangkok "), "Asia/Bangkok"),
        ],
    );
}

#[test]
fn timezone_rejected() {
    const RULE: &str = "is not an IANA time zone name";
    assert_rejected(
        Field::Timezone,
        &[
            ("city without area", text("New_York"), RULE),
            ("unknown area", text("Mars/Base"), RULE),
            ("space in city", text("America/New York"), RULE),
            ("lower case area", text("america/new_york"), RULE),
            ("empty city", text("America/"), RULE),
            ("double slash", text("America//New_York"), RULE),
            ("trailing slash", text("America/New_York/"), RULE),
            ("four parts", text("America/A/B/C"), RULE),
            ("offset text", text("+07:00"), RULE),
            ("abbreviation", text("PST"), RULE),
            ("path traversal", text("Etc/../UTC"), RULE),
        ],
    );
}

#[test]

fn timezone_etc_alone_rejected() {
    assert_rejected(
        Field::Timezone,
        &[("Etc", text("Etc"), "is not an IANA time zone name")],
    );
}

#[test]

fn timezone_single_word_zones_accepted() {
    assert_accepted(
        Field::Timezone,
        &[
            ("CET", text("CET"), "CET"),
            ("EST5EDT", text("EST5EDT"), "EST5EDT"),
            ("Poland", text("Poland"), "Poland"),
            ("Portugal", text("Portugal"), "Portugal"),
        ],
    );
}

const LOCATION_RULE: &str = "latitude in [-90, 90] and longitude in [-180, 180]";

fn location(latitude: Value, longitude: Value) -> Value {
    object(&[("latitude", latitude), ("longitude", longitude)])
}

#[test]
fn current_location_accepted() {
    assert_accepted(
        Field::CurrentLocation,
        &[
            (
                "example of the API",
                location(Value::from(12.12), Value::from(100.31)),
                r#"{"latitude":12.12,"longitude":100.31}"#,
            ),
            (
                "negative coordinates",
                location(Value::from(-33.8688), Value::from(-151.2093)),
                r#"{"latitude":-33.8688,"longitude":-151.2093}"#,
            ),
            (
                "integers",
                location(Value::from(0.0), Value::from(0.0)),
                r#"{"latitude":0,"longitude":0}"#,
            ),
            (
                "upper bounds",
                location(Value::from(90.0), Value::from(180.0)),
                r#"{"latitude":90,"longitude":180}"#,
            ),
            (
                "lower bounds",
                location(Value::from(-90.0), Value::from(-180.0)),
                r#"{"latitude":-90,"longitude":-180}"#,
            ),
            (
                "keys in other order, extra key ignored",
                object(&[
                    ("accuracy", Value::from(20.0)),
                    ("longitude", Value::from(100.5)),
                    ("latitude", Value::from(13.75)),
                ]),
                r#"{"latitude":13.75,"longitude":100.5}"#,
            ),
        ],
    );
}

#[test]
fn current_location_uses_number_text() {
    let tiny = Value::Number(Number {
        value: 1e-7,
        text: "1e-7".to_string(),
    });
    let result = normalize(Field::CurrentLocation, &location(tiny, Value::from(2.5)));
    assert_eq!(
        result,
        Ok(Some(r#"{"latitude":1e-7,"longitude":2.5}"#.to_string()))
    );
}

#[test]
fn current_location_rejected() {
    let nan = Value::from(f64::NAN);
    let infinity = Value::from(f64::INFINITY);
    assert_rejected(
        Field::CurrentLocation,
        &[
            (
                "latitude above 90",
                location(Value::from(90.0001), Value::from(0.0)),
                LOCATION_RULE,
            ),
            (
                "latitude below -90",
                location(Value::from(-90.5), Value::from(0.0)),
                LOCATION_RULE,
            ),
            (
                "longitude below -180",
                location(Value::from(0.0), Value::from(-180.5)),
                LOCATION_RULE,
            ),
            (
                "longitude above 180",
                location(Value::from(0.0), Value::from(180.0001)),
                LOCATION_RULE,
            ),
            (
                "string coordinates",
                location(text("12.12"), text("100.31")),
                LOCATION_RULE,
            ),
            (
                "string longitude",
                location(Value::from(12.12), text("100.31")),
                LOCATION_RULE,
            ),
            (
                "missing longitude",
                object(&[("latitude", Value::from(12.12))]),
                LOCATION_RULE,
            ),
            (
                "missing latitude",
                object(&[("longitude", Value::from(100.31))]),
                LOCATION_RULE,
            ),
            (
                "short key names",
                object(&[("lat", Value::from(1.0)), ("lng", Value::from(2.0))]),
                LOCATION_RULE,
            ),
            (
                "NaN latitude",
                location(nan.clone(), Value::from(0.0)),
                LOCATION_RULE,
            ),
            (
                "NaN longitude",
                location(Value::from(0.0), nan),
                LOCATION_RULE,
            ),
            (
                "infinite latitude",
                location(infinity, Value::from(0.0)),
                LOCATION_RULE,
            ),
            (
                "null coordinates",
                location(Value::Null, Value::Null),
                LOCATION_RULE,
            ),
            ("empty object", object(&[]), LOCATION_RULE),
            (
                "JSON text",
                text(r#"{"latitude":12.12,"longitude":100.31}"#),
                LOCATION_RULE,
            ),
            (
                "array",
                Value::Array(vec![Value::from(12.12), Value::from(100.31)]),
                LOCATION_RULE,
            ),
            ("number", Value::from(12.12), LOCATION_RULE),
            ("boolean", Value::from(true), LOCATION_RULE),
        ],
    );
}

#[test]
fn optins_accepted() {
    for field in PREFERENCES {
        assert_accepted(
            field,
            &[
                ("OPTIN", text("OPTIN"), "OPTIN"),
                ("OPTOUT", text("OPTOUT"), "OPTOUT"),
                ("lower case", text("optout"), "OPTOUT"),
                ("hyphen", text("Opt-In"), "OPTIN"),
                ("underscore", text("OPT_IN"), "OPTIN"),
                ("space", text("opt out"), "OPTOUT"),
                ("trimmed", text(" optin "), "OPTIN"),
                ("text true", text("true"), "OPTIN"),
                ("text false", text("FALSE"), "OPTOUT"),
                ("boolean true", Value::from(true), "OPTIN"),
                ("boolean false", Value::from(false), "OPTOUT"),
            ],
        );
    }
}

#[test]
fn optins_rejected() {
    const RULE: &str = "must be OPTIN or OPTOUT";
    for field in PREFERENCES {
        assert_rejected(
            field,
            &[
                ("yes", text("yes"), RULE),
                ("no", text("no"), RULE),
                ("in alone", text("in"), RULE),
                ("digit text", text("1"), RULE),
                ("number one", Value::from(1.0), RULE),
                ("number zero", Value::from(0.0), RULE),
                ("array", Value::Array(vec![text("OPTIN")]), RULE),
                ("object", object(&[("value", text("OPTIN"))]), RULE),
                ("empty", text(""), "is empty"),
            ],
        );
    }
}

/// The fields that accept a number and send its text.
const NUMBER_FIELDS: [Field; 4] = [
    Field::ExternalUserId,
    Field::FacebookId,
    Field::TwitterId,
    Field::LineId,
];

#[test]
fn numbers_accepted_for_ids() {
    for field in NUMBER_FIELDS {
        assert_accepted(
            field,
            &[
                ("integer", Value::from(123.0), "123"),
                (
                    "large integer",
                    Value::from(1234567890123.0),
                    "1234567890123",
                ),
                ("fraction", Value::from(1.5), "1.5"),
                ("negative", Value::from(-7.0), "-7"),
                ("negative zero", Value::from(-0.0), "0"),
            ],
        );
    }
}

#[test]
fn non_finite_ids_rejected() {
    for field in NUMBER_FIELDS {
        assert_rejected(
            field,
            &[
                ("NaN", Value::from(f64::NAN), "is not a finite number"),
                (
                    "infinity",
                    Value::from(f64::INFINITY),
                    "is not a finite number",
                ),
                (
                    "negative infinity",
                    Value::from(f64::NEG_INFINITY),
                    "is not a finite number",
                ),
            ],
        );
    }
}

#[test]
fn numbers_rejected_for_text_fields() {
    let text_fields = [
        Field::Hgid,
        Field::Email,
        Field::MobileNo,
        Field::Firstname,
        Field::Lastname,
        Field::City,
        Field::Gender,
        Field::Language,
        Field::Country,
        Field::Timezone,
    ];
    for field in text_fields {
        assert_rejected(field, &[("number", Value::from(123.0), "must be a string")]);
    }
}

#[test]
fn other_kinds_rejected_for_text_fields() {
    for field in FREE_TEXT {
        assert_rejected(
            field,
            &[
                ("boolean", Value::from(true), "must be a string"),
                ("array", Value::Array(vec![text("Ann")]), "must be a string"),
                (
                    "object",
                    object(&[("name", text("Ann"))]),
                    "must be a string",
                ),
                ("function", Value::Function, "must be a string"),
                ("BigInt", Value::Unsupported("a BigInt"), "must be a string"),
            ],
        );
    }
}

#[test]
fn nullish_is_absent() {
    for field in ALL {
        assert_eq!(normalize(field, &Value::Null), Ok(None), "{field:?} null");
        assert_eq!(
            normalize(field, &Value::Undefined),
            Ok(None),
            "{field:?} undefined"
        );
    }
}

#[test]
fn custom_attributes_text_rejected() {
    let result = normalize(Field::CustomAttributes, &text(r#"{"plan":"pro"}"#));
    assert_eq!(result, Err("must be an object"));
}

#[test]

fn custom_attributes_object_accepted() {
    let custom = object(&[("plan", text("pro"))]);
    let result = normalize(Field::CustomAttributes, &custom);
    assert_eq!(result, Ok(Some(r#"{"plan":"pro"}"#.to_string())));
}

#[test]
fn from_key_any_case() {
    let cases = [
        ("exact", "firstname", Field::Firstname),
        ("camel case", "firstName", Field::Firstname),
        ("upper case", "GENDER", Field::Gender),
        ("lower case", "mobileno", Field::MobileNo),
        ("mixed case", "CurrentLocation", Field::CurrentLocation),
        ("id suffix upper case", "FACEBOOKID", Field::FacebookId),
    ];
    for (case, key, expected) in cases {
        assert_eq!(
            Field::from_key(key, &USER_ATTRIBUTES),
            Some(expected),
            "{case}: {key}"
        );
    }
}

#[test]
fn from_key_misspellings() {
    let cases = [
        ("firsname", "firsname"),
        ("firtname", "firtname"),
        ("firsname upper case", "FIRSNAME"),
        ("firtname camel case", "firtName"),
    ];
    for (case, key) in cases {
        assert_eq!(
            Field::from_key(key, &USER_ATTRIBUTES),
            Some(Field::Firstname),
            "{case}: {key}"
        );
    }
}

#[test]
fn from_key_unknown() {
    let cases = [
        ("unknown word", "nickname"),
        ("empty", ""),
        ("trailing space", "email "),
        ("other misspelling", "frstname"),
        ("misspelling of lastname", "lasname"),
        ("body-only field", "hgid"),
        ("externalUserId", "externalUserId"),
        ("customAttributes", "customAttributes"),
    ];
    for (case, key) in cases {
        assert_eq!(
            Field::from_key(key, &USER_ATTRIBUTES),
            None,
            "{case}: {key}"
        );
    }
}

#[test]
fn from_key_preferences_not_user_attributes() {
    for field in PREFERENCES {
        assert_eq!(
            Field::from_key(field.name(), &USER_ATTRIBUTES),
            None,
            "{field:?} in userAttributes"
        );
        assert_eq!(
            Field::from_key(field.name(), &PREFERENCES),
            Some(field),
            "{field:?} in preferences"
        );
    }
    assert_eq!(
        Field::from_key("WEBPUSHOPTIN", &PREFERENCES),
        Some(Field::WebPushOptin)
    );
    assert_eq!(Field::from_key("email", &PREFERENCES), None);
    assert_eq!(Field::from_key("firsname", &PREFERENCES), None);
}

#[test]
fn from_name_round_trip() {
    for field in ALL {
        assert_eq!(Field::from_name(field.name()), Some(field), "{field:?}");
    }
}

#[test]
fn from_name_exact_case() {
    let cases = [
        ("capitalised", "Email"),
        ("lower case", "mobileno"),
        ("misspelling", "firsname"),
        ("unknown", "nickname"),
        ("empty", ""),
    ];
    for (case, name) in cases {
        assert_eq!(Field::from_name(name), None, "{case}: {name}");
    }
}

#[test]
fn all_fields_unique_in_order() {
    assert_eq!(ALL.len(), 21);
    for pair in ALL.windows(2) {
        assert!(pair[0] < pair[1], "{:?} before {:?}", pair[0], pair[1]);
    }
    let mut names: Vec<&str> = ALL.iter().map(|field| field.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ALL.len());
}

#[test]
fn argument_field_lists_disjoint() {
    for field in USER_ATTRIBUTES {
        assert!(!field.is_optin(), "{field:?} is an opt-in");
        assert!(!PREFERENCES.contains(&field), "{field:?} in both lists");
    }
    for field in PREFERENCES {
        assert!(field.is_optin(), "{field:?} is not an opt-in");
    }
}

#[test]
fn max_lengths() {
    assert_eq!(fields::MAX_TEXT_CHARS, 255);
    assert_eq!(fields::MAX_EMAIL_CHARS, 254);
}

#[test]
fn external_user_id_rejects_stringified_nothing() {
    for text in ["undefined", "NULL", " null "] {
        let result = normalize(Field::ExternalUserId, &Value::from(text));
        assert!(result.is_err(), "{text:?} was accepted");
    }
    let kept = normalize(Field::ExternalUserId, &Value::from("nullable-user"));
    assert_eq!(kept, Ok(Some("nullable-user".to_string())));
}

#[test]
fn unpaired_surrogate_named_in_reason() {
    for field in [Field::Firstname, Field::Email, Field::EmailOptin] {
        let reason = normalize(field, &Value::Unsupported(UNPAIRED_SURROGATE)).unwrap_err();
        assert!(
            reason.contains("unpaired UTF-16 surrogate"),
            "{field:?}: {reason}"
        );
    }
}
