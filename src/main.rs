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
    let json = match std::env::var("KWIK_LOG_FORMAT").unwrap_or_default().trim() {
        "" | "text" => false,
        "json" => true,
        other => {
            eprintln!("error: KWIK_LOG_FORMAT: cannot understand {other:?}; use text or json");
            return ExitCode::FAILURE;
        }
    };
    // JSON logs are for log pipelines: they carry one access line per request by default.
    let default = if json {
        "info,actix_server=warn"
    } else {
        "info,actix_server=warn,kwik_dashboard::access=warn"
    };
    let filter = EnvFilter::try_from_env("KWIK_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        logs.json()
            .with_current_span(false)
            .with_span_list(true)
            .init();
    } else {
        logs.with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
            .init();
    }
    kwik_dashboard::cli::run(cli).await
}
