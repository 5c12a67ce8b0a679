//! Durability: every identify call that got a 200 is on disk, even when the server is killed
//! with SIGKILL in the middle of a load, and a stop signal closes the database cleanly.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{basic, Client, Server, TempDb, APP_ID, APP_SECRET};
use rusqlite::{Connection, OptionalExtension};
use serde_json::json;

/// Clients that send identify calls at the same time while the server is killed.
const WRITERS: usize = 4;

/// Calls that got a 200 to wait for before the kill, so it lands in the middle of the load.
const ANSWERED_BEFORE_KILL: usize = 200;

/// Upper bound on the calls each client sends, so the test ends even if the kill fails.
const MAX_CALLS_PER_WRITER: usize = 5_000;

/// Returns the result of `PRAGMA integrity_check`, `"ok"` for a sound database.
fn integrity_check(path: &Path) -> String {
    let connection = Connection::open(path).expect("the database opens");
    connection
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity_check runs")
}

/// Returns the `hgid` of the profile that has this `externalUserId`, read from the file.
fn stored_hgid(connection: &Connection, external_user_id: &str) -> Option<String> {
    connection
        .query_row(
            "SELECT hgid FROM profiles WHERE external_user_id = ?1",
            [external_user_id],
            |row| row.get(0),
        )
        .optional()
        .expect("the query runs")
}

#[test]
fn answered_writes_survive_sigkill() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);

    let answered = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let answered_count = Arc::new(AtomicUsize::new(0));
    let unexpected = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let client = Client::new(&server.url, Some(basic(APP_ID, APP_SECRET)));
            let answered = Arc::clone(&answered);
            let answered_count = Arc::clone(&answered_count);
            let unexpected = Arc::clone(&unexpected);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                for call in 0..MAX_CALLS_PER_WRITER {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let external_user_id = format!("writer-{writer}-call-{call}");
                    let body = json!({ "externalUserId": external_user_id, "city": "Oslo" });
                    // No response means the server is gone.
                    let Some(reply) = client.try_post_raw("/v1/identify", &body.to_string(), &[])
                    else {
                        break;
                    };
                    if reply.status == 200 {
                        let hgid = reply.text("hgid").to_string();
                        answered.lock().unwrap().push((external_user_id, hgid));
                        answered_count.fetch_add(1, Ordering::Relaxed);
                    } else {
                        unexpected.lock().unwrap().push(reply.json.to_string());
                    }
                }
            })
        })
        .collect();

    let deadline = Instant::now() + Duration::from_secs(20);
    while answered_count.load(Ordering::Relaxed) < ANSWERED_BEFORE_KILL && Instant::now() < deadline
    {
        thread::sleep(Duration::from_millis(5));
    }
    let stopped = server.kill();
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().expect("the writer finished");
    }
    assert!(!stopped.status.success(), "{:?}", stopped.status);

    let unexpected = unexpected.lock().unwrap();
    assert!(unexpected.is_empty(), "non-200 responses: {unexpected:?}");
    let answered = answered.lock().unwrap();
    assert!(
        answered.len() >= ANSWERED_BEFORE_KILL,
        "only {} calls were answered before the kill",
        answered.len()
    );

    assert_eq!(integrity_check(&db.path), "ok");
    let connection = Connection::open(&db.path).unwrap();
    for (external_user_id, hgid) in answered.iter() {
        assert_eq!(
            stored_hgid(&connection, external_user_id).as_deref(),
            Some(hgid.as_str()),
            "answered write of {external_user_id} is missing"
        );
    }
    drop(connection);

    // The server starts again on the same file and merges into a profile written before the kill.
    let restarted = Server::start(&db, &[]);
    let (external_user_id, hgid) = answered.last().unwrap();
    let merged = restarted
        .client()
        .identify_ok(&json!({ "externalUserId": external_user_id }));
    assert_eq!(&merged, hgid);
}

#[test]
fn sigterm_closes_database_cleanly() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let hgid = server.client().identify_ok(&json!({ "city": "Paris" }));
    let wal = db.path.with_file_name("herogi.db-wal");
    assert!(wal.exists(), "no WAL file while the server runs");

    let stopped = server.stop();
    assert!(stopped.status.success(), "exit status {:?}", stopped.status);
    assert!(
        stopped.stderr.contains("database closed"),
        "{}",
        stopped.stderr
    );
    assert!(!wal.exists(), "the WAL file is left after a clean stop");
    assert_eq!(integrity_check(&db.path), "ok");

    let connection = Connection::open(&db.path).unwrap();
    let city: String = connection
        .query_row(
            "SELECT city FROM profiles WHERE hgid = ?1",
            [&hgid],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(city, "Paris");
}

#[test]
fn every_commit_is_synced() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let stopped = server.stop();
    assert!(
        stopped.stderr.contains("journal_mode=wal"),
        "{}",
        stopped.stderr
    );
    assert!(
        stopped.stderr.contains("synchronous=\"FULL\""),
        "{}",
        stopped.stderr
    );
}
