//! Thin binary: environment, logging, command line; the app lives in the library.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[actix_web::main]
async fn main() -> ExitCode {
    // A missing .env is normal; a broken one is worth a warning.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("warning: .env ignored: {e}");
    }
    let cli = kwik_dashboard::cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("KWIK_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn")),
        )
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .with_writer(std::io::stderr)
        .init();
    kwik_dashboard::cli::run(cli).await
}
