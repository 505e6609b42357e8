//! `docflow keygen`: a user's Ed25519 key pair, made on the user's machine.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use super::output::say;

#[derive(Debug, Args)]
pub struct KeygenCommand {
    /// Path prefix of the two files.
    #[arg(long, value_name = "NAME")]
    out: PathBuf,
}

pub fn run(cmd: &KeygenCommand) -> anyhow::Result<ExitCode> {
    let key = docflow::core::keys::PrivateKey::generate(&mut rand::rngs::OsRng);
    let private = cmd.out.with_extension("pem");
    let public = cmd.out.with_extension("pub.pem");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&private)
        .with_context(|| format!("creating {} (it must not exist yet)", private.display()))?;
    file.write_all(key.to_pkcs8_pem().as_bytes())?;
    file.sync_all()?;
    std::fs::write(&public, key.public_key().to_spki_pem())
        .with_context(|| format!("writing {}", public.display()))?;
    say!(
        "private key: {} (keep it; it never leaves this machine)",
        private.display()
    );
    say!("public key:  {}", public.display());
    say!("fingerprint: {}", key.public_key().fingerprint());
    Ok(ExitCode::SUCCESS)
}
