//! Starting the server: checking the settings, opening the database, binding the socket,
//! printing the start lines, and serving until a stop signal.

use std::fmt;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::auth::Credentials;
use crate::cli::Cli;
use crate::db::Store;
use crate::routes::app::{self, AppState};
use crate::shutdown;

/// A reason the server could not start, with its cause.
#[derive(Debug)]
pub struct StartError(String);

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// Runs the server until Ctrl-C or SIGTERM, then lets open requests finish for at most
/// [`shutdown::GRACE_PERIOD`].
///
/// # Errors
///
/// Fails when the database cannot be opened or the address cannot be bound.
pub async fn run(cli: Cli) -> Result<(), StartError> {
    // A missing directory is not fatal: a build may create it after the server started, and
    // every request looks the file up again.
    for directory in &cli.static_dirs {
        if !directory.is_dir() {
            tracing::warn!(
                directory = %directory.display(),
                "static directory does not exist or is not a directory; its files are served \
                 once it exists"
            );
        }
    }

    let store = Store::open(&cli.db).map_err(|error| {
        StartError(format!(
            "failed to open database {}: {error}",
            cli.db.display()
        ))
    })?;
    let listener = TcpListener::bind(&cli.listen)
        .await
        .map_err(|error| StartError(format!("failed to listen on {}: {error}", cli.listen)))?;
    let address = listener
        .local_addr()
        .map_err(|error| StartError(format!("failed to read the bound address: {error}")))?;

    let custom_attributes = cli.custom_attribute_names();
    tracing::info!(
        %address,
        db = %cli.db.display(),
        app_id = %cli.app_id,
        ?custom_attributes,
        static_dirs = ?cli.static_dirs,
        "server started"
    );
    print_start_lines(&cli, address);
    if cli.uses_demo_secret() && !address.ip().is_loopback() {
        tracing::warn!(
            %address,
            "the public demo secret protects a non-loopback address; set --app-secret"
        );
    }

    let credentials = Credentials {
        app_id: cli.app_id.clone(),
        app_secret: cli.app_secret.clone(),
    };
    let state = AppState {
        store,
        custom_attributes,
    };
    let router = app::router(state, credentials, &cli.static_dirs);

    let (stopping, stopped) = watch::channel(false);
    let server = axum::serve(listener, router).with_graceful_shutdown(shutdown::signal(stopping));
    tokio::select! {
        result = server => {
            if let Err(error) = result {
                tracing::error!(%error, "server failed");
            }
        }
        () = shutdown::grace_period_over(stopped) => {
            tracing::warn!(
                grace_period_s = shutdown::GRACE_PERIOD.as_secs(),
                "connections still open after the grace period; stopping anyway"
            );
        }
    }
    tracing::info!("server stopped");
    Ok(())
}

/// Prints the address line that tests and scripts read, and, only while the public demo secret
/// is in use, the demo credentials. A configured secret is never printed.
fn print_start_lines(cli: &Cli, address: std::net::SocketAddr) {
    println!("herogi-server listening on http://{address}");
    if cli.uses_demo_secret() {
        println!(
            "demo credentials: app id {} and app secret {} (public demo values; set \
             --app-secret or HEROGI_APP_SECRET for anything but a local demo)",
            cli.app_id, cli.app_secret
        );
    }
}
