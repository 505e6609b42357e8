//! `docflow admin token …` and `docflow admin key …`: bearer tokens and
//! users' signing keys. Every time printed is RFC 3339 UTC.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Subcommand;
use docflow::config::Settings;
use docflow::service::console::{self, Console};
use docflow::service::keys::{self, KeyInput};
use docflow::service::{admin, Actor};

use super::output::{self, note, say};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a bearer token and print it (only its hash is stored).
    Issue {
        /// Whose token.
        #[arg(long)]
        login: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        label: String,
        /// Lifetime in days.
        #[arg(long, default_value_t = 30)]
        ttl_days: i64,
    },
    /// Revoke a token by its id (see `token list`).
    Revoke {
        #[arg(long)]
        id: String,
    },
    /// List a user's tokens (ids and state, never the secrets).
    List {
        #[arg(long)]
        login: String,
        /// Print a JSON array instead of tab-separated lines.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Register a user's Ed25519 public key or X.509 certificate.
    Add {
        #[arg(long)]
        login: String,
        /// PEM SubjectPublicKeyInfo of a raw Ed25519 key.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["certificate", "chain"], required_unless_present = "certificate")]
        public_key: Option<PathBuf>,
        /// The user's certificate (PEM or DER); its key must be Ed25519.
        #[arg(long, value_name = "FILE")]
        certificate: Option<PathBuf>,
        /// Intermediate certificates (PEM bundle).
        #[arg(long, value_name = "FILE", requires = "certificate")]
        chain: Option<PathBuf>,
    },
    /// List a user's keys.
    List {
        #[arg(long)]
        login: String,
        /// Print a JSON array instead of tab-separated lines.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key; signatures made before the revocation time stay valid.
    Revoke {
        /// The key's fingerprint.
        #[arg(long)]
        id: String,
        #[arg(long)]
        reason: String,
        /// From when (RFC 3339; default now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
}

pub fn token(console: &mut Console, command: TokenCommand) -> anyhow::Result<()> {
    let actor = Actor::Operator;
    match command {
        TokenCommand::Issue {
            login,
            label,
            ttl_days,
        } => {
            let ttl = chrono::Duration::try_days(ttl_days)
                .ok_or_else(|| anyhow::anyhow!("--ttl-days is out of range"))?;
            let issued = console.write(|tx| admin::issue_token(tx, &actor, &login, &label, ttl))?;
            note!(
                "token {} for {login}, expires {}; it is shown only now:",
                issued.row.id,
                console::time(issued.row.expires_at)
            );
            say!("{}", issued.secret);
        }
        TokenCommand::Revoke { id } => {
            let token = console.write(|tx| admin::revoke_token(tx, &actor, &id))?;
            say!("token {} revoked", token.id);
        }
        TokenCommand::List { login, json } => {
            let tokens = console.tokens(&login)?;
            if json {
                return output::json(&tokens);
            }
            for t in tokens {
                say!(
                    "{}\t{}\t{}\texpires {}",
                    t.id,
                    t.state,
                    t.label,
                    t.expires_at
                );
            }
        }
    }
    Ok(())
}

pub fn key(console: &mut Console, settings: &Settings, command: KeyCommand) -> anyhow::Result<()> {
    let actor = Actor::Operator;
    match command {
        KeyCommand::Add {
            login,
            public_key,
            certificate,
            chain,
        } => {
            let read =
                |p: &PathBuf| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
            let input = match (public_key, certificate) {
                (Some(p), _) => KeyInput::PublicKey(
                    String::from_utf8(read(&p)?).context("the public key file is not PEM text")?,
                ),
                (None, Some(c)) => KeyInput::Certificate {
                    certificate: read(&c)?,
                    chain: match chain {
                        Some(p) => docflow::core::x509::pem_bundle_to_der(
                            &String::from_utf8(read(&p)?)
                                .context("the chain file is not PEM text")?,
                        )?,
                        None => Vec::new(),
                    },
                },
                (None, None) => bail!("give --public-key or --certificate"),
            };
            let trust = console::trust_store(&settings.trust)?;
            let key = console.write(|tx| keys::register(tx, &trust, &actor, &login, input))?;
            say!("key {} registered for {login} ({})", key.id, key.form);
        }
        KeyCommand::List { login, json } => {
            let keys = console.keys(&login)?;
            if json {
                return output::json(&keys);
            }
            for k in keys {
                let state = match &k.revoked_at {
                    Some(at) => format!("revoked {at}"),
                    None => "active".to_owned(),
                };
                say!(
                    "{}\t{}\t{state}\t{}",
                    k.id,
                    k.form,
                    k.subject.as_deref().unwrap_or("")
                );
            }
        }
        KeyCommand::Revoke { id, reason, at } => {
            let at = at
                .map(|s| {
                    chrono::DateTime::parse_from_rfc3339(&s).map(|t| t.with_timezone(&chrono::Utc))
                })
                .transpose()
                .context("--at is not an RFC 3339 time")?;
            let key = console.write(|tx| keys::revoke(tx, &actor, &id, &reason, at))?;
            say!(
                "key {} revoked from {}",
                key.id,
                console::time(key.revoked_at.unwrap_or_default())
            );
        }
    }
    Ok(())
}
