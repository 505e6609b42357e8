//! `docflow serve` and `docflow migrate`.

use std::process::ExitCode;

use clap::Args;
use docflow::app::Application;
use docflow::config::Layer;
use docflow::service::console;

use super::args::{self, DbArgs, SignerArgs, TopArgs};
use super::output::say;

#[derive(Debug, Args)]
pub struct ServeCommand {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    signer: SignerArgs,
    #[command(flatten)]
    args: ServeArgs,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "DOCFLOW_BIND", value_name = "ADDR")]
    bind: Option<String>,
    /// Largest accepted upload, in bytes (default 50 MiB).
    #[arg(long, env = "DOCFLOW_MAX_UPLOAD_BYTES", value_name = "BYTES")]
    max_upload_bytes: Option<u64>,
    /// Accepted document kinds, comma-separated.
    #[arg(
        long,
        env = "DOCFLOW_DOCUMENT_KINDS",
        value_delimiter = ',',
        value_name = "KINDS"
    )]
    document_kinds: Option<Vec<String>>,
    /// Database connections per node.
    #[arg(long, env = "DOCFLOW_POOL_SIZE", value_name = "N")]
    pool_size: Option<u32>,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "DOCFLOW_WORKERS", value_name = "N")]
    workers: Option<usize>,
}

#[derive(Debug, Args)]
pub struct MigrateCommand {
    #[command(flatten)]
    db: DbArgs,
}

pub fn serve(top: &TopArgs, cmd: ServeCommand) -> anyhow::Result<ExitCode> {
    let a = cmd.args;
    let own = Layer {
        bind: a.bind,
        max_upload_bytes: a.max_upload_bytes,
        document_kinds: a.document_kinds,
        pool_size: a.pool_size,
        workers: a.workers,
        ..Layer::default()
    };
    let settings = args::settings(top, &cmd.db, Some(&cmd.signer), own)?;
    let app = Application::build(&settings)?;
    say!(
        "docflow listening on http://{} (database: {})",
        app.addr,
        app.database
    );
    say!("log key: {}", app.log_key);
    if app.is_empty {
        say!(
            "\nNo organisation yet. Create the first one, its admin, and a token \
             (with `cargo run --release --` in place of `docflow` from a source checkout):\n\
             \n  docflow admin org add --code MINFIN --name \"Молия вазирлиги\"\
             \n  docflow admin user add --org MINFIN --login admin --name \"Administrator\" --position \"System administrator\" --role admin\
             \n  docflow admin token issue --login admin\n"
        );
    }
    app.run_until_stopped()?;
    Ok(ExitCode::SUCCESS)
}

pub fn migrate(top: &TopArgs, cmd: MigrateCommand) -> anyhow::Result<ExitCode> {
    let settings = args::settings(top, &cmd.db, None, Layer::default())?;
    let applied = console::migrate(&settings)?;
    if applied.is_empty() {
        say!("{}: up to date", settings.database.url.redacted());
    } else {
        for m in &applied {
            say!("applied {m}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
