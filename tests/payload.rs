//! Identify requests built from `identify` arguments: the JSON body, the fields kept, and the
//! values dropped with their reasons.

use herogi::args::shift;
use herogi::fields::Field;
use herogi::payload::{Dropped, Identify, Section, MAX_BODY_BYTES, MAX_CUSTOM_ATTRIBUTES_BYTES};
use herogi::value::{Number, Value};

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

/// Shifts the arguments of an `identify` call and builds its request.
fn identify(args: &[Value]) -> Identify {
    let shifted = shift(args).expect("identify arguments are valid");
    Identify::build(args, &shifted)
}

fn dropped(section: Section, key: &str, field: &str, reason: &str) -> Dropped {
    Dropped {
        section,
        key: key.to_string(),
        field: field.to_string(),
        reason: reason.to_string(),
    }
}

/// Builds user attributes that set every field, in an order other than the body's and with keys
/// in mixed case.
fn full_user_attributes() -> Value {
    object(&[
        ("lineId", text("ann.lee")),
        ("GENDER", text("female")),
        ("firstName", text("Ann")),
        ("EMAIL", text(" Ann@Example.com ")),
        ("twitterid", text("@ann")),
        (
            "CurrentLocation",
            object(&[
                ("latitude", Value::from(13.75)),
                ("longitude", Value::from(100.5)),
            ]),
        ),
        ("city", text("  Bangkok ")),
        ("Language", text("en-US")),
        ("facebookId", Value::from(123.0)),
        ("TimeZone", text("Asia/Bangkok")),
        ("mobileNo", text("+66 (81) 234-5678")),
        ("COUNTRY", text("th")),
        ("LastName", text("Lee")),
    ])
}

fn full_custom_attributes() -> Value {
    object(&[
        ("plan", text("pro")),
        ("score", Value::from(12.5)),
        ("tags", Value::Array(vec![text("a"), text("b")])),
        ("verified", Value::from(true)),
        ("referrer", Value::Null),
    ])
}

fn full_preferences() -> Value {
    object(&[
        ("locationOptin", text("OPT_IN")),
        ("SMSOPTIN", Value::from(false)),
        ("emailOptin", text("optin")),
        ("webPushOptIn", Value::from(true)),
        ("pushOptin", text("Opt-Out")),
    ])
}

const FULL_BODY: &str = concat!(
    r#"{"hgid":"hg-1","externalUserId":"user-42","email":"Ann@Example.com","#,
    r#""mobileNo":"+66812345678","firstname":"Ann","lastname":"Lee","city":"Bangkok","#,
    r#""gender":"FEMALE","language":"EN","country":"TH","timezone":"Asia/Bangkok","#,
    r#""currentLocation":"{\"latitude\":13.75,\"longitude\":100.5}","#,
    r#""facebookId":"123","twitterId":"@ann","lineId":"ann.lee","#,
    r#""customAttributes":"{\"plan\":\"pro\",\"score\":12.5,\"tags\":[\"a\",\"b\"],"#,
    r#"\"verified\":true,\"referrer\":null}","#,
    r#""emailOptin":"OPTIN","smsOptin":"OPTOUT","pushOptin":"OPTOUT","#,
    r#""webPushOptin":"OPTIN","locationOptin":"OPTIN"}"#,
);

#[test]
fn full_call_exact_body() {
    let request = identify(&[
        text("user-42"),
        full_user_attributes(),
        full_custom_attributes(),
        full_preferences(),
        Value::Function,
    ]);
    assert_eq!(request.dropped, vec![]);
    assert_eq!(request.body(Some("hg-1")), FULL_BODY);
}

#[test]
fn full_call_fields_in_body_order() {
    let request = identify(&[
        text("user-42"),
        full_user_attributes(),
        full_custom_attributes(),
        full_preferences(),
    ]);
    let order: Vec<Field> = request.fields.iter().map(|(field, _)| *field).collect();
    let expected: Vec<Field> = herogi::fields::ALL[2..].to_vec();
    assert_eq!(order, expected);
}

#[test]
fn null_external_id_same_body() {
    let with_null = identify(&[
        Value::Null,
        full_user_attributes(),
        full_custom_attributes(),
        full_preferences(),
        Value::Function,
    ]);
    let with_undefined = identify(&[
        Value::Undefined,
        full_user_attributes(),
        full_custom_attributes(),
        full_preferences(),
        Value::Function,
    ]);
    let shifted = identify(&[
        full_user_attributes(),
        full_custom_attributes(),
        full_preferences(),
        Value::Function,
    ]);
    let expected = FULL_BODY.replace(r#""externalUserId":"user-42","#, "");
    assert_eq!(with_null.body(Some("hg-1")), expected);
    assert_eq!(with_undefined.body(Some("hg-1")), expected);
    assert_eq!(shifted.body(Some("hg-1")), expected);
}

#[test]
fn body_without_hgid() {
    let cases = [
        (
            "externalId and a field",
            vec![text("user-42"), object(&[("email", text("a@b.co"))])],
            r#"{"externalUserId":"user-42","email":"a@b.co"}"#,
        ),
        (
            "number externalId",
            vec![Value::from(42.0)],
            r#"{"externalUserId":"42"}"#,
        ),
        (
            "a field alone",
            vec![object(&[("city", text("Oslo"))])],
            r#"{"city":"Oslo"}"#,
        ),
        ("no arguments", vec![], "{}"),
        (
            "null arguments and a callback",
            vec![Value::Null, Value::Null, Value::Null, Value::Function],
            "{}",
        ),
    ];
    for (case, args, expected) in cases {
        assert_eq!(identify(&args).body(None), expected, "{case}");
    }
}

#[test]
fn hgid_comes_first() {
    let request = identify(&[text("user-42"), object(&[("email", text("a@b.co"))])]);
    assert_eq!(
        request.body(Some("hg-9")),
        r#"{"hgid":"hg-9","externalUserId":"user-42","email":"a@b.co"}"#
    );
}

#[test]
fn nullish_attributes_left_out() {
    let request = identify(&[object(&[
        ("email", Value::Null),
        ("firstname", Value::Undefined),
        ("city", text("Oslo")),
    ])]);
    assert_eq!(request.dropped, vec![]);
    assert_eq!(request.body(None), r#"{"city":"Oslo"}"#);
}

#[test]
fn invalid_fields_dropped_and_reported() {
    let request = identify(&[
        text("user-42"),
        object(&[
            ("email", text("not-an-email")),
            ("firstname", text("Ann")),
            ("mobileNo", text("12345")),
            ("GENDER", text("x")),
            ("country", text("EN")),
            ("city", text("Oslo")),
        ]),
        Value::Null,
        object(&[("smsOptin", text("yes")), ("emailOptin", text("optout"))]),
    ]);
    assert_eq!(
        request.body(None),
        r#"{"externalUserId":"user-42","firstname":"Ann","city":"Oslo","emailOptin":"OPTOUT"}"#
    );

    let expected = [
        (
            Section::UserAttributes,
            "email",
            "email",
            "is not an email address",
        ),
        (
            Section::UserAttributes,
            "mobileNo",
            "mobileNo",
            "is not an E.164 phone number",
        ),
        (
            Section::UserAttributes,
            "GENDER",
            "gender",
            "must be MALE, FEMALE or OTHER",
        ),
        (
            Section::UserAttributes,
            "country",
            "country",
            "ISO 3166-1 alpha-2",
        ),
        (
            Section::Preferences,
            "smsOptin",
            "smsOptin",
            "must be OPTIN or OPTOUT",
        ),
    ];
    assert_eq!(
        request.dropped.len(),
        expected.len(),
        "{:?}",
        request.dropped
    );
    for (entry, (section, key, field, phrase)) in request.dropped.iter().zip(expected) {
        assert_eq!(entry.section, section, "{key}");
        assert_eq!(entry.key, key, "{key}");
        assert_eq!(entry.field, field, "{key}");
        assert!(entry.reason.contains(phrase), "{key}: {}", entry.reason);
    }
}

#[test]
fn unknown_key_reported() {
    let request = identify(&[
        object(&[("nickname", text("Al")), ("email", text("al@b.co"))]),
        Value::Null,
        object(&[("newsletter", text("OPTIN"))]),
    ]);
    assert_eq!(request.body(None), r#"{"email":"al@b.co"}"#);
    assert_eq!(
        request.dropped,
        vec![
            dropped(
                Section::UserAttributes,
                "nickname",
                "nickname",
                "is not a known field"
            ),
            dropped(
                Section::Preferences,
                "newsletter",
                "newsletter",
                "is not a known field"
            ),
        ]
    );
}

#[test]
fn unreadable_values_reported() {
    let unreadable = |message: &str| Value::Unreadable(message.to_string());
    let request = identify(&[
        object(&[
            ("EMAIL", unreadable("email getter")),
            ("firstname", text("Ann")),
            ("city", unreadable("")),
            ("nickname", unreadable("nickname getter")),
        ]),
        Value::Null,
        object(&[("smsOptin", unreadable("smsOptin getter"))]),
    ]);
    assert_eq!(request.body(None), r#"{"firstname":"Ann"}"#);
    assert_eq!(
        request.dropped,
        vec![
            dropped(
                Section::UserAttributes,
                "EMAIL",
                "email",
                "could not be read, because reading it threw: email getter"
            ),
            dropped(
                Section::UserAttributes,
                "city",
                "city",
                "could not be read, because reading it threw"
            ),
            dropped(
                Section::UserAttributes,
                "nickname",
                "nickname",
                "is not a known field"
            ),
            dropped(
                Section::Preferences,
                "smsOptin",
                "smsOptin",
                "could not be read, because reading it threw: smsOptin getter"
            ),
        ]
    );
}

#[test]
fn field_in_wrong_argument_reported() {
    let cases = [
        (
            "hgid in userAttributes",
            vec![object(&[("hgid", text("hg-1"))])],
            dropped(
                Section::UserAttributes,
                "hgid",
                "hgid",
                "cannot be set in this argument",
            ),
        ),
        (
            "externalUserId in userAttributes",
            vec![object(&[("externalUserId", text("u1"))])],
            dropped(
                Section::UserAttributes,
                "externalUserId",
                "externalUserId",
                "cannot be set in this argument",
            ),
        ),
        (
            "customAttributes in userAttributes",
            vec![object(&[("customAttributes", object(&[]))])],
            dropped(
                Section::UserAttributes,
                "customAttributes",
                "customAttributes",
                "cannot be set in this argument",
            ),
        ),
        (
            "email in preferences",
            vec![
                Value::Null,
                Value::Null,
                Value::Null,
                object(&[("Email", text("a@b.co"))]),
            ],
            dropped(
                Section::Preferences,
                "Email",
                "Email",
                "cannot be set in this argument",
            ),
        ),
    ];
    for (case, args, expected) in cases {
        let request = identify(&args);
        assert_eq!(request.body(None), "{}", "{case}");
        assert_eq!(request.dropped, vec![expected], "{case}");
    }
}

#[test]
fn misspelled_firstname_accepted() {
    let cases = [
        ("firsname", "firsname"),
        ("firtname", "firtname"),
        ("firsname upper case", "FIRSNAME"),
    ];
    for (case, key) in cases {
        let request = identify(&[object(&[(key, text("Ann"))])]);
        assert_eq!(request.body(None), r#"{"firstname":"Ann"}"#, "{case}");
    }
}

#[test]
fn misspelled_firstname_reported() {
    let request = identify(&[object(&[("firsname", Value::from(5.0))])]);
    assert_eq!(
        request.dropped,
        vec![dropped(
            Section::UserAttributes,
            "firsname",
            "firstname",
            "must be a string"
        )]
    );
}

#[test]
fn optin_in_user_attributes_accepted() {
    let request = identify(&[object(&[
        ("emailOptin", text("optout")),
        ("PUSHOPTIN", Value::from(true)),
    ])]);
    assert_eq!(request.dropped, vec![]);
    assert_eq!(
        request.body(None),
        r#"{"emailOptin":"OPTOUT","pushOptin":"OPTIN"}"#
    );
}

#[test]
fn optin_preferences_value_wins() {
    let request = identify(&[
        object(&[("emailOptin", text("OPTOUT")), ("smsOptin", text("OPTIN"))]),
        Value::Null,
        object(&[("EmailOptin", Value::from(true))]),
    ]);
    assert_eq!(request.dropped, vec![]);
    assert_eq!(request.get(Field::EmailOptin), Some("OPTIN"));
    assert_eq!(request.get(Field::SmsOptin), Some("OPTIN"));
}

#[test]
fn optin_invalid_preference_keeps_user_attribute() {
    let request = identify(&[
        object(&[("emailOptin", text("OPTOUT"))]),
        Value::Null,
        object(&[("emailOptin", text("yes"))]),
    ]);
    assert_eq!(request.get(Field::EmailOptin), Some("OPTOUT"));
    assert_eq!(request.dropped.len(), 1);
    assert_eq!(request.dropped[0].section, Section::Preferences);
    assert_eq!(request.dropped[0].field, "emailOptin");
}

#[test]
fn custom_attributes_unsupported_dropped() {
    let infinity = Value::Number(Number {
        value: f64::INFINITY,
        text: "Infinity".to_string(),
    });
    let cases = [
        (
            "BigInt",
            object(&[
                ("plan", text("pro")),
                ("big", Value::Unsupported("a BigInt")),
            ]),
            "big",
            "a BigInt",
        ),
        (
            "function",
            object(&[("onChange", Value::Function)]),
            "onChange",
            "a function",
        ),
        (
            "infinite number",
            object(&[("score", infinity)]),
            "score",
            "an infinite number",
        ),
        (
            "NaN",
            object(&[("ratio", Value::from(f64::NAN))]),
            "ratio",
            "NaN",
        ),
        (
            "nested cycle",
            object(&[(
                "profile",
                object(&[("parent", Value::Unsupported("a cycle"))]),
            )]),
            "profile.parent",
            "a cycle",
        ),
        (
            "array item",
            object(&[(
                "list",
                Value::Array(vec![Value::from(1.0), Value::Unsupported("a symbol")]),
            )]),
            "list.1",
            "a symbol",
        ),
        (
            "throwing getter",
            object(&[("plan", Value::Unreadable("plan getter".to_string()))]),
            "plan",
            "a getter that throws",
        ),
    ];
    for (case, custom, path, kind) in cases {
        let request = identify(&[
            text("user-42"),
            object(&[("email", text("a@b.co"))]),
            custom,
            object(&[("smsOptin", text("OPTIN"))]),
        ]);
        assert_eq!(request.get(Field::CustomAttributes), None, "{case}");
        assert_eq!(
            request.body(None),
            r#"{"externalUserId":"user-42","email":"a@b.co","smsOptin":"OPTIN"}"#,
            "{case}"
        );
        assert_eq!(request.dropped.len(), 1, "{case}");
        let entry = &request.dropped[0];
        assert_eq!(entry.section, Section::CustomAttributes, "{case}");
        assert_eq!(entry.key, "", "{case}");
        assert_eq!(entry.field, "customAttributes", "{case}");
        assert!(
            entry.reason.contains(&format!(" at {path},")),
            "{case}: {}",
            entry.reason
        );
        assert!(entry.reason.contains(kind), "{case}: {}", entry.reason);
    }
}

#[test]
fn custom_attributes_proto_key_kept() {
    let custom = object(&[
        ("__proto__", object(&[("admin", Value::from(true))])),
        ("constructor", text("x")),
    ]);
    let request = identify(&[Value::Null, Value::Null, custom]);
    assert_eq!(request.dropped, vec![]);
    assert_eq!(
        request.get(Field::CustomAttributes),
        Some(r#"{"__proto__":{"admin":true},"constructor":"x"}"#)
    );
}

#[test]
fn custom_attributes_empty_left_out() {
    let cases = [
        ("empty object", object(&[])),
        (
            "only undefined values",
            object(&[("gone", Value::Undefined)]),
        ),
    ];
    for (case, custom) in cases {
        let request = identify(&[object(&[("city", text("Oslo"))]), custom]);
        assert_eq!(request.dropped, vec![], "{case}");
        assert_eq!(request.body(None), r#"{"city":"Oslo"}"#, "{case}");
    }
}

#[test]
fn custom_attributes_undefined_values_skipped() {
    let custom = object(&[
        ("gone", Value::Undefined),
        ("plan", text("pro")),
        ("list", Value::Array(vec![Value::Undefined])),
    ]);
    let request = identify(&[Value::Null, Value::Null, custom]);
    assert_eq!(
        request.get(Field::CustomAttributes),
        Some(r#"{"plan":"pro","list":[null]}"#)
    );
}

/// Makes `{"k":"xxx…"}` whose JSON text, escaped into the body as a string, is `bytes` long.
fn custom_of_size(bytes: usize) -> Value {
    let overhead = r#""{\"k\":\"\"}""#.len();
    object(&[("k", Value::String("x".repeat(bytes - overhead)))])
}

#[test]
fn custom_attributes_size_limit() {
    assert_eq!(MAX_CUSTOM_ATTRIBUTES_BYTES, 96 * 1024);

    let at_limit = identify(&[object(&[]), custom_of_size(96 * 1024)]);
    let kept_len = at_limit.get(Field::CustomAttributes).map(str::len);
    // Escaping adds the two outer quotes and a backslash before each of the four inner quotes.
    assert_eq!(kept_len, Some(96 * 1024 - 6));
    assert_eq!(at_limit.dropped, vec![]);

    let over_limit = identify(&[
        object(&[("city", text("Oslo"))]),
        custom_of_size(96 * 1024 + 1),
    ]);
    assert_eq!(over_limit.get(Field::CustomAttributes), None);
    assert_eq!(over_limit.get(Field::City), Some("Oslo"));
    assert_eq!(over_limit.dropped.len(), 1);
    assert_eq!(over_limit.dropped[0].section, Section::CustomAttributes);
    assert_eq!(over_limit.dropped[0].field, "customAttributes");
    assert!(
        over_limit.dropped[0].reason.contains("96 KiB"),
        "{}",
        over_limit.dropped[0].reason
    );
}

#[test]
fn largest_body_within_limit() {
    // Each quote is 2 bytes in the customAttributes text and 4 bytes once that text is a
    // string in the body, which is the size the limit counts.
    let quotes = "\"".repeat((MAX_CUSTOM_ATTRIBUTES_BYTES - r#""{\"k\":\"\"}""#.len()) / 4);
    let custom = object(&[("k", Value::String(quotes))]);
    // Every text field at its maximum, of quotes, which the body escapes.
    let long = "\"".repeat(255);
    let fields = [
        "firstname",
        "lastname",
        "city",
        "facebookId",
        "twitterId",
        "lineId",
    ];
    let attributes = object(&fields.map(|name| (name, text(&long))));
    let request = identify(&[text(&long), attributes, custom]);
    assert_eq!(request.dropped, vec![]);
    let body = request.body(Some("hg-1"));
    assert!(body.len() <= MAX_BODY_BYTES, "body is {} bytes", body.len());
}

#[test]
fn json_escaping() {
    let request = identify(&[
        text("user \"42\""),
        object(&[
            ("firstname", text("O\"Brien")),
            ("city", text("C:\\Temp")),
            ("lastname", text("Zoë\u{2028}Lee")),
        ]),
        object(&[
            ("note", text("line1\nline2 \"quoted\"")),
            ("path", text("a\\b")),
        ]),
    ]);
    let expected = concat!(
        r#"{"externalUserId":"user \"42\"","firstname":"O\"Brien","#,
        r#""lastname":"Zoë\u2028Lee","city":"C:\\Temp","#,
        r#""customAttributes":"{\"note\":\"line1\\nline2 \\\"quoted\\\"\",\"path\":\"a\\\\b\"}"}"#,
    );
    assert_eq!(request.dropped, vec![]);
    assert_eq!(request.body(None), expected);
}

#[test]
fn hgid_escaped_in_body() {
    let request = identify(&[]);
    assert_eq!(request.body(Some("a\"b")), r#"{"hgid":"a\"b"}"#);
}

#[test]
fn duplicate_keys_last_valid_wins() {
    let request = identify(&[object(&[
        ("email", text("first@b.co")),
        ("EMAIL", text("second@b.co")),
        ("Email", text("invalid")),
    ])]);
    assert_eq!(request.get(Field::Email), Some("second@b.co"));
    assert_eq!(request.dropped.len(), 1);
    assert_eq!(request.dropped[0].key, "Email");
}
