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

#[test]
fn every_api_path_requires_auth() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let anonymous = server.anonymous_client();
    assert_unauthorized(&anonymous.get("/v1/identify", &[]));
    assert_unauthorized(&anonymous.get("/v1/no-such-endpoint", &[]));
    assert_unauthorized(&anonymous.post_raw("/v1/users/someone", "{}", &[]));
}

#[test]
fn wrong_method_is_405_after_auth() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let reply = server.client().get("/v1/identify", &[]);
    assert_eq!(reply.status, 405, "{}", reply.json);
    assert_eq!(reply.json["code"], 405);
    assert_eq!(
        reply.text("message"),
        "method GET is not allowed on /v1/identify"
    );
    assert_eq!(reply.header("allow"), Some("POST"));

    let unknown = server.client().get("/v1/no-such-endpoint", &[]);
    assert_eq!(unknown.status, 404, "{}", unknown.json);
}

#[test]
fn repeated_failures_are_rate_limited() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let guesser = Client::new(&server.url, Some(basic(APP_ID, "guess")));
    for attempt in 1..=10 {
        let reply = guesser.identify(&json!({}));
        assert_eq!(reply.status, 401, "attempt {attempt}: {}", reply.json);
        // The body was not read, so the connection must not be reused.
        assert_eq!(reply.header("connection"), Some("close"));
    }

    let blocked = guesser.post_raw("/v1/identify", "{}", &[("origin", "null")]);
    assert_eq!(blocked.status, 429, "{}", blocked.json);
    assert_eq!(blocked.json["code"], 429);
    assert!(
        blocked
            .text("message")
            .contains("too many failed authentications"),
        "{}",
        blocked.json
    );
    let retry_after: u64 = blocked
        .header("retry-after")
        .expect("Retry-After is set")
        .parse()
        .expect("Retry-After is a number of seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(blocked.header("access-control-allow-origin"), Some("null"));

    // While blocked, even the right credentials get 429, so guessing cannot go on.
    let right = server.client().identify(&json!({}));
    assert_eq!(right.status, 429, "{}", right.json);
    // Static files stay available.
    assert_eq!(server.anonymous_client().get("/", &[]).status, 404);

    let stopped = server.stop();
    assert!(
        stopped.stderr.contains("too many failed authentications"),
        "{}",
        stopped.stderr
    );
    assert!(
        stopped.stderr.contains("address=127.0.0.1"),
        "{}",
        stopped.stderr
    );
}

#[test]
fn missing_credentials_are_not_rate_limited() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let anonymous = server.anonymous_client();
    for attempt in 1..=20 {
        let reply = anonymous.identify(&json!({}));
        assert_eq!(reply.status, 401, "attempt {attempt}: {}", reply.json);
    }
    server.client().identify_ok(&json!({ "city": "Paris" }));
}
