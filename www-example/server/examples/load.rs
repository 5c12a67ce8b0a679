//! Load client for herogi-server: measures identify throughput and latency, then kills the
//! server with SIGKILL in the middle of a load and checks that every write that got a 200
//! survived.
//!
//! It starts the server binary itself on 127.0.0.1 with a temporary database, so it never sends
//! traffic anywhere else, and every phase stops after a fixed number of requests or seconds.
//! `bench/server/load.sh` builds both in release mode and runs this; its README has results.

use std::error::Error;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use clap::Parser;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{json, Value};

const APP_ID: &str = "load-app";
const APP_SECRET: &str = "load-secret-c81f";

/// Measures `POST /v1/identify` on a herogi-server that this client starts on 127.0.0.1.
#[derive(Clone, Debug, Parser)]
struct Options {
    /// The herogi-server binary [default: the herogi-server of this client's target directory].
    #[arg(long, value_name = "PATH")]
    server: Option<PathBuf>,

    /// Concurrent connections, each in its own thread, each sending its next request as soon
    /// as the previous response arrived.
    #[arg(long, default_value_t = 8)]
    connections: usize,

    /// Requests per measured scenario, over all connections.
    #[arg(long, default_value_t = 20_000)]
    requests: usize,

    /// Maximum seconds per measured scenario, whatever the request count.
    #[arg(long, default_value_t = 30)]
    max_seconds: u64,

    /// Writes that got a 200 to wait for before the SIGKILL.
    #[arg(long, default_value_t = 2_000)]
    kill_after: usize,
}

/// A herogi-server child process, killed when dropped.
struct ServerProcess {
    child: Child,
    url: String,
}

impl ServerProcess {
    /// Starts the server on a free loopback port with `db`, logging warnings only to `log`.
    fn start(binary: &Path, db: &Path, log: &Path) -> Result<ServerProcess, Box<dyn Error>> {
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(["--app-id", APP_ID, "--app-secret", APP_SECRET])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(log)?)
            .spawn()
            .map_err(|error| format!("failed to start {}: {error}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let mut first_line = String::new();
        BufReader::new(stdout).read_line(&mut first_line)?;
        let url = first_line
            .trim()
            .strip_prefix("herogi-server listening on ")
            .ok_or_else(|| format!("unexpected first line from the server: {first_line:?}"))?
            .to_string();
        Ok(ServerProcess { child, url })
    }

    /// Sends SIGKILL and waits for the process to exit.
    fn kill(mut self) -> Result<(), Box<dyn Error>> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client with one keep-alive connection to the server.
struct Client {
    agent: ureq::Agent,
    url: String,
    authorization: String,
}

impl Client {
    fn new(server: &ServerProcess) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .new_agent();
        Client {
            agent,
            url: format!("{}/v1/identify", server.url),
            authorization: format!(
                "Basic {}",
                STANDARD.encode(format!("{APP_ID}:{APP_SECRET}"))
            ),
        }
    }

    /// Sends one identify call and returns the status and body, or `None` when no response came.
    fn identify(&self, body: &Value) -> Option<(u16, Value)> {
        let mut response = self
            .agent
            .post(&self.url)
            .header("authorization", &self.authorization)
            .header("content-type", "application/json")
            .send(body.to_string())
            .ok()?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().ok()?;
        Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }
}

/// The latencies of one scenario and how many calls failed.
struct Measured {
    latencies: Vec<Duration>,
    failures: usize,
    elapsed: Duration,
}

/// Runs `requests` identify calls over `connections` threads, or stops after `max_seconds`.
/// `body(worker, call, hgid)` builds each body, with the `hgid` of the worker's first response.
fn measure(
    server: &ServerProcess,
    options: &Options,
    body: fn(usize, usize, Option<&str>) -> Value,
) -> Measured {
    let next_call = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(options.connections + 1));
    let limit = options.requests;
    let stop_at = Instant::now() + Duration::from_secs(options.max_seconds);

    let workers: Vec<_> = (0..options.connections)
        .map(|worker| {
            let client = Client::new(server);
            let (next_call, failures, start) = (
                Arc::clone(&next_call),
                Arc::clone(&failures),
                Arc::clone(&start),
            );
            thread::spawn(move || {
                let mut latencies = Vec::new();
                let mut hgid: Option<String> = None;
                start.wait();
                loop {
                    let call = next_call.fetch_add(1, Ordering::Relaxed);
                    if call >= limit || Instant::now() >= stop_at {
                        break;
                    }
                    let sent = Instant::now();
                    let reply = client.identify(&body(worker, call, hgid.as_deref()));
                    let latency = sent.elapsed();
                    match reply {
                        Some((200, json)) => {
                            latencies.push(latency);
                            if hgid.is_none() {
                                hgid = json["hgid"].as_str().map(str::to_string);
                            }
                        }
                        _ => {
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                latencies
            })
        })
        .collect();

    start.wait();
    let began = Instant::now();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.join().expect("a load thread panicked"));
    }
    Measured {
        latencies,
        failures: failures.load(Ordering::Relaxed),
        elapsed: began.elapsed(),
    }
}

/// Returns the latency below which `fraction` of the sorted latencies fall (nearest rank).
fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(name: &str, mut measured: Measured) {
    measured.latencies.sort();
    let answered = measured.latencies.len();
    let per_second = answered as f64 / measured.elapsed.as_secs_f64();
    let ms = |latency: Duration| latency.as_secs_f64() * 1000.0;
    println!(
        "{name:<8} {answered:>7} ok {:>3} failed in {:>5.1} s: {per_second:>7.0} requests/s, \
         p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        measured.failures,
        measured.elapsed.as_secs_f64(),
        ms(percentile(&measured.latencies, 0.50)),
        ms(percentile(&measured.latencies, 0.90)),
        ms(percentile(&measured.latencies, 0.99)),
        ms(measured.latencies.last().copied().unwrap_or_default()),
    );
}

/// Builds the body of a warm-up call: a new profile that the measured calls never touch.
fn warm_up_visitor(worker: usize, call: usize, _: Option<&str>) -> Value {
    json!({ "externalUserId": format!("warm-up-{worker}-{call}"), "city": "Oslo" })
}

/// Builds the body of a `create` call: a new externalUserId every time.
fn new_visitor(worker: usize, call: usize, _: Option<&str>) -> Value {
    json!({
        "externalUserId": format!("load-{worker}-{call}"),
        "email": format!("user{call}@example.com"),
        "city": "Oslo",
        "customAttributes": json!({ "plan": "pro", "loyaltyPoints": call }).to_string(),
    })
}

/// Builds the body of an `update` call: the worker's own profile, named by the hgid of its
/// first response.
fn returning_visitor(worker: usize, call: usize, hgid: Option<&str>) -> Value {
    let mut body = json!({ "city": format!("City {call}"), "language": "en-US" });
    match hgid {
        Some(hgid) => body["hgid"] = hgid.into(),
        None => body["externalUserId"] = format!("returning-{worker}").into(),
    }
    body
}

/// Loads a fresh server with new profiles, kills it with SIGKILL after `kill_after` answered
/// writes, and checks the file: integrity, and every answered write present.
fn kill_under_load(binary: &Path, dir: &Path, options: &Options) -> Result<bool, Box<dyn Error>> {
    let db = dir.join("kill.db");
    let server = ServerProcess::start(binary, &db, &dir.join("kill.log"))?;
    let answered = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let answered_count = Arc::new(AtomicUsize::new(0));
    let lost = Arc::new(AtomicUsize::new(0));
    let unexpected = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let max_calls = options.kill_after * 4;

    let workers: Vec<_> = (0..options.connections)
        .map(|worker| {
            let client = Client::new(&server);
            let (answered, answered_count, lost, unexpected, stop) = (
                Arc::clone(&answered),
                Arc::clone(&answered_count),
                Arc::clone(&lost),
                Arc::clone(&unexpected),
                Arc::clone(&stop),
            );
            thread::spawn(move || {
                for call in 0..max_calls {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let external_user_id = format!("kill-{worker}-{call}");
                    match client.identify(&json!({ "externalUserId": external_user_id })) {
                        Some((200, json)) => {
                            let hgid = json["hgid"].as_str().unwrap_or_default().to_string();
                            answered.lock().unwrap().push((external_user_id, hgid));
                            answered_count.fetch_add(1, Ordering::Relaxed);
                        }
                        // No response: the server died with this call in flight.
                        None => {
                            lost.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                        Some((status, json)) => {
                            eprintln!("unexpected status {status}: {json}");
                            unexpected.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();

    let deadline = Instant::now() + Duration::from_secs(options.max_seconds);
    while answered_count.load(Ordering::Relaxed) < options.kill_after && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(1));
    }
    server.kill()?;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().expect("a load thread panicked");
    }

    let connection = Connection::open(&db)?;
    let integrity: String = connection.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
    let answered = answered.lock().unwrap();
    let mut missing = 0;
    for (external_user_id, hgid) in answered.iter() {
        let stored: Option<String> = connection
            .query_row(
                "SELECT hgid FROM profiles WHERE external_user_id = ?1",
                [external_user_id],
                |row| row.get(0),
            )
            .optional()?;
        if stored.as_deref() != Some(hgid.as_str()) {
            missing += 1;
        }
    }
    let rows: i64 = connection.query_row("SELECT count(*) FROM profiles", [], |row| row.get(0))?;
    drop(connection);

    // The server must start again on the same file and find a profile written before the kill.
    let restarted = ServerProcess::start(binary, &db, &dir.join("restart.log"))?;
    let merged = match answered.last() {
        Some((external_user_id, hgid)) => {
            let reply =
                Client::new(&restarted).identify(&json!({ "externalUserId": external_user_id }));
            reply.is_some_and(|(status, json)| status == 200 && json["hgid"] == hgid.as_str())
        }
        None => false,
    };

    let unexpected = unexpected.load(Ordering::Relaxed);
    println!(
        "sigkill  {} answered before the kill, {} in flight without a response, {unexpected} \
         non-200, {rows} rows in the file, {missing} answered writes missing, integrity_check \
         {integrity}, restart and merge {}",
        answered.len(),
        lost.load(Ordering::Relaxed),
        if merged { "ok" } else { "FAILED" },
    );
    Ok(integrity == "ok" && missing == 0 && unexpected == 0 && merged && !answered.is_empty())
}

fn default_server() -> Result<PathBuf, Box<dyn Error>> {
    // target/<profile>/examples/load → target/<profile>/herogi-server
    let client = std::env::current_exe()?;
    let profile_dir = client
        .parent()
        .and_then(Path::parent)
        .ok_or("cannot find the target directory of this client")?;
    Ok(profile_dir.join("herogi-server"))
}

fn main() -> Result<(), Box<dyn Error>> {
    let options = Options::parse();
    let binary = match &options.server {
        Some(path) => path.clone(),
        None => default_server()?,
    };
    let dir = tempfile::tempdir()?;
    println!(
        "{} connections, at most {} requests or {} s per scenario, server {}",
        options.connections,
        options.requests,
        options.max_seconds,
        binary.display()
    );

    let server = ServerProcess::start(
        &binary,
        &dir.path().join("load.db"),
        &dir.path().join("load.log"),
    )?;
    // Warm up: the first calls create the tables' pages and the connections.
    let warm_up = Options {
        requests: 500,
        ..options.clone()
    };
    measure(&server, &warm_up, warm_up_visitor);
    report("create", measure(&server, &options, new_visitor));
    report("update", measure(&server, &options, returning_visitor));
    drop(server);

    if kill_under_load(&binary, dir.path(), &options)? {
        Ok(())
    } else {
        Err("the SIGKILL check failed".into())
    }
}
