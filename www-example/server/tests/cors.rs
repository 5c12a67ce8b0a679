//! CORS: preflights and responses for any origin by default, the `null` origin included, and
//! for a configured list of origins only.

mod common;

use common::{Reply, Server, TempDb};
use serde_json::json;

fn preflight(server: &Server, origin: &str) -> Reply {
    server.anonymous_client().options(
        "/v1/identify",
        &[
            ("origin", origin),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "content-type,authorization,x-request-id",
            ),
        ],
    )
}

fn assert_preflight_allowed(reply: &Reply, origin: &str) {
    assert_eq!(reply.status, 204, "{}", reply.json);
    assert_eq!(reply.header("access-control-allow-origin"), Some(origin));

    // Only what the SDK needs: its two methods and three headers, and no credentials mode.
    assert_eq!(
        reply.header("access-control-allow-methods"),
        Some("GET, POST")
    );
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("authorization, content-type, x-request-id")
    );
    assert_eq!(reply.header("access-control-allow-credentials"), None);
    assert_eq!(reply.header("access-control-allow-private-network"), None);
    let max_age: u64 = reply
        .header("access-control-max-age")
        .expect("max-age is set")
        .parse()
        .expect("max-age is a number");
    assert!(max_age > 0);
    let vary = reply.header("vary").unwrap_or("");
    assert!(vary.contains("origin"), "{vary}");
}

fn assert_preflight_rejected(reply: &Reply, origin: &str) {
    assert_eq!(reply.status, 403, "{}", reply.json);
    assert_eq!(reply.header("access-control-allow-origin"), None);
    assert_eq!(reply.header("access-control-allow-methods"), None);
    assert_eq!(reply.header("access-control-allow-headers"), None);
    let message = reply.text("message");
    assert!(
        message.contains(&format!("--allow-origin {origin}")),
        "{message}"
    );
}

#[test]
fn preflight_from_null_origin() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    assert_preflight_allowed(&preflight(&server, "null"), "null");
}

#[test]
fn preflight_from_other_site() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let origin = "http://example.test";
    assert_preflight_allowed(&preflight(&server, origin), origin);
}

#[test]
fn response_mirrors_origin_and_exposes_headers() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let reply = server.client().post_raw(
        "/v1/identify",
        &json!({ "city": "Paris" }).to_string(),
        &[
            ("origin", "http://example.test"),
            ("x-request-id", "cors-1"),
        ],
    );
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://example.test")
    );
    let exposed = reply.header("access-control-expose-headers").unwrap_or("");
    assert!(exposed.contains("retry-after"), "{exposed}");
    assert!(exposed.contains("x-request-id"), "{exposed}");
    assert_eq!(reply.header("x-request-id"), Some("cors-1"));
}

#[test]
fn error_responses_carry_cors_headers() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let origin = [("origin", "null")];

    let unauthorized = server
        .anonymous_client()
        .post_raw("/v1/identify", "{}", &origin);
    assert_eq!(unauthorized.status, 401);
    assert_eq!(
        unauthorized.header("access-control-allow-origin"),
        Some("null")
    );

    let invalid = server
        .client()
        .post_raw("/v1/identify", "{\"email\":\"x\"}", &origin);
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.header("access-control-allow-origin"), Some("null"));

    let missing = server.anonymous_client().get("/no-such-page.html", &origin);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("access-control-allow-origin"), Some("null"));
}

#[test]
fn configured_origins_only() {
    let db = TempDb::new();
    let server = Server::start(
        &db,
        &[
            "--allow-origin",
            "http://good.test",
            "--allow-origin",
            "http://localhost:3000",
        ],
    );
    assert_preflight_allowed(&preflight(&server, "http://good.test"), "http://good.test");
    assert_preflight_allowed(
        &preflight(&server, "http://localhost:3000"),
        "http://localhost:3000",
    );
    assert_preflight_rejected(&preflight(&server, "http://evil.test"), "http://evil.test");
    assert_preflight_rejected(&preflight(&server, "null"), "null");
    assert_preflight_rejected(
        &preflight(&server, "http://localhost:3001"),
        "http://localhost:3001",
    );

    // A request without a preflight is served, but a page on another origin cannot read it.
    let body = json!({ "city": "Paris" }).to_string();
    let client = server.client();
    let evil = client.post_raw("/v1/identify", &body, &[("origin", "http://evil.test")]);
    assert_eq!(evil.status, 200);
    assert_eq!(evil.header("access-control-allow-origin"), None);
    assert_eq!(evil.header("access-control-expose-headers"), None);
    let good = client.post_raw("/v1/identify", &body, &[("origin", "http://good.test")]);
    assert_eq!(
        good.header("access-control-allow-origin"),
        Some("http://good.test")
    );
}

#[test]
fn null_origin_can_be_listed() {
    let db = TempDb::new();
    let server = Server::start(&db, &["--allow-origin", "null"]);
    assert_preflight_allowed(&preflight(&server, "null"), "null");
    assert_preflight_rejected(
        &preflight(&server, "http://other.test"),
        "http://other.test",
    );
}

#[test]
fn origins_from_environment() {
    let db = TempDb::new();
    let env = [("HEROGI_ALLOW_ORIGINS", "http://a.test,http://b.test")];
    let server = Server::start_raw(
        &db.path,
        &[
            "--app-id",
            common::APP_ID,
            "--app-secret",
            common::APP_SECRET,
        ],
        &env,
    );
    assert_preflight_allowed(&preflight(&server, "http://b.test"), "http://b.test");
    assert_preflight_rejected(&preflight(&server, "http://c.test"), "http://c.test");
}

#[test]
fn invalid_origin_fails_start() {
    let db = TempDb::new();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_herogi-server"))
        .args(["--listen", "127.0.0.1:0", "--db"])
        .arg(&db.path)
        .args(["--allow-origin", "http://example.test/page"])
        .output()
        .expect("herogi-server runs");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("invalid origin \"http://example.test/page\""),
        "{stderr}"
    );
}

#[test]
fn private_network_preflight_allowed() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let reply = server.anonymous_client().options(
        "/v1/identify",
        &[
            ("origin", "https://public.example"),
            ("access-control-request-method", "POST"),
            ("access-control-request-private-network", "true"),
        ],
    );
    assert_eq!(reply.status, 204);
    assert_eq!(
        reply.header("access-control-allow-private-network"),
        Some("true")
    );
}

#[test]
fn options_without_preflight_headers_needs_auth() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let anonymous = server.anonymous_client();
    let bare = anonymous.options("/v1/identify", &[]);
    assert_eq!(bare.status, 401, "{}", bare.json);
    let origin_only = anonymous.options("/v1/identify", &[("origin", "null")]);
    assert_eq!(origin_only.status, 401, "{}", origin_only.json);
}
