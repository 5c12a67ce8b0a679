//! Static files from layered directories.

mod common;

use std::fs;

use common::{Server, TempDb};

#[test]
fn first_directory_with_the_file_serves_it() {
    let db = TempDb::new();
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    fs::write(first.path().join("shared.txt"), "from first").unwrap();
    fs::write(second.path().join("shared.txt"), "from second").unwrap();
    fs::write(second.path().join("only-second.txt"), "second only").unwrap();
    fs::write(second.path().join("index.html"), "<h1>index</h1>").unwrap();
    fs::create_dir(first.path().join("pages")).unwrap();
    fs::write(first.path().join("pages/index.html"), "<h1>pages</h1>").unwrap();

    let server = Server::start(
        &db,
        &[
            "--static",
            first.path().to_str().unwrap(),
            "--static",
            second.path().to_str().unwrap(),
        ],
    );
    let client = server.anonymous_client();

    let shared = client.get("/shared.txt", &[]);
    assert_eq!(shared.status, 200);
    assert_eq!(shared.json, "from first");

    let only_second = client.get("/only-second.txt", &[]);
    assert_eq!(only_second.status, 200);
    assert_eq!(only_second.json, "second only");

    let root = client.get("/", &[]);
    assert_eq!(root.status, 200);
    assert_eq!(root.json, "<h1>index</h1>");
    assert!(root
        .header("content-type")
        .unwrap_or("")
        .starts_with("text/html"));

    let nested = client.get("/pages/", &[]);
    assert_eq!(nested.status, 200);
    assert_eq!(nested.json, "<h1>pages</h1>");
}

#[test]
fn unknown_path_is_404() {
    let db = TempDb::new();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("index.html"), "<h1>index</h1>").unwrap();
    let server = Server::start(&db, &["--static", dir.path().to_str().unwrap()]);
    let client = server.anonymous_client();

    let missing = client.get("/missing.js", &[]);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json["code"], 404);

    let escape = client.get("/../Cargo.toml", &[]);
    assert_eq!(escape.status, 404);

    let post = client.post_raw("/index.html", "{}", &[]);
    assert_eq!(post.status, 404);
}

#[test]
fn no_static_directory_is_404() {
    let db = TempDb::new();
    let server = Server::start(&db, &[]);
    let reply = server.anonymous_client().get("/", &[]);
    assert_eq!(reply.status, 404);
}

#[test]
fn directory_created_after_start_is_served() {
    let db = TempDb::new();
    let parent = tempfile::tempdir().unwrap();
    let later = parent.path().join("dist");
    let server = Server::start(&db, &["--static", later.to_str().unwrap()]);

    fs::create_dir(&later).unwrap();
    fs::write(later.join("herogi.min.js"), "window.herogi = {};").unwrap();
    let reply = server.anonymous_client().get("/herogi.min.js", &[]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json, "window.herogi = {};");

    let stopped = server.stop();
    assert!(
        stopped.stderr.contains("static directory does not exist"),
        "{}",
        stopped.stderr
    );
}
