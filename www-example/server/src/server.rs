//! Starting the server: checking the settings, opening the database, binding the socket,
//! printing the start lines, and serving until a stop signal.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::{ListenerExt, TapIo};
use axum::Router;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::auth::Credentials;
use crate::cli::Cli;
use crate::db::Store;
use crate::routes::app::{self, AppState};
use crate::routes::cors::AllowedOrigins;
use crate::shutdown;
use crate::switches::TestSwitches;

/// A reason the server could not start or stopped on an error, with its cause.
#[derive(Debug)]
pub struct RunError(String);

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RunError {}

/// Runs the server until Ctrl-C or SIGTERM, then lets open requests finish for at most
/// [`shutdown::GRACE_PERIOD`].
///
/// # Errors
///
/// Fails when the database cannot be opened, when the address cannot be bound, or when
/// accepting connections fails.
pub async fn run(cli: Cli) -> Result<(), RunError> {
    // A missing directory is not fatal: a build may create it after the server started, and
    // every request looks the file up again.
    for directory in &cli.static_dirs {
        if !directory.is_dir() {
            tracing::warn!(
                directory = %directory.display(),
                "static directory does not exist or is not a directory, so its files are \
                 served once it exists"
            );
        }
    }

    let store = Store::open(&cli.db).map_err(|error| {
        RunError(format!(
            "failed to open database {}: {error}",
            cli.db.display()
        ))
    })?;
    let listener = TcpListener::bind(&cli.listen)
        .await
        .map_err(|error| RunError(format!("failed to listen on {}: {error}", cli.listen)))?;
    let address = listener
        .local_addr()
        .map_err(|error| RunError(format!("failed to read the bound address: {error}")))?;

    let custom_attributes = cli.custom_attribute_names();
    let origins = AllowedOrigins::from_values(&cli.allow_origins);
    tracing::info!(
        %address,
        db = %cli.db.display(),
        app_id = %cli.app_id,
        ?custom_attributes,
        allowed_origins = ?origins,
        static_dirs = ?cli.static_dirs,
        "server started"
    );
    print_start_lines(&cli, address);
    if cli.uses_demo_secret() && !address.ip().is_loopback() {
        tracing::warn!(
            %address,
            "the public demo secret protects a non-loopback address: set --app-secret"
        );
    }

    let credentials = Credentials {
        app_id: cli.app_id.clone(),
        app_secret: cli.app_secret.clone(),
    };
    let switches = cli.test_switches.then(|| {
        tracing::warn!(
            "test switches are on: /admin/ endpoints can inject faults into identify requests, \
             so use this only in tests"
        );
        Arc::new(TestSwitches::default())
    });
    let state = AppState {
        store: store.clone(),
        custom_attributes,
        switches,
    };
    let router = app::router(state, credentials, origins, &cli.static_dirs);
    let served = serve_until_signal(listener, router).await;
    close_database(store).await;
    if served.is_ok() {
        tracing::info!("server stopped");
    }
    served
}

/// Closes the database after the last request, logging the outcome. A failed close loses
/// nothing, because every write that got a 200 was committed and synced, and the next start
/// replays the WAL.
async fn close_database(store: Store) {
    match tokio::task::spawn_blocking(move || store.close()).await {
        Ok(Ok(())) => tracing::info!("database closed"),
        Ok(Err(error)) => tracing::error!(%error, "failed to close the database cleanly"),
        Err(error) => tracing::error!(%error, "failed to close the database cleanly"),
    }
}

/// Serves until a stop signal, then waits for open connections for at most the grace period.
async fn serve_until_signal(listener: TcpListener, router: Router) -> Result<(), RunError> {
    let (stopping, stopped) = watch::channel(false);
    // The peer address of each connection feeds the rate limit of failed authentications.
    // NOTE: axum::serve gives hyper no timer, so a client that never finishes its request
    // headers keeps its connection open. Bodies are bounded by BODY_IDLE_TIMEOUT.
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let server = axum::serve(without_delay(listener), service)
        .with_graceful_shutdown(shutdown::signal(stopping));
    tokio::select! {
        result = server => {
            result.map_err(|error| RunError(format!("failed to serve requests: {error}")))?;
        }
        () = shutdown::grace_period_over(stopped) => {
            tracing::warn!(
                grace_period_s = shutdown::GRACE_PERIOD.as_secs(),
                "connections still open after the grace period, so the server stops anyway"
            );
        }
    }
    Ok(())
}

/// Turns off Nagle's algorithm on each accepted connection. When a response's headers and body
/// leave in separate writes, the algorithm keeps the body back until the client acknowledges
/// the headers, and a client that delays its acknowledgements leaves it waiting. In headless
/// Chromium on Linux, a 1 KB static script took 20 ms from its first byte to its last.
fn without_delay(listener: TcpListener) -> TapIo<TcpListener, fn(&mut TcpStream)> {
    listener.tap_io(send_at_once)
}

/// Turns off Nagle's algorithm on one connection (see [`without_delay`]).
fn send_at_once(stream: &mut TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "failed to turn off Nagle's algorithm on a connection");
    }
}

/// Prints the address line that tests and scripts read, and, only while the public demo secret
/// is in use, the demo credentials. A configured secret is never printed.
fn print_start_lines(cli: &Cli, address: SocketAddr) {
    println!("herogi-server listening on http://{address}");
    if cli.uses_demo_secret() {
        println!(
            "demo credentials: app id {} and app secret {} (public demo values; set \
             --app-secret or HEROGI_APP_SECRET for anything but a local demo)",
            cli.app_id, cli.app_secret
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::serve::Listener;

    #[tokio::test]
    async fn accepted_connections_send_without_delay() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let mut listener = without_delay(listener);
        let client = TcpStream::connect(address).await.unwrap();
        let (accepted, peer) = listener.accept().await;
        assert_eq!(peer, client.local_addr().unwrap());
        assert!(
            accepted.nodelay().unwrap(),
            "the accepted connection keeps Nagle's algorithm on"
        );
    }
}
