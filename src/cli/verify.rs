//! The offline checks: `docflow verify` and `docflow ledger verify-receipt`.
//! Both trust only what their own flags give; no database, no server.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use docflow::core::checkpoint::NoteVerifier;

use super::output::say;

/// The log's public key, as every offline check takes it.
const LOG_KEY_HELP: &str = "The log's public verifier key, as GET /api/v1/ledger/key serves it \
     (one line, \"name+id+key\"): a file holding it, or the key itself. Not the log's signing key.";

/// `--evidence`'s help, without the `{n}` that clap reads as a line break.
pub const EVIDENCE_HELP: &str =
    "The evidence bundle (GET /api/v1/documents/ID/versions/N/evidence), \
     for a file that does not carry it (a stamped PDF carries its own).";

#[derive(Debug, Args)]
pub struct VerifyCommand {
    #[command(flatten)]
    args: docflow_verify::VerifyArgs,
    #[arg(long, value_name = "KEY", help = LOG_KEY_HELP)]
    log_key: Option<PathBuf>,
    /// Your trust anchors for X.509 keys (PEM); never taken from the file.
    #[arg(long, value_name = "ROOTS.pem")]
    trust_anchors: Option<PathBuf>,
    /// CRLs from those CAs (PEM).
    #[arg(long, value_name = "FILE")]
    crls: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Verify a receipt (C2SP tlog-proof) offline with the log's public key
    /// (--log-key: a file holding the verifier key, or the key itself).
    /// Exit 0 if valid, 1 if not.
    VerifyReceipt {
        /// The receipt file.
        file: PathBuf,
        /// Require this log origin (default: the key's name).
        #[arg(long)]
        origin: Option<String>,
        #[arg(long, value_name = "KEY", help = LOG_KEY_HELP)]
        log_key: Option<PathBuf>,
    },
}

pub fn verify(cmd: &VerifyCommand) -> ExitCode {
    docflow_verify::run(
        &cmd.args,
        &docflow_verify::TrustArgs {
            trust_anchors: cmd.trust_anchors.as_deref(),
            crls: cmd.crls.as_deref(),
            log_key: cmd.log_key.as_deref(),
        },
    )
}

pub fn ledger(cmd: &LedgerCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        LedgerCommand::VerifyReceipt {
            file,
            origin,
            log_key,
        } => verify_receipt(file, log_key.as_deref(), origin.as_deref()),
    }
}

/// The log's public key from `--log-key`: a file holding a verifier key or
/// a signer key (whose public half is used), or the verifier key itself.
pub fn verifier_key(arg: Option<&Path>) -> anyhow::Result<NoteVerifier> {
    let Some(arg) = arg else {
        bail!("give the log's public key with --log-key (GET /api/v1/ledger/key serves it)");
    };
    docflow_verify::log_verifier(arg).map_err(anyhow::Error::msg)
}

fn verify_receipt(
    file: &Path,
    log_key: Option<&Path>,
    origin: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let verifier = verifier_key(log_key)?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let result = docflow::core::receipt::Receipt::parse(&text)
        .and_then(|r| r.verify(&verifier, Some(origin.unwrap_or(verifier.name()))));
    match result {
        Ok(v) => {
            say!(
                "valid: entry {} ({} of {}) is in log {} at tree size {}, root {}",
                v.entry.seq,
                v.entry.kind,
                v.entry.subject,
                v.checkpoint.origin,
                v.checkpoint.size,
                hex::encode(v.checkpoint.root)
            );
            say!(
                "recorded {} by {}",
                docflow::core::ledger::format_time(&v.entry.time),
                v.entry.actor
            );
            super::output::out(format_args!("{}", String::from_utf8_lossy(&v.entry_bytes)));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            say!("INVALID: {e}");
            Ok(ExitCode::from(1))
        }
    }
}
