//! herogi-server: a local stand-in for the Herogi Identify API, for the example page and the
//! SDK's tests. Run `herogi-server --help` for the options.

mod auth;
mod cli;
mod db;
mod error;
mod identify;
#[cfg(test)]
mod identify_properties;
mod logging;
mod merge;
mod profile;
mod rate_limit;
mod repeats;
mod routes;
mod server;
mod shutdown;
mod switches;

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    logging::init();
    match server::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}
