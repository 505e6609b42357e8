//! `docflow admin …`: organisations here, users in [`super::users`], tokens
//! and keys in [`super::credentials`]. Acts directly on the database, through
//! [`Console`]: every command but a first `org add` needs a database that
//! already exists.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use docflow::config::Layer;
use docflow::domain::language::StampLanguage;
use docflow::domain::organisation::OrgSettings;
use docflow::service::console::{self, Console, Missing};
use docflow::service::{admin, Actor};

use super::args::{self, parse_offset, parse_stamp_language, DbArgs, SignerArgs, TopArgs};
use super::credentials::{self, KeyCommand, TokenCommand};
use super::output::{self, note, say};
use super::users::{self, UserCommand};

#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    signer: SignerArgs,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Organisations (ministries, agencies).
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Users of an organisation.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Bearer tokens for the API.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Users' signing keys (public keys and certificates only).
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Create an organisation. On a data directory with no database yet,
    /// this creates the database (and says where).
    Add {
        /// Short code in upper-case Latin letters, e.g. MINFIN.
        #[arg(long)]
        code: String,
        /// Full name, in any script, e.g. "Молия вазирлиги".
        #[arg(long)]
        name: String,
        /// Language of stamps and approval sheets: uz-Cyrl, uz-Latn, ru or en.
        #[arg(long, default_value = "uz-Cyrl", value_parser = parse_stamp_language)]
        stamp_language: StampLanguage,
        /// Local time shown on stamps beside UTC, as an offset (Tashkent: +05:00).
        #[arg(long, default_value = "+05:00", value_parser = parse_offset, allow_hyphen_values = true)]
        utc_offset: chrono::FixedOffset,
        /// Succeed, changing nothing, if an organisation with this code and
        /// name exists already (another name is still refused).
        #[arg(long)]
        if_not_exists: bool,
    },
    /// Change an organisation's settings (stamped PDFs from then on use them).
    #[command(group(clap::ArgGroup::new("setting").required(true).multiple(true)))]
    Set {
        /// Organisation code.
        #[arg(long)]
        code: String,
        /// Language of stamps and approval sheets: uz-Cyrl, uz-Latn, ru or en.
        #[arg(long, value_parser = parse_stamp_language, group = "setting")]
        stamp_language: Option<StampLanguage>,
        /// Local time shown on stamps beside UTC, as an offset, e.g. +05:00.
        #[arg(long, value_parser = parse_offset, allow_hyphen_values = true, group = "setting")]
        utc_offset: Option<chrono::FixedOffset>,
    },
    /// List organisations.
    List {
        /// Print a JSON array instead of tab-separated lines.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(top: &TopArgs, cmd: AdminArgs) -> anyhow::Result<ExitCode> {
    let settings = args::settings(top, &cmd.db, Some(&cmd.signer), Layer::default())?;
    let missing = match &cmd.command {
        AdminCommand::Org {
            command: OrgCommand::Add { code, name, .. },
        } => {
            // Refuse bad input before a new database is made for it.
            docflow::domain::check_org_code(code)?;
            docflow::domain::check_text("name", name, 300)?;
            Missing::Create
        }
        _ => Missing::Refuse,
    };
    let mut console = Console::open(&settings, missing)?;
    let result = match cmd.command {
        AdminCommand::Org { command } => org(&mut console, command),
        AdminCommand::User { command } => users::run(&mut console, command),
        AdminCommand::Token { command } => credentials::token(&mut console, command),
        AdminCommand::Key { command } => credentials::key(&mut console, &settings, command),
    };
    let created = console.created();
    if let Some(db) = &created.database {
        note!(
            "docflow: created a new database {db}; other commands find it with the same \
             --data-dir or DATABASE_URL"
        );
    }
    if let Some(key) = &created.log_key {
        note!(
            "docflow: created the log key {} (mode 0600); keep it: every node on this \
             database needs it",
            key.display()
        );
    }
    result.map(|()| ExitCode::SUCCESS)
}

fn org(console: &mut Console, command: OrgCommand) -> anyhow::Result<()> {
    let actor = Actor::Operator;
    match command {
        OrgCommand::Add {
            code,
            name,
            stamp_language,
            utc_offset,
            if_not_exists,
        } => {
            let settings = OrgSettings {
                stamp_language,
                utc_offset,
            };
            let (org, new) = if if_not_exists {
                console.write(|tx| console::add_org_if_new(tx, &actor, &code, &name, settings))?
            } else {
                let org = console.write(|tx| admin::add_org(tx, &actor, &code, &name, settings))?;
                (org.into(), true)
            };
            let (done, tail) = match new {
                true => ("created:", ""),
                false => ("exists:", "; nothing changed"),
            };
            say!(
                "organisation {} {done} {} ({}){tail}",
                org.code,
                org.name,
                org.id
            );
        }
        OrgCommand::Set {
            code,
            stamp_language,
            utc_offset,
        } => {
            let id = console.org_id(&code)?;
            let change = admin::SettingsChange {
                stamp_language,
                utc_offset,
            };
            let org = console.write(|tx| admin::update_settings(tx, &actor, &id, change))?;
            say!(
                "organisation {}: stamp language {}, UTC offset {}",
                org.code,
                org.stamp_language,
                org.utc_offset
            );
        }
        OrgCommand::List { json } => {
            let orgs = console.orgs()?;
            if json {
                return output::json(&orgs);
            }
            for o in orgs {
                say!(
                    "{}\t{}\t{}\t{}\t{}",
                    o.code,
                    o.id,
                    o.stamp_language,
                    o.utc_offset,
                    o.name
                );
            }
        }
    }
    Ok(())
}
