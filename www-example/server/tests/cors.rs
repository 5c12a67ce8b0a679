//! CORS: preflights and responses for any origin, the `null` origin included.

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
    assert_eq!(reply.status, 204);
    assert_eq!(reply.header("access-control-allow-origin"), Some(origin));

    let methods = reply.header("access-control-allow-methods").unwrap_or("");
    for method in ["GET", "POST", "OPTIONS"] {
        assert!(methods.contains(method), "{method} not in {methods}");
    }
    let headers = reply.header("access-control-allow-headers").unwrap_or("");
    for header in ["content-type", "authorization", "x-request-id"] {
        assert!(headers.contains(header), "{header} not in {headers}");
    }
    let max_age: u64 = reply
        .header("access-control-max-age")
        .expect("max-age is set")
        .parse()
        .expect("max-age is a number");
    assert!(max_age > 0);
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
