//! The `harbour` binary: parse the command line and hand over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = harbour_server::cli::Cli::parse();
    harbour_server::telemetry::init();
    match harbour_server::cli::run(cli).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("harbour: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
