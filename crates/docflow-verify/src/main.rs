//! `docflow-verify`: the offline verifier on its own, with no database or
//! web dependency, for verifiers who install nothing else.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use docflow_verify::{run, TrustArgs, VerifyArgs};

/// Check a signed document version offline: its content hash, every
/// statement and signature, certificate chains against your own trust
/// anchors, every log receipt against the pinned log key, and the approval
/// route's decisions. Exit 0 valid, 1 invalid, 2 unusable input.
#[derive(Debug, Parser)]
#[command(name = "docflow-verify", version)]
struct Cli {
    #[command(flatten)]
    verify: VerifyArgs,
    /// Your trust anchors for X.509 keys (PEM); never taken from the file.
    #[arg(long, value_name = "ROOTS.pem")]
    trust_anchors: Option<PathBuf>,
    /// CRLs from those CAs (PEM).
    #[arg(long, value_name = "FILE")]
    crls: Option<PathBuf>,
    /// The log's public key: a file holding it, or the key itself.
    #[arg(long, value_name = "KEY")]
    log_key: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    run(
        &cli.verify,
        &TrustArgs {
            trust_anchors: cli.trust_anchors.as_deref(),
            crls: cli.crls.as_deref(),
            log_key: cli.log_key.as_deref(),
        },
    )
}
