//! The options of the commands that use the database (serve, migrate,
//! audit, admin), and the one way they become [`Settings`].
//!
//! They are accepted before the command (`docflow --data-dir DIR admin …`,
//! [`TopArgs`]) and after it ([`DbArgs`], [`SignerArgs`], which also read
//! the environment). keygen, client, ledger and verify take none of them.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use docflow::config::{Layer, Settings};

/// The database options written before the command.
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Database options (for serve, migrate, audit and admin)")]
pub struct TopArgs {
    /// TOML configuration file (lowest layer: environment and flags override
    /// it) [env: DOCFLOW_CONFIG].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// postgres://USER@HOST/DB or sqlite://PATH [env: DATABASE_URL].
    /// Default: the embedded SQLite database DATA_DIR/docflow.db.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Where the embedded database and the server's files live (default
    /// ./docflow-data) [env: DOCFLOW_DATA_DIR].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// serve and admin: the log's signing key, a signed-note private key
    /// file (default DATA_DIR/log.key) [env: DOCFLOW_LOG_KEY]. Not the
    /// public key that verify, ledger and audit --remote take.
    #[arg(long, value_name = "FILE")]
    pub log_key: Option<PathBuf>,
    /// serve and admin: PEM file of the CA certificates trusted for users'
    /// X.509 keys [env: DOCFLOW_TRUST_ANCHORS].
    #[arg(long, value_name = "FILE")]
    pub trust_anchors: Option<PathBuf>,
    /// serve and admin: PEM file of certificate revocation lists from those
    /// CAs [env: DOCFLOW_CRLS].
    #[arg(long, value_name = "FILE")]
    pub crls: Option<PathBuf>,
}

/// Which database: for every command that opens one.
#[derive(Debug, Default, Args)]
pub struct DbArgs {
    /// TOML configuration file (lowest layer: environment and flags override it).
    #[arg(long, global = true, env = "DOCFLOW_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// postgres://USER@HOST/DB or sqlite://PATH. Default: the embedded SQLite
    /// database DATA_DIR/docflow.db.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Where the embedded database and the server's files live (default
    /// ./docflow-data).
    #[arg(long, global = true, env = "DOCFLOW_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// What a node that writes to the ledger needs: serve and admin.
#[derive(Debug, Default, Args)]
pub struct SignerArgs {
    /// The log's signing key: a signed-note private key file
    /// (PRIVATE+KEY+…). Default: DATA_DIR/log.key, made with mode 0600 for
    /// a database whose log has no key yet. Every node on one database
    /// needs the same key. (Verifiers use its public half, GET
    /// /api/v1/ledger/key.)
    #[arg(long, global = true, env = "DOCFLOW_LOG_KEY", value_name = "FILE")]
    pub log_key: Option<PathBuf>,
    /// PEM file of the CA certificates trusted for users' X.509 keys.
    #[arg(
        long,
        global = true,
        env = "DOCFLOW_TRUST_ANCHORS",
        value_name = "FILE"
    )]
    pub trust_anchors: Option<PathBuf>,
    /// PEM file of certificate revocation lists from those CAs.
    #[arg(long, global = true, env = "DOCFLOW_CRLS", value_name = "FILE")]
    pub crls: Option<PathBuf>,
}

impl TopArgs {
    /// Refuses the options given before `command` that mean nothing to it
    /// (all but those named in `takes`).
    pub fn refuse_for(&self, command: &str, takes: &[&str]) -> anyhow::Result<()> {
        let given = [
            ("--config", self.config.is_some()),
            ("--database-url", self.database_url.is_some()),
            ("--data-dir", self.data_dir.is_some()),
            ("--log-key", self.log_key.is_some()),
            ("--trust-anchors", self.trust_anchors.is_some()),
            ("--crls", self.crls.is_some()),
        ];
        let Some((flag, _)) = given.iter().find(|(f, set)| *set && !takes.contains(f)) else {
            return Ok(());
        };
        if *flag == "--log-key" && command == "audit" {
            bail!(
                "`docflow audit` takes the log's public key after the command: \
                 docflow audit --remote URL --log-key KEY"
            );
        }
        bail!("{flag} means nothing to `docflow {command}`")
    }
}

/// The one merge of everything given on the command line and in the
/// environment: a flag before the command wins over the same flag (or its
/// variable) after it; then [`Settings::load`] puts the result over the
/// configuration file and the defaults. `rest` holds the command's own
/// settings (serve's bind, pool size…).
pub fn settings(
    top: &TopArgs,
    db: &DbArgs,
    signer: Option<&SignerArgs>,
    rest: Layer,
) -> anyhow::Result<Settings> {
    let pick = |before: &Option<PathBuf>, after: Option<&Option<PathBuf>>| {
        before.clone().or_else(|| after.cloned().flatten())
    };
    let config = pick(&top.config, Some(&db.config));
    let flags = Layer {
        database_url: top.database_url.clone().or_else(|| db.database_url.clone()),
        data_dir: pick(&top.data_dir, Some(&db.data_dir)),
        log_key: pick(&top.log_key, signer.map(|s| &s.log_key)),
        trust_anchors: pick(&top.trust_anchors, signer.map(|s| &s.trust_anchors)),
        crls: pick(&top.crls, signer.map(|s| &s.crls)),
        ..rest
    };
    Ok(Settings::load(config.as_deref(), flags)?)
}

pub fn parse_stamp_language(tag: &str) -> Result<docflow::domain::language::StampLanguage, String> {
    docflow::domain::language::parse_stamp_language(tag).map_err(|e| e.reason)
}

pub fn parse_offset(text: &str) -> Result<chrono::FixedOffset, String> {
    docflow::domain::organisation::parse_utc_offset(text).map_err(|e| e.reason)
}
