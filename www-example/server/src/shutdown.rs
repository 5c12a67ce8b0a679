//! Graceful shutdown on Ctrl-C or SIGTERM.

use std::time::Duration;

use tokio::sync::watch;

/// How long open connections may keep the server up after a stop signal.
pub const GRACE_PERIOD: Duration = Duration::from_secs(10);

/// Waits for Ctrl-C (SIGINT) or, on Unix, SIGTERM, then sends `true` on `stopping`, so a
/// watchdog can bound the grace period.
pub async fn signal(stopping: watch::Sender<bool>) {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "failed to listen for Ctrl-C: stop the server with SIGTERM");
            std::future::pending::<()>().await;
        }
    };

    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(error) => {
                tracing::error!(
                    %error,
                    "failed to listen for SIGTERM: stop the server with Ctrl-C"
                );
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = interrupt => tracing::info!("received Ctrl-C, shutting down"),
        () = terminate => tracing::info!("received SIGTERM, shutting down"),
    }
    // The receiver is only gone when the server has already stopped.
    let _ = stopping.send(true);
}

/// Waits until a stop signal came and then the grace period passed.
pub async fn grace_period_over(mut stopping: watch::Receiver<bool>) {
    if stopping.wait_for(|&stopped| stopped).await.is_err() {
        std::future::pending::<()>().await;
    }
    tokio::time::sleep(GRACE_PERIOD).await;
}
