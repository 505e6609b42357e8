//! `docflow audit`: the database's own audit, or a server's from outside
//! (`--remote`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use docflow::config::Layer;
use docflow::service::console::{self, AuditProgress};

use super::args::{self, DbArgs, TopArgs};
use super::output::{note, say};

#[derive(Debug, Args)]
pub struct AuditCommand {
    #[command(flatten)]
    db: DbArgs,
    /// Audit this server (e.g. http://127.0.0.1:8080) instead of the database.
    #[arg(long, value_name = "URL", requires = "log_key")]
    remote: Option<String>,
    /// With --remote: the log's public verifier key, as GET
    /// /api/v1/ledger/key serves it ("name+id+key"), in a file or given
    /// itself (a signing key file also does: its public half is used). The
    /// audit trusts nothing else.
    #[arg(long, env = "DOCFLOW_LOG_KEY", value_name = "KEY")]
    log_key: Option<PathBuf>,
    /// Where --remote keeps the last verified checkpoint, so the next run
    /// proves the log only grew. Default: DATA_DIR/remote-audit.checkpoint
    #[arg(long, value_name = "FILE", requires = "remote")]
    state: Option<PathBuf>,
}

pub fn run(top: &TopArgs, cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    let settings = args::settings(top, &cmd.db, None, Layer::default())?;
    let Some(server) = cmd.remote else {
        return local(&settings);
    };
    let verifier = super::verify::verifier_key(cmd.log_key.as_deref())?;
    let state = cmd
        .state
        .unwrap_or_else(|| settings.data_dir.join("remote-audit.checkpoint"));
    let outcome = crate::remote_audit::run(&server, &verifier, &state)?;
    if outcome.ok {
        say!("{}", outcome.message);
        Ok(ExitCode::SUCCESS)
    } else {
        say!("FAILED: {}", outcome.message);
        Ok(ExitCode::from(1))
    }
}

fn local(settings: &docflow::config::Settings) -> anyhow::Result<ExitCode> {
    let tty = std::io::stderr().is_terminal();
    let bar = indicatif::ProgressBar::hidden();
    if tty {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    }
    let mut entries_done = 0i64;
    let mut progress = |p: AuditProgress| match p {
        AuditProgress::Start { entries, blobs } => {
            if tty {
                bar.set_length(u64::try_from(entries + blobs).unwrap_or(0));
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{msg:>10} [{bar:40}] {pos}/{len} ({eta})",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                bar.set_message("ledger");
            } else {
                note!("audit: {entries} entries, {blobs} contents to check");
            }
        }
        AuditProgress::Entries(n) => {
            entries_done = n;
            if tty {
                bar.set_position(u64::try_from(n).unwrap_or(0));
            } else {
                note!("audit: entries 1..{n} ok");
            }
        }
        AuditProgress::Blobs(n) => {
            if tty {
                bar.set_message("content");
                bar.set_position(u64::try_from(entries_done + n).unwrap_or(0));
            } else {
                note!("audit: {n} contents ok");
            }
        }
    };
    let report = console::audit(settings, &mut progress)?;
    bar.finish_and_clear();
    match report.problem {
        None => {
            say!(
                "ok: {} entries, head {}",
                report.entries,
                hex::encode(report.head)
            );
            note!(
                "audit: {} signed checkpoints and {} contents verified",
                report.checkpoints,
                report.blobs
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(problem) => {
            say!("FAILED: {problem}");
            Ok(ExitCode::from(1))
        }
    }
}
