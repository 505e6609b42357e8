//! `docflow client`: a user's side of the API. The private key is read
//! here and never sent: only signatures of statements leave this machine.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::Value;

use super::output::{self, note, say};
use crate::client::{read_private_key, Client};

#[derive(Debug, Args)]
pub struct ClientArgs {
    /// The server, e.g. http://127.0.0.1:8080
    #[arg(long, env = "DOCFLOW_SERVER", value_name = "URL")]
    server: String,
    /// Bearer token (from `client login`).
    #[arg(
        long,
        env = "DOCFLOW_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    token: Option<String>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: ClientCommand,
}

#[derive(Debug, Subcommand)]
enum ClientCommand {
    /// Log in by signing the server's challenge with your key; prints a token.
    Login {
        #[arg(long)]
        login: String,
        /// Your private key file (PKCS#8 PEM).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Sign a document version: fetch the statement, check it, sign it here.
    Sign {
        #[arg(long)]
        document: String,
        #[arg(long)]
        version: u32,
        /// sign, approve, approve-with-remarks, reject, return-for-revision, …
        #[arg(long, default_value = "sign")]
        purpose: String,
        /// Your private key file (PKCS#8 PEM).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Decide a step of an approval route, signing the decision here.
    Decide {
        #[arg(long)]
        route: String,
        #[arg(long)]
        stage: usize,
        #[arg(long)]
        step: usize,
        /// approve, approve-with-remarks, reject, return-for-revision, sign, acknowledge
        #[arg(long)]
        decision: String,
        /// Remarks or reasons (their SHA-256 is signed).
        #[arg(long)]
        comment: Option<String>,
        /// Decide as the substitute of this login.
        #[arg(long)]
        on_behalf_of: Option<String>,
        /// Your private key file (PKCS#8 PEM).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// A signed action on a resolution: sign, report, accept, return,
    /// request-extension, approve-extension, refuse-extension.
    Act {
        #[arg(long)]
        resolution: String,
        #[arg(long)]
        action: String,
        /// The executor (login) whose report or extension is decided.
        #[arg(long)]
        executor: Option<String>,
        /// The report's text.
        #[arg(long)]
        text: Option<String>,
        /// Why a report is returned or more time is needed.
        #[arg(long)]
        comment: Option<String>,
        /// The requested new deadline (RFC 3339).
        #[arg(long)]
        deadline: Option<String>,
        /// Your private key file (PKCS#8 PEM).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// List a version's signatures.
    Signatures {
        #[arg(long)]
        document: String,
        #[arg(long)]
        version: u32,
    },
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

pub fn run(args: &ClientArgs) -> anyhow::Result<ExitCode> {
    let client = Client::new(&args.server, args.token.clone())?;
    let answer = match &args.command {
        ClientCommand::Login { login, key } => {
            let answer = client.login(login, &read_private_key(key)?)?;
            if !args.json {
                say!("{}", text(&answer["token"]));
                note!("token expires {}", text(&answer["expires_at"]));
            }
            answer
        }
        ClientCommand::Sign {
            document,
            version,
            purpose,
            key,
        } => {
            let answer = client.sign(document, *version, purpose, &read_private_key(key)?)?;
            if !args.json {
                say!(
                    "signed: document {document} version {version} ({purpose}) by {} with key {}; ledger entry {}",
                    text(&answer["signer"]),
                    text(&answer["key_id"]),
                    answer["ledger_seq"]
                );
            }
            answer
        }
        ClientCommand::Decide {
            route,
            stage,
            step,
            decision,
            comment,
            on_behalf_of,
            key,
        } => {
            let answer = client.decide(
                route,
                *stage,
                *step,
                decision,
                comment.as_deref(),
                on_behalf_of.as_deref(),
                &read_private_key(key)?,
            )?;
            if !args.json {
                say!(
                    "decided: {decision} on step {stage}.{step}; route is {}; ledger entry {}",
                    text(&answer["route"]["state"]),
                    answer["decision"]["ledger_seq"]
                );
            }
            answer
        }
        ClientCommand::Act {
            resolution,
            action,
            executor,
            text: report,
            comment,
            deadline,
            key,
        } => {
            let key = read_private_key(key)?;
            let body = serde_json::json!({
                "action": action,
                "executor": executor,
                "text": report,
                "comment": comment,
                "deadline": deadline,
            });
            let answer = client.resolution_action(resolution, body, &key)?;
            if !args.json {
                say!(
                    "{action}: resolution {resolution} is {}",
                    text(&answer["state"])
                );
            }
            answer
        }
        ClientCommand::Signatures { document, version } => {
            let answer = client.signatures(document, *version)?;
            if !args.json {
                for s in answer.as_array().into_iter().flatten() {
                    say!(
                        "{}\t{}\t{}\t{}\tentry {}",
                        text(&s["signed_at"]),
                        text(&s["purpose"]),
                        text(&s["signer"]),
                        text(&s["key_id"]),
                        s["ledger_seq"]
                    );
                }
            }
            answer
        }
    };
    if args.json {
        output::json(&answer)?;
    }
    Ok(ExitCode::SUCCESS)
}
