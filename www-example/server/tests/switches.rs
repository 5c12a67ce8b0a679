//! Test switches: injected faults and delays on identify, and the identify counters.

mod common;

use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use common::{Client, Reply, Server, TempDb};
use serde_json::{json, Value};

fn set_faults(client: &Client, setting: Value) -> Reply {
    client.post_raw("/admin/faults", &setting.to_string(), &[])
}

fn stats(client: &Client) -> Value {
    let reply = client.get("/admin/stats", &[]);
    assert_eq!(reply.status, 200, "{}", reply.json);
    reply.json
}

fn count_profiles(db: &TempDb) -> i64 {
    let connection = rusqlite::Connection::open(&db.path).unwrap();
    connection
        .query_row("SELECT count(*) FROM profiles", [], |row| row.get(0))
        .unwrap()
}

#[test]
fn admin_paths_404_without_switches() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    for client in [server.client(), server.anonymous_client()] {
        assert_eq!(client.get("/admin/stats", &[]).status, 404);
        let faults = set_faults(&client, json!({ "status": 503, "count": 1 }));
        assert_eq!(faults.status, 404);
        assert_eq!(client.post_raw("/admin/stats/reset", "", &[]).status, 404);
    }
    // Nothing was injected.
    server.client().identify_ok(&json!({ "city": "Paris" }));
}

#[test]
fn admin_paths_need_auth() {
    let db = TempDb::new();
    let server = Server::start(&db, &["--test-switches"]);
    let anonymous = server.anonymous_client();
    for reply in [
        anonymous.get("/admin/stats", &[]),
        set_faults(&anonymous, json!({ "status": 503, "count": 1 })),
        anonymous.post_raw("/admin/stats/reset", "", &[]),
        anonymous.get("/admin/no-such-switch", &[]),
    ] {
        assert_eq!(reply.status, 401, "{}", reply.json);
        assert!(reply.header("www-authenticate").is_some());
    }
}

#[test]
fn faults_apply_to_next_count() {
    let db = TempDb::new();
    let server = Server::start(&db, &["--test-switches"]);
    let client = server.client();
    let setting = json!({ "status": 503, "count": 2, "retryAfter": "2", "delayMs": 0 });
    let set = set_faults(&client, setting.clone());
    assert_eq!(set.status, 200, "{}", set.json);
    assert_eq!(set.json, setting);

    for _ in 0..2 {
        let reply = client.post_raw(
            "/v1/identify",
            &json!({ "city": "Paris" }).to_string(),
            &[("origin", "http://page.test")],
        );
        assert_eq!(reply.status, 503, "{}", reply.json);
        assert_eq!(
            reply.json,
            json!({ "code": 503, "message": "injected fault" })
        );
        assert_eq!(reply.header("retry-after"), Some("2"));
        let exposed = reply.header("access-control-expose-headers").unwrap_or("");
        assert!(exposed.contains("retry-after"), "{exposed}");
    }
    assert_eq!(count_profiles(&db), 0);

    client.identify_ok(&json!({ "city": "Paris" }));
    assert_eq!(count_profiles(&db), 1);
    assert_eq!(
        stats(&client),
        json!({ "received": 3, "applied": 1, "repeated": 0, "faulted": 2 })
    );
}

#[test]
fn fault_skips_even_invalid_bodies() {
    let db = TempDb::new();
    let server = Server::start(&db, &["--test-switches"]);
    let client = server.client();
    set_faults(&client, json!({ "status": 429, "count": 1 }));

    let reply = client.post_raw("/v1/identify", "not json", &[]);
    assert_eq!(reply.status, 429, "{}", reply.json);
    assert_eq!(reply.header("retry-after"), None);
    assert_eq!(client.post_raw("/v1/identify", "not json", &[]).status, 400);
    assert_eq!(
        stats(&client),
        json!({ "received": 2, "applied": 0, "repeated": 0, "faulted": 1 })
    );
}

#[test]
fn new_setting_replaces_previous() {
    let db = TempDb::new();
    let server = Server::start(&db, &["--test-switches"]);
    let client = server.client();
    set_faults(&client, json!({ "status": 500, "count": 5 }));
    set_faults(&client, json!({ "status": 502, "count": 1 }));
    assert_eq!(client.identify(&json!({})).status, 502);
    client.identify_ok(&json!({}));

    set_faults(&client, json!({ "status": 500, "count": 5 }));
    let cleared = set_faults(&client, json!({ "count": 0 }));
    assert_eq!(cleared.json["count"], 0);
    client.identify_ok(&json!({}));
}

#[test]
fn delay_then_normal_handling() {
    let db = TempDb::new();
    let server = Server::start(&db, &["--test-switches"]);
    let client = server.client();
    let set = set_faults(&client, json!({ "count": 1, "delayMs": 200 }));
    assert_eq!(
        set.json,
        json!({ "status": 200, "count": 1, "retryAfter": null, "delayMs": 200 })
    );

    let hgid = client.identify_ok(&json!({ "city": "Paris" }));
    assert_eq!(client.profile_ok(&hgid)["city"], "Paris");
    assert_eq!(
        stats(&client),
        json!({ "received": 1, "applied": 1, "repeated": 0, "faulted": 0 })
    );
}

#[test]
fn repeats_counted_apart() {
    let db = TempDb::new();
    let server = Server::start(&db, &["--test-switches"]);
    let client = server.client();
    let body = json!({ "city": "Paris" }).to_string();
    let id = [("x-request-id", "req-1")];

    // A faulted call is not applied, so its retry with the same id is applied, then repeated.
    set_faults(&client, json!({ "status": 503, "count": 1 }));
    assert_eq!(client.post_raw("/v1/identify", &body, &id).status, 503);
    let first = client.post_raw("/v1/identify", &body, &id);
    assert_eq!(first.status, 200, "{}", first.json);
    let repeat = client.post_raw("/v1/identify", &body, &id);
    assert_eq!(repeat.json, first.json);
    assert_eq!(count_profiles(&db), 1);
    assert_eq!(
        stats(&client),
        json!({ "received": 3, "applied": 1, "repeated": 1, "faulted": 1 })
    );

    let reset = client.post_raw("/admin/stats/reset", "", &[]);
    assert_eq!(reset.status, 200);
    let zero = json!({ "received": 0, "applied": 0, "repeated": 0, "faulted": 0 });
    assert_eq!(reset.json, zero);
    assert_eq!(stats(&client), zero);
}

#[test]
fn invalid_setting_is_400() {
    let db = TempDb::new();
    let server = Server::start(&db, &["--test-switches"]);
    let client = server.client();
    let cases = [
        (json!({ "status": 503 }), "count"),
        (json!({ "status": 99, "count": 1 }), "status"),
        (json!({ "count": 1, "delayMs": 60_000 }), "delayMs"),
        (json!({ "count": 1, "retryAfter": 5 }), "retryAfter"),
        (json!({ "count": 1, "statuss": 503 }), "statuss"),
    ];
    for (setting, field) in cases {
        let reply = set_faults(&client, setting.clone());
        assert_eq!(reply.status, 400, "{setting}: {}", reply.json);
        assert_eq!(reply.json["field"], field, "{setting}");
    }
    assert_eq!(client.get("/admin/faults", &[]).status, 405);
    // None of them took effect.
    client.identify_ok(&json!({}));
}

#[test]
fn environment_turns_switches_on() {
    let db = TempDb::new();
    let args = [
        "--app-id",
        common::APP_ID,
        "--app-secret",
        common::APP_SECRET,
    ];
    let on = Server::start_raw(&db.path, &args, &[("HEROGI_TEST_SWITCHES", "1")]);
    assert_eq!(on.client().get("/admin/stats", &[]).status, 200);
    drop(on);
    let off = Server::start_raw(&db.path, &args, &[("HEROGI_TEST_SWITCHES", "0")]);
    assert_eq!(off.client().get("/admin/stats", &[]).status, 404);
}

#[test]
fn help_documents_switches() {
    let output = Command::new(env!("CARGO_BIN_EXE_herogi-server"))
        .arg("--help")
        .output()
        .expect("herogi-server runs");
    let help = String::from_utf8_lossy(&output.stdout);
    for text in [
        "--test-switches",
        "HEROGI_TEST_SWITCHES",
        "/admin/faults",
        "/admin/stats",
        "/admin/stats/reset",
    ] {
        assert!(help.contains(text), "{text} not in:\n{help}");
    }
}

#[test]
fn stop_lets_delayed_request_finish() {
    let db = TempDb::new();
    let server = Server::start(&db, &["--test-switches"]);
    let client = server.client();
    set_faults(&client, json!({ "count": 1, "delayMs": 1_500 }));

    let caller = {
        let client = server.client();
        thread::spawn(move || client.identify(&json!({ "externalUserId": "late" })))
    };
    // Wait until the server has received the call, then stop it in the middle of the delay.
    let deadline = Instant::now() + Duration::from_secs(10);
    while stats(&client)["received"] == 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    let stopped = server.stop();

    let reply = caller.join().expect("the caller finished");
    assert_eq!(reply.status, 200, "{}", reply.json);
    assert!(stopped.status.success(), "{:?}", stopped.status);
    assert!(
        stopped.stderr.contains("database closed"),
        "{}",
        stopped.stderr
    );

    let connection = rusqlite::Connection::open(&db.path).unwrap();
    let hgid: String = connection
        .query_row(
            "SELECT hgid FROM profiles WHERE external_user_id = 'late'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(hgid, reply.text("hgid"));
}
