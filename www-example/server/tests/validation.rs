//! Invalid identify bodies: each is rejected with 400 and the field at fault, and nothing is
//! stored.

mod common;

use common::{Server, TempDb};
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
    ]
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
    let padding = "a".repeat(70 * 1024);
    let body = json!({ "customAttributes": json!({ "plan": padding }).to_string() });
    let reply = server.client().identify(&body);
    assert_eq!(reply.status, 413, "{}", reply.json);
    assert_eq!(reply.json["code"], 413);
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
