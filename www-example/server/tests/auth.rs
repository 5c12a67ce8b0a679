//! HTTP Basic auth on the API routes.

mod common;

use common::{basic, Client, Reply, Server, TempDb, APP_ID, APP_SECRET};
use serde_json::json;

fn assert_unauthorized(reply: &Reply) {
    assert_eq!(reply.status, 401, "{}", reply.json);
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Basic realm=\"herogi\"")
    );
    assert_eq!(reply.json["code"], 401);
    assert!(reply.json["message"].is_string(), "{}", reply.json);
}

#[test]
fn missing_authorization_is_401() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let reply = server
        .anonymous_client()
        .identify(&json!({ "city": "Paris" }));
    assert_unauthorized(&reply);
    assert!(reply.text("message").contains("missing Authorization"));
}

#[test]
fn wrong_secret_is_401() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = Client::new(&server.url, Some(basic(APP_ID, "wrong-secret")));
    let reply = client.identify(&json!({ "city": "Paris" }));
    assert_unauthorized(&reply);
    assert_eq!(reply.text("message"), "invalid app id or app secret");
}

#[test]
fn wrong_app_id_is_401() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = Client::new(&server.url, Some(basic("other-app", APP_SECRET)));
    assert_unauthorized(&client.identify(&json!({ "city": "Paris" })));
}

#[test]
fn malformed_authorization_is_401() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    for value in ["Bearer abc", "Basic not-base64!", "Basic"] {
        let client = Client::new(&server.url, Some(value.to_string()));
        let reply = client.identify(&json!({ "city": "Paris" }));
        assert_unauthorized(&reply);
        assert!(
            reply
                .text("message")
                .contains("invalid Authorization header"),
            "{value}"
        );
    }
}

#[test]
fn profile_read_requires_auth() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let hgid = server.client().identify_ok(&json!({ "city": "Paris" }));
    assert_unauthorized(&server.anonymous_client().profile(&hgid));
}

#[test]
fn rejected_call_stores_nothing() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    let hgid = client.identify_ok(&json!({ "city": "Paris" }));

    let intruder = Client::new(&server.url, Some(basic(APP_ID, "wrong-secret")));
    let reply = intruder.identify(&json!({ "hgid": hgid, "city": "Rome" }));
    assert_eq!(reply.status, 401);

    assert_eq!(client.profile_ok(&hgid)["city"], "Paris");
}
