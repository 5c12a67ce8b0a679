//! Invalid identify bodies: each is rejected with 400 and the field at fault, and nothing is
//! stored.

mod common;

use common::{Server, TempDb};
use herogi::payload::{MAX_BODY_BYTES, MAX_CUSTOM_ATTRIBUTES_BYTES};
use serde_json::{json, Value};

/// Bodies that break one field's rule, with that field.
fn invalid_fields() -> Vec<(Value, &'static str)> {
    vec![
        (json!({ "nickname": "ada" }), "nickname"),
        (json!({ "email": 5 }), "email"),
        (json!({ "city": null }), "city"),
        (json!({ "emailOptin": true }), "emailOptin"),
        (
            json!({ "customAttributes": { "plan": "pro" } }),
            "customAttributes",
        ),
        (json!({ "email": "ada at example.com" }), "email"),
        (json!({ "email": "ada@example" }), "email"),
        (json!({ "mobileNo": "12345" }), "mobileNo"),
        (json!({ "mobileNo": "+1 415 CALL NOW" }), "mobileNo"),
        (json!({ "gender": "robot" }), "gender"),
        (json!({ "language": "zz" }), "language"),
        (json!({ "country": "EN" }), "country"),
        (json!({ "timezone": "Mars/Base_One" }), "timezone"),
        (
            json!({ "currentLocation": "12.1,100.3" }),
            "currentLocation",
        ),
        (
            json!({ "currentLocation": "{\"latitude\":91,\"longitude\":0}" }),
            "currentLocation",
        ),
        (
            json!({ "currentLocation": "{\"latitude\":0,\"longitude\":-180.5}" }),
            "currentLocation",
        ),
        (
            json!({ "currentLocation": "{\"latitude\":10}" }),
            "currentLocation",
        ),
        (
            json!({ "currentLocation": "{\"latitude\":\"1\",\"longitude\":2}" }),
            "currentLocation",
        ),
        (
            json!({ "customAttributes": "{plan: pro}" }),
            "customAttributes",
        ),
        (json!({ "customAttributes": "[1, 2]" }), "customAttributes"),
        (json!({ "emailOptin": "maybe" }), "emailOptin"),
        (json!({ "webPushOptin": "" }), "webPushOptin"),
        (json!({ "externalUserId": "" }), "externalUserId"),
        (json!({ "externalUserId": "   " }), "externalUserId"),
        (
            json!({ "externalUserId": "x".repeat(256) }),
            "externalUserId",
        ),
        (json!({ "firstname": "Ada\u{0007}" }), "firstname"),
        (json!({ "hgid": "" }), "hgid"),
        // Wrong JSON types.
        (json!({ "externalUserId": 42 }), "externalUserId"),
        (json!({ "country": ["US"] }), "country"),
        (json!({ "lastname": { "text": "Lovelace" } }), "lastname"),
        (json!({ "hgid": false }), "hgid"),
        (
            json!({ "currentLocation": { "latitude": 1, "longitude": 2 } }),
            "currentLocation",
        ),
        // Strings over the 255-character cap.
        (json!({ "hgid": "h".repeat(256) }), "hgid"),
        (json!({ "firstname": "a".repeat(256) }), "firstname"),
        (json!({ "city": "é".repeat(256) }), "city"),
        (json!({ "lineId": "l".repeat(10_000) }), "lineId"),
        (
            json!({ "email": format!("{}@example.com", "a".repeat(243)) }),
            "email",
        ),
        // Control characters inside the text.
        (json!({ "city": "Par\u{0}is" }), "city"),
        (
            json!({ "externalUserId": "user\u{1b}[31m" }),
            "externalUserId",
        ),
        (json!({ "lastname": "Love\u{7f}lace" }), "lastname"),
        (json!({ "twitterId": "tw\u{85}1" }), "twitterId"),
        (json!({ "hgid": "h\ng" }), "hgid"),
        // Unknown fields, including a prototype key and a near miss of a real field.
        (json!({ "__proto__": "x" }), "__proto__"),
        (json!({ "externalUserID": "user-1" }), "externalUserID"),
        // customAttributes whose text is over its limit, or nested deeper than JSON parsing allows.
        (
            json!({
                "customAttributes":
                    json!({ "plan": "p".repeat(MAX_CUSTOM_ATTRIBUTES_BYTES) }).to_string()
            }),
            "customAttributes",
        ),
        (
            json!({ "customAttributes": format!("{{\"plan\":{}{}}}", "[".repeat(200), "]".repeat(200)) }),
            "customAttributes",
        ),
    ]
}

/// Counts the profiles stored in the database file.
fn count_profiles(db: &TempDb) -> i64 {
    let connection = rusqlite::Connection::open(&db.path).unwrap();
    connection
        .query_row("SELECT count(*) FROM profiles", [], |row| row.get(0))
        .unwrap()
}

#[test]
fn each_bad_field_is_400() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    for (body, field) in invalid_fields() {
        let reply = client.identify(&body);
        assert_eq!(reply.status, 400, "{body}: {}", reply.json);
        assert_eq!(reply.json["code"], 400, "{body}");
        assert_eq!(reply.json["field"], field, "{body}: {}", reply.json);
        assert!(
            reply.text("message").contains(field),
            "{body}: {}",
            reply.json
        );
    }
    assert_eq!(count_profiles(&db), 0);
}

#[test]
fn repeated_field_is_400() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let body = r#"{"city": "Paris", "email": "a@b.co", "city": "Rome"}"#;
    let reply = server.client().post_raw("/v1/identify", body, &[]);
    assert_eq!(reply.status, 400, "{}", reply.json);
    assert_eq!(reply.json["field"], "city");
    assert!(
        reply.text("message").contains("more than once"),
        "{}",
        reply.json
    );
    assert_eq!(count_profiles(&db), 0);
}

#[test]
fn unknown_field_message_lists_fields() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let reply = server.client().identify(&json!({ "nickname": "ada" }));
    assert_eq!(reply.status, 400);
    let message = reply.text("message");
    assert!(
        message.starts_with("unknown field \"nickname\""),
        "{message}"
    );
    for field in [
        "hgid",
        "externalUserId",
        "customAttributes",
        "locationOptin",
    ] {
        assert!(message.contains(field), "{field} not in {message}");
    }
}

#[test]
fn long_unknown_field_is_shortened() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let name = "k".repeat(10_000);
    let reply = server.client().identify(&json!({ name: "v" }));
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json["field"], "k".repeat(64));
    assert!(reply.text("message").len() < 1_000, "{}", reply.json);
}

#[test]
fn invalid_utf8_body_is_400() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let body = b"{\"city\": \"Par\xffis\"}";
    let reply = common::raw_request(&server, "POST", "/v1/identify", &[], body);
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(reply.body.contains("invalid JSON body"), "{}", reply.body);
    assert_eq!(count_profiles(&db), 0);
}

#[test]
fn sql_text_is_stored_as_data() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    let sneaky = "x'); DROP TABLE profiles; --";
    let hgid = client.identify_ok(&json!({ "externalUserId": sneaky, "city": "' OR 1=1 --" }));

    let profile = client.profile_ok(&hgid);
    assert_eq!(profile["externalUserId"], sneaky);
    assert_eq!(profile["city"], "' OR 1=1 --");
    assert_eq!(
        client.identify_ok(&json!({ "externalUserId": sneaky })),
        hgid
    );
    assert_eq!(client.profile("%27%20OR%20%271%27%3D%271").status, 404);
    assert_eq!(count_profiles(&db), 1);
}

#[test]
fn merged_custom_attributes_are_capped() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    let first = json!({ "plan": "p".repeat(MAX_CUSTOM_ATTRIBUTES_BYTES * 2 / 3) }).to_string();
    let hgid = client.identify_ok(&json!({ "customAttributes": first }));

    // Each request is under the cap, but the merged attributes would not be.
    let second =
        json!({ "favoriteColor": "c".repeat(MAX_CUSTOM_ATTRIBUTES_BYTES * 2 / 3) }).to_string();
    let reply = client.identify(&json!({
        "hgid": hgid,
        "customAttributes": second,
        "city": "Rome",
    }));
    assert_eq!(reply.status, 400, "{}", reply.json);
    assert_eq!(reply.json["field"], "customAttributes");
    assert!(
        reply
            .text("message")
            .contains(&format!("{MAX_CUSTOM_ATTRIBUTES_BYTES} bytes")),
        "{}",
        reply.json
    );

    let profile = client.profile_ok(&hgid);
    assert!(profile.get("city").is_none(), "{profile}");
    assert!(profile["customAttributes"].get("favoriteColor").is_none());

    // Replacing the large value with a small one is still allowed.
    let smaller = json!({ "plan": "pro", "favoriteColor": "red" }).to_string();
    client.identify_ok(&json!({ "hgid": hgid, "customAttributes": smaller }));
}

#[test]
fn invalid_json_is_400() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    for body in ["{\"city\": ", "", "not json"] {
        let reply = client.post_raw("/v1/identify", body, &[]);
        assert_eq!(reply.status, 400, "{body:?}: {}", reply.json);
        assert_eq!(reply.json["code"], 400);
        assert!(
            reply.text("message").starts_with("invalid JSON body"),
            "{}",
            reply.json
        );
        assert!(reply.json.get("field").is_none(), "{}", reply.json);
    }
    assert_eq!(count_profiles(&db), 0);
}

#[test]
fn non_object_body_is_400() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    for body in ["[]", "\"city\"", "null", "42"] {
        let reply = client.post_raw("/v1/identify", body, &[]);
        assert_eq!(reply.status, 400, "{body}: {}", reply.json);
        assert!(
            reply.text("message").contains("JSON object"),
            "{}",
            reply.json
        );
    }
}

#[test]
fn invalid_call_stores_nothing() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    let hgid = client.identify_ok(&json!({ "city": "Paris" }));

    let reply = client.identify(&json!({
        "hgid": hgid,
        "city": "Rome",
        "externalUserId": "user-9",
        "email": "not-an-email",
    }));
    assert_eq!(reply.status, 400);

    let profile = client.profile_ok(&hgid);
    assert_eq!(profile["city"], "Paris");
    assert!(profile.get("externalUserId").is_none(), "{profile}");

    // The externalUserId of the rejected call went nowhere: a new call creates its profile.
    let fresh = client.identify_ok(&json!({ "externalUserId": "user-9" }));
    assert_ne!(fresh, hgid);
}

#[test]
fn oversized_body_is_413() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let padding = "a".repeat(MAX_BODY_BYTES + 1024);
    let body = json!({ "customAttributes": json!({ "plan": padding }).to_string() });
    // The server answers as soon as it reads the length, so the client must tolerate a body
    // write that fails; the HTTP client gives up on that, a raw request reads the answer.
    let headers = [("content-type", "application/json")];
    let reply = common::raw_request(
        &server,
        "POST",
        "/v1/identify",
        &headers,
        body.to_string().as_bytes(),
    );
    assert_eq!(reply.status, 413, "{}", reply.body);
    let json: Value = serde_json::from_str(&reply.body).expect("a JSON error body");
    assert_eq!(json["code"], 413);
    let message = json["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("{MAX_BODY_BYTES} bytes")),
        "{message}"
    );
    assert_eq!(count_profiles(&db), 0);
}

#[test]
fn body_at_limit_is_accepted() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    // Spaces between members are valid JSON, so the body can be padded to exactly the limit.
    let body = json!({ "city": "Paris" }).to_string();
    let padded = format!(
        "{{{}{}",
        " ".repeat(MAX_BODY_BYTES - body.len()),
        &body[1..]
    );
    assert_eq!(padded.len(), MAX_BODY_BYTES);
    let reply = server.client().post_raw("/v1/identify", &padded, &[]);
    assert_eq!(reply.status, 200, "{}", reply.json);
}

#[test]
fn oversized_chunked_body_is_413() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let chunk = format!("{{\"city\": \"{}", "a".repeat(8 * 1024));
    let mut body = Vec::new();
    for _ in 0..MAX_BODY_BYTES / chunk.len() + 2 {
        body.extend_from_slice(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes());
    }
    body.extend_from_slice(b"0\r\n\r\n");
    let reply = common::raw_request(
        &server,
        "POST",
        "/v1/identify",
        &[("transfer-encoding", "chunked")],
        &body,
    );
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert_eq!(count_profiles(&db), 0);
}

#[test]
fn declared_oversized_length_is_413() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    // The server rejects the declared length before reading a byte of the body.
    let reply = common::raw_request(
        &server,
        "POST",
        "/v1/identify",
        &[("content-length", "10000000")],
        b"",
    );
    assert_eq!(reply.status, 413, "{}", reply.body);
}

#[test]
fn invalid_request_id_is_400() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    let long = "r".repeat(129);
    for id in ["has space", long.as_str()] {
        let reply = client.post_raw("/v1/identify", "{}", &[("x-request-id", id)]);
        assert_eq!(reply.status, 400, "{id}: {}", reply.json);
        assert!(
            reply.text("message").contains("x-request-id"),
            "{}",
            reply.json
        );
    }
}

#[test]
fn stalled_body_is_408() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    // The body announces 40 bytes but stops after 9, and the server gives up after 10 s.
    let reply = common::raw_request(
        &server,
        "POST",
        "/v1/identify",
        &[("content-length", "40")],
        b"{\"city\": ",
    );
    assert_eq!(reply.status, 408, "{}", reply.body);
    assert!(reply.body.contains("timed out"), "{}", reply.body);
    assert_eq!(count_profiles(&db), 0);
}
