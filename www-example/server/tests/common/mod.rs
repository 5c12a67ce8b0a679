//! Starts the real `herogi-server` binary on a free loopback port and sends it real HTTP
//! requests. Every test gets its own server and database file.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;
use tempfile::TempDir;

/// The app id the tests configure.
pub const APP_ID: &str = "test-app";

/// The app secret the tests configure.
pub const APP_SECRET: &str = "test-secret-5f2c9a";

/// How long a server may take to print its address line or to stop.
const START_STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A running server, stopped with SIGKILL when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, read from the server's first stdout line.
    pub url: String,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

/// What a stopped server left: its exit status and everything it printed.
pub struct Stopped {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// A database file in a temporary directory, removed when dropped.
pub struct TempDb {
    _dir: TempDir,
    pub path: PathBuf,
}

impl TempDb {
    pub fn new() -> TempDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("herogi.db");
        TempDb { _dir: dir, path }
    }
}

impl Server {
    /// Starts a server with the test credentials, a new database and the default custom
    /// attributes, plus `extra` arguments.
    pub fn start(db: &TempDb, extra: &[&str]) -> Server {
        let mut args = vec!["--app-id", APP_ID, "--app-secret", APP_SECRET];
        args.extend_from_slice(extra);
        Server::start_raw(&db.path, &args, &[])
    }

    /// Starts a server with exactly these arguments and environment variables, on port 0 and
    /// the given database, with no `HEROGI_*` variable inherited from the test's environment.
    pub fn start_raw(db: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_herogi-server"));
        command
            .args(["--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(args)
            .env("RUST_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, _) in std::env::vars() {
            if name.starts_with("HEROGI_") {
                command.env_remove(name);
            }
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("herogi-server starts");

        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (lines, first_lines) = mpsc::channel();
        let readers = vec![
            collect_lines(
                child.stdout.take().unwrap(),
                Arc::clone(&stdout),
                Some(lines),
            ),
            collect_lines(child.stderr.take().unwrap(), Arc::clone(&stderr), None),
        ];

        let url = wait_for_address(&first_lines).unwrap_or_else(|| {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "herogi-server printed no address line\nstdout:\n{}\nstderr:\n{}",
                stdout.lock().unwrap(),
                stderr.lock().unwrap()
            )
        });
        Server {
            child,
            url,
            stdout,
            stderr,
            readers,
        }
    }

    /// Returns what the server printed to stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Waits until the server's stdout has at least `count` lines, and returns it.
    pub fn stdout_lines(&self, count: usize) -> String {
        let deadline = Instant::now() + START_STOP_TIMEOUT;
        loop {
            let stdout = self.stdout();
            if stdout.lines().count() >= count || Instant::now() > deadline {
                return stdout;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Returns what the server logged to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends SIGTERM and waits for the server to exit.
    pub fn stop(self) -> Stopped {
        self.stop_with("TERM")
    }

    /// Sends a signal (`"TERM"`, `"INT"`) and waits for the server to exit.
    pub fn stop_with(mut self, signal: &str) -> Stopped {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([format!("-{signal}"), pid])
            .status();
        assert!(
            sent.expect("kill runs").success(),
            "SIG{signal} was not delivered"
        );

        let deadline = Instant::now() + START_STOP_TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for herogi-server") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "herogi-server did not stop after SIG{signal}"
            );
            thread::sleep(Duration::from_millis(20));
        };
        // The reader threads end when the pipes close, after copying the last lines.
        for reader in self.readers.drain(..) {
            reader.join().expect("the output reader finished");
        }
        Stopped {
            status,
            stdout: self.stdout(),
            stderr: self.stderr(),
        }
    }

    /// Stops the server with SIGKILL, so it gets no chance to finish or close anything, and
    /// waits for it to exit.
    pub fn kill(mut self) -> Stopped {
        self.child.kill().expect("SIGKILL was delivered");
        let status = self.child.wait().expect("wait for herogi-server");
        for reader in self.readers.drain(..) {
            reader.join().expect("the output reader finished");
        }
        Stopped {
            status,
            stdout: self.stdout(),
            stderr: self.stderr(),
        }
    }

    /// Returns a client that authenticates with the test credentials.
    pub fn client(&self) -> Client {
        Client::new(&self.url, Some(basic(APP_ID, APP_SECRET)))
    }

    /// Returns a client that sends no `Authorization` header.
    pub fn anonymous_client(&self) -> Client {
        Client::new(&self.url, None)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Copies a pipe into `buffer` line by line, and sends each line to `lines` when given.
fn collect_lines(
    pipe: impl Read + Send + 'static,
    buffer: Arc<Mutex<String>>,
    lines: Option<mpsc::Sender<String>>,
) -> JoinHandle<()> {
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            let mut text = buffer.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
            if let Some(lines) = &lines {
                let _ = lines.send(line);
            }
        }
    })
}

/// Waits for the line `herogi-server listening on http://IP:PORT` and returns the URL.
fn wait_for_address(lines: &mpsc::Receiver<String>) -> Option<String> {
    let line = lines.recv_timeout(START_STOP_TIMEOUT).ok()?;
    line.strip_prefix("herogi-server listening on ")
        .map(str::to_string)
}

/// Builds an `Authorization: Basic` value.
pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

/// A status, the headers that tests read, and the body parsed as JSON (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub json: Value,
}

impl Reply {
    /// Returns the value of a header, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Returns a string member of the JSON body.
    pub fn text(&self, key: &str) -> &str {
        self.json[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} is not a string in {}", self.json))
    }
}

/// An HTTP client for one server, with an optional `Authorization` header.
pub struct Client {
    agent: ureq::Agent,
    url: String,
    authorization: Option<String>,
}

impl Client {
    pub fn new(url: &str, authorization: Option<String>) -> Client {
        // Without a proxy the requests stay on loopback whatever the environment sets. A 4xx
        // or 5xx status is data for these tests, not an error.
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .new_agent();
        Client {
            agent,
            url: url.to_string(),
            authorization,
        }
    }

    /// Sends `POST /v1/identify` with a JSON body.
    pub fn identify(&self, body: &Value) -> Reply {
        self.post_raw("/v1/identify", &body.to_string(), &[])
    }

    /// Sends `POST /v1/identify` and asserts a 200, returning the `hgid`.
    pub fn identify_ok(&self, body: &Value) -> String {
        let reply = self.identify(body);
        assert_eq!(reply.status, 200, "identify {body} failed: {}", reply.json);
        reply.text("hgid").to_string()
    }

    /// Sends `GET /v1/users/{hgid}`.
    pub fn profile(&self, hgid: &str) -> Reply {
        self.get(&format!("/v1/users/{hgid}"), &[])
    }

    /// Sends `GET /v1/users/{hgid}` and asserts a 200, returning the profile.
    pub fn profile_ok(&self, hgid: &str) -> Value {
        let reply = self.profile(hgid);
        assert_eq!(reply.status, 200, "profile {hgid}: {}", reply.json);
        reply.json
    }

    /// Sends a `POST` with a raw body and extra headers.
    pub fn post_raw(&self, path: &str, body: &str, headers: &[(&str, &str)]) -> Reply {
        self.try_post_raw(path, body, headers)
            .expect("the server sent a response")
    }

    /// Sends a `POST` with a raw body and extra headers, and returns `None` when no response
    /// came (the connection failed or was closed).
    pub fn try_post_raw(&self, path: &str, body: &str, headers: &[(&str, &str)]) -> Option<Reply> {
        let mut request = self
            .agent
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json");
        if let Some(value) = &self.authorization {
            request = request.header("authorization", value);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.send(body).ok()?)
    }

    /// Sends a `GET` with extra headers.
    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.agent.get(format!("{}{path}", self.url));
        if let Some(value) = &self.authorization {
            request = request.header("authorization", value);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.call().expect("the server sent a response")).expect("the body is text")
    }

    /// Sends an `OPTIONS` request with these headers.
    pub fn options(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.agent.options(format!("{}{path}", self.url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.call().expect("the server sent a response")).expect("the body is text")
    }
}

/// Reads a response, or returns `None` when its body cannot be read as text.
fn reply(mut response: ureq::http::Response<ureq::Body>) -> Option<Reply> {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = value.to_str().unwrap_or("").to_string();
            (name.as_str().to_string(), value)
        })
        .collect();
    let body = response.body_mut().read_to_string().ok()?;
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&body).unwrap_or(Value::String(body))
    };
    Some(Reply {
        status,
        headers,
        json,
    })
}

/// A response read from a raw socket: the status, the header block and the body as text.
#[derive(Debug)]
pub struct RawReply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

/// Sends one HTTP/1.1 request over a new TCP connection with the test credentials, exactly the
/// given extra headers and the body bytes, and reads the response until the server closes. A
/// `content-length` is added unless `headers` sets the length or the transfer encoding.
pub fn raw_request(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawReply {
    use std::io::Write;
    use std::net::TcpStream;

    let address = server.url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("connect to herogi-server");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();

    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {address}\r\nauthorization: {}\r\n\
         connection: close\r\n",
        basic(APP_ID, APP_SECRET)
    );
    let sets_length = headers.iter().any(|(name, _)| {
        name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding")
    });
    if !sets_length {
        head.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send the head");
    // The server may respond and close before it read the whole body, so a failed write is fine.
    let _ = stream.write_all(body);

    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    RawReply {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}
