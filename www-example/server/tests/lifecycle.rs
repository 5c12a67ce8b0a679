//! Start lines, configuration from the environment, logging, persistence across restarts and
//! graceful shutdown.

mod common;

use std::process::Command;

use common::{basic, Client, Server, TempDb, APP_ID, APP_SECRET};
use serde_json::json;

#[test]
fn data_survives_restart() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    let body = json!({
        "externalUserId": "user-1",
        "email": "ada@example.com",
        "customAttributes": json!({ "plan": "pro" }).to_string(),
    });
    let hgid = client.identify_ok(&body);
    let before = client.profile_ok(&hgid);
    let stopped = server.stop();
    assert!(stopped.status.success(), "exit status {:?}", stopped.status);

    let connection = rusqlite::Connection::open(&db.path).unwrap();
    let mode: String = connection
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(connection);

    let restarted = Server::start(&db, &[]);
    let client = restarted.client();
    assert_eq!(client.profile_ok(&hgid), before);
    let merged = client.identify_ok(&json!({ "externalUserId": "user-1" }));
    assert_eq!(merged, hgid);
}

#[test]
fn address_line_comes_first() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let stdout = server.stdout();
    let first = stdout.lines().next().unwrap();
    let port: u16 = first
        .strip_prefix("herogi-server listening on http://127.0.0.1:")
        .expect("the address line names the loopback address")
        .parse()
        .expect("the port is a number");
    assert_ne!(port, 0);
    assert!(server.url.ends_with(&format!(":{port}")));
}

#[test]
fn demo_line_printed_with_defaults() {
    let db = TempDb::new();
    let server = Server::start_raw(&db.path, &[], &[]);
    let stdout = server.stdout_lines(2);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    let demo = stdout.lines().nth(1).unwrap();
    assert!(demo.contains("demo-app"), "{demo}");
    assert!(demo.contains("demo-secret"), "{demo}");

    let demo_client = Client::new(&server.url, Some(basic("demo-app", "demo-secret")));
    demo_client.identify_ok(&json!({ "city": "Paris" }));
}

#[test]
fn configured_secret_never_printed() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    client.identify_ok(&json!({ "city": "Paris" }));
    let wrong = Client::new(&server.url, Some(basic(APP_ID, "almost-the-secret")));
    assert_eq!(wrong.identify(&json!({})).status, 401);
    let stopped = server.stop();

    assert_eq!(stopped.stdout.lines().count(), 1, "{}", stopped.stdout);
    assert!(!stopped.stdout.contains("demo"), "{}", stopped.stdout);
    let authorization = basic(APP_ID, APP_SECRET);
    let encoded = authorization.trim_start_matches("Basic ");
    for output in [&stopped.stdout, &stopped.stderr] {
        assert!(!output.contains(APP_SECRET), "secret in output:\n{output}");
        assert!(
            !output.contains(encoded),
            "Authorization header in output:\n{output}"
        );
        assert!(
            !output.contains("almost-the-secret"),
            "sent secret in output:\n{output}"
        );
    }
}

#[test]
fn environment_configures_server() {
    let db = TempDb::new();
    let env = [
        ("HEROGI_APP_ID", "env-app"),
        ("HEROGI_APP_SECRET", "env-secret-91d3"),
        ("HEROGI_CUSTOM_ATTRIBUTES", "tier,score"),
    ];
    let server = Server::start_raw(&db.path, &[], &env);
    let client = Client::new(&server.url, Some(basic("env-app", "env-secret-91d3")));
    let attributes = json!({ "tier": "gold", "plan": "pro" }).to_string();
    let hgid = client.identify_ok(&json!({ "customAttributes": attributes }));
    assert_eq!(
        client.profile_ok(&hgid)["customAttributes"],
        json!({ "tier": "gold" })
    );

    let demo_client = Client::new(&server.url, Some(basic("demo-app", "demo-secret")));
    assert_eq!(demo_client.identify(&json!({})).status, 401);

    let stopped = server.stop();
    assert_eq!(stopped.stdout.lines().count(), 1, "{}", stopped.stdout);
    assert!(!stopped.stdout.contains("env-secret-91d3"));
    assert!(!stopped.stderr.contains("env-secret-91d3"));
}

#[test]
fn requests_are_logged() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let reply = server.client().identify(&json!({ "email": "bad" }));
    assert_eq!(reply.status, 400);
    let stopped = server.stop();

    let request_line = stopped
        .stderr
        .lines()
        .find(|line| line.contains(" request method=") && line.contains("status=400"))
        .unwrap_or_else(|| panic!("no request line in:\n{}", stopped.stderr));
    assert!(request_line.contains("method=POST"), "{request_line}");
    assert!(request_line.contains("path=/v1/identify"), "{request_line}");
    assert!(request_line.contains("duration_ms="), "{request_line}");
    assert!(
        stopped.stderr.contains("field=\"email\""),
        "rejection not logged:\n{}",
        stopped.stderr
    );
    assert!(
        stopped.stderr.contains("received SIGTERM"),
        "{}",
        stopped.stderr
    );
    assert!(
        stopped.stderr.contains("server stopped"),
        "{}",
        stopped.stderr
    );
}

#[test]
fn unopenable_database_fails_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("missing-folder/herogi.db");
    let output = Command::new(env!("CARGO_BIN_EXE_herogi-server"))
        .args(["--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env("NO_COLOR", "1")
        .output()
        .expect("herogi-server runs");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("failed to open database"), "{stderr}");
}

#[test]
fn in_memory_database_works() {
    let server = Server::start_raw(
        std::path::Path::new(":memory:"),
        &["--app-id", APP_ID, "--app-secret", APP_SECRET],
        &[],
    );
    let client = server.client();
    let hgid = client.identify_ok(&json!({ "city": "Paris" }));
    assert_eq!(client.profile_ok(&hgid)["city"], "Paris");
}

#[test]
fn ctrl_c_stops_server_cleanly() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    server.client().identify_ok(&json!({ "city": "Paris" }));
    let stopped = server.stop_with("INT");
    assert!(stopped.status.success(), "exit status {:?}", stopped.status);
    assert!(
        stopped.stderr.contains("received Ctrl-C"),
        "{}",
        stopped.stderr
    );
}

#[test]
fn help_hides_configured_secret() {
    let output = Command::new(env!("CARGO_BIN_EXE_herogi-server"))
        .arg("--help")
        .env("HEROGI_APP_SECRET", "env-secret-77aa")
        .output()
        .expect("herogi-server runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("--app-secret"), "{help}");
    assert!(!help.contains("env-secret-77aa"), "{help}");
}

/// Returns the request lines of a server's log, one per request.
fn request_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.contains("herogi_server::logging: request "))
        .collect()
}

#[test]
fn one_log_line_per_request() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    let hgid = client.identify_ok(&json!({ "city": "Paris" }));
    client.identify_ok(&json!({ "hgid": hgid, "city": "Rome" }));
    client.profile_ok(&hgid);
    assert_eq!(client.identify(&json!({ "city": 5 })).status, 400);
    assert_eq!(
        server.anonymous_client().get("/missing.js", &[]).status,
        404
    );
    let stopped = server.stop();

    let lines = request_lines(&stopped.stderr);
    assert_eq!(lines.len(), 5, "{}", stopped.stderr);
    let created = format!("hgid=\"{hgid}\" outcome=\"created\"");
    assert!(lines[0].contains(&created), "{}", lines[0]);
    assert!(lines[0].contains("status=200"), "{}", lines[0]);
    assert!(lines[1].contains("outcome=\"updated\""), "{}", lines[1]);
    assert!(lines[2].contains("method=GET"), "{}", lines[2]);
    assert!(
        lines[2].contains(&format!("hgid=\"{hgid}\"")),
        "{}",
        lines[2]
    );
    assert!(lines[3].contains("status=400"), "{}", lines[3]);
    assert!(!lines[3].contains("hgid="), "{}", lines[3]);
    assert!(lines[4].contains("path=/missing.js"), "{}", lines[4]);
    assert!(lines[4].contains("status=404"), "{}", lines[4]);
    for line in &lines {
        assert!(line.contains("duration_ms="), "{line}");
    }
}

#[test]
fn internal_error_logs_its_cause() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let client = server.client();
    let hgid = client.identify_ok(&json!({ "city": "Paris" }));

    // Another process corrupts the stored custom attributes behind the server's back.
    let connection = rusqlite::Connection::open(&db.path).unwrap();
    connection
        .execute(
            "UPDATE profiles SET custom_attributes = 'not json' WHERE hgid = ?1",
            [&hgid],
        )
        .unwrap();
    drop(connection);

    let reply = client.profile(&hgid);
    assert_eq!(reply.status, 500, "{}", reply.json);
    assert_eq!(
        reply.text("message"),
        "internal error: database query failed"
    );
    let stopped = server.stop();
    let error_line = stopped
        .stderr
        .lines()
        .find(|line| line.contains("ERROR"))
        .unwrap_or_else(|| panic!("no error line in:\n{}", stopped.stderr));
    assert!(error_line.contains("database query failed"), "{error_line}");
    assert!(
        error_line.contains("does not contain the JSON text of an object"),
        "{error_line}"
    );
}
