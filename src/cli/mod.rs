//! The command line: `docflow serve | migrate | audit | ledger | admin |
//! keygen | client | verify`. The argument tree is spread over the
//! commands' modules; each module runs its command through the library's
//! services ([`docflow::service`], [`docflow::app`]), never storage.

mod admin;
mod args;
mod audit;
mod client;
mod credentials;
mod keygen;
pub mod output;
mod serve;
mod users;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use args::TopArgs;

#[derive(Debug, Parser)]
#[command(
    name = "docflow",
    version,
    about = "Electronic document flow with digital signatures and a verifiable ledger",
    long_about = "docflow registers documents and their immutable versions, records every change \
                  in an append-only chain of hashes, and serves an HTTP API.\n\n\
                  With no DATABASE_URL it keeps everything in an embedded SQLite database under \
                  the data directory; with DATABASE_URL=postgres://… many nodes share one PostgreSQL."
)]
pub struct Cli {
    #[command(flatten)]
    top: TopArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP API (applies pending migrations first).
    Serve(serve::ServeCommand),
    /// Apply pending database migrations and exit.
    Migrate(serve::MigrateCommand),
    /// Recompute the whole chain of hashes, the Merkle tree, every signed
    /// checkpoint and every content hash; exit 1 on the first problem,
    /// naming the entry. With --remote, audit a server from its public API
    /// alone, trusting only the log key given by --log-key.
    Audit(audit::AuditCommand),
    /// Offline checks of the transparency log's artefacts.
    Ledger {
        #[command(subcommand)]
        command: verify::LedgerCommand,
    },
    /// Manage organisations, users, API tokens and signing keys (acts
    /// directly on the database).
    Admin(admin::AdminArgs),
    /// Make an Ed25519 key pair: NAME.pem (PKCS#8 private key, mode 0600)
    /// and NAME.pub.pem (public key). The private key stays with you.
    Keygen(keygen::KeygenCommand),
    /// Talk to a docflow server as a user: log in with a local key, sign.
    Client(client::ClientArgs),
    /// Check a signed document version offline with its evidence bundle,
    /// your own --trust-anchors and the pinned --log-key (the log's public
    /// key): no server, database or network. Exit 0 valid, 1 invalid, 2
    /// unusable input.
    #[command(mut_arg("evidence", |a| a.help(verify::EVIDENCE_HELP)))]
    Verify(verify::VerifyCommand),
}

/// Every option written before the command.
const ALL: &[&str] = &[
    "--config",
    "--database-url",
    "--data-dir",
    "--log-key",
    "--trust-anchors",
    "--crls",
];
/// Those that only say which database.
const DATABASE: &[&str] = &["--config", "--database-url", "--data-dir"];

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let top = &cli.top;
    match cli.command {
        Command::Serve(cmd) => {
            top.refuse_for("serve", ALL)?;
            serve::serve(top, cmd)
        }
        Command::Migrate(cmd) => {
            top.refuse_for("migrate", DATABASE)?;
            serve::migrate(top, cmd)
        }
        Command::Audit(cmd) => {
            top.refuse_for("audit", DATABASE)?;
            audit::run(top, cmd)
        }
        Command::Admin(cmd) => {
            top.refuse_for("admin", ALL)?;
            admin::run(top, cmd)
        }
        Command::Ledger { command } => {
            top.refuse_for("ledger", &[])?;
            verify::ledger(&command)
        }
        Command::Keygen(cmd) => {
            top.refuse_for("keygen", &[])?;
            keygen::run(&cmd)
        }
        Command::Client(cmd) => {
            top.refuse_for("client", &[])?;
            client::run(&cmd)
        }
        Command::Verify(cmd) => {
            top.refuse_for("verify", &[])?;
            Ok(verify::verify(&cmd))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_argument_tree_is_consistent() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
