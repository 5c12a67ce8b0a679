//! Logging to stderr with `tracing`: one line per request, and the errors with their cause.
//! No header, body or secret is ever logged.

use std::io::IsTerminal;
use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing_subscriber::EnvFilter;

use crate::routes::cors::X_REQUEST_ID;

/// Sends log lines to stderr, at the level that `RUST_LOG` sets (`info` when unset), so stdout
/// carries only the start lines.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// The profile a response is about, which the handler attaches to the response so that the
/// request line can name it.
#[derive(Clone, Debug)]
pub struct ProfileNote {
    /// The `hgid` of the profile.
    pub hgid: String,
    /// The effect of the request on it: `created`, `updated`, `repeated` or `read`.
    pub outcome: &'static str,
}

/// Maximum length of a request id in the log, in bytes. A longer one is left out of the line.
const MAX_LOGGED_REQUEST_ID: usize = 128;

/// Logs one line per request (method, path, status, duration, and the profile's `hgid` and the
/// outcome when a handler attached a [`ProfileNote`]) and echoes the request's `x-request-id`
/// in the response.
pub async fn trace_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let request_id = request.headers().get(X_REQUEST_ID).cloned();

    let mut response = next.run(request).await;

    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let note = response.extensions_mut().remove::<ProfileNote>();
    tracing::info!(
        %method,
        path = %path,
        status = response.status().as_u16(),
        duration_ms = format_args!("{duration_ms:.1}"),
        hgid = note.as_ref().map(|note| note.hgid.as_str()),
        outcome = note.as_ref().map(|note| note.outcome),
        request_id = request_id
            .as_ref()
            .and_then(|id| id.to_str().ok())
            .filter(|id| id.len() <= MAX_LOGGED_REQUEST_ID),
        "request"
    );
    if let Some(id) = request_id {
        response.headers_mut().insert(X_REQUEST_ID, id);
    }
    response
}
