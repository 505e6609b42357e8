//! The `docflow` binary.

mod cli;
mod client;
mod remote_audit;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    init_logging();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            cli::output::err(format_args!("docflow: error: {e:#}\n"));
            ExitCode::from(2)
        }
    }
}

/// Logs go to stderr; `RUST_LOG` filters them, `DOCFLOW_LOG_FORMAT=json`
/// makes them one JSON object per line for a log collector.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("DOCFLOW_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
