//! The command line: `docflow serve | migrate | audit | admin …`.

use std::io::IsTerminal;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use docflow::config::{self, FileConfig};
use docflow::core::checkpoint::NoteSigner;
use docflow::domain::{Role, Roles};
use docflow::service::{admin, Actor, ServiceError};
use docflow::storage::{self, audit, orgs, transparency, DatabaseUrl, DbConnection};

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
    /// TOML configuration file (lowest layer: environment and flags override it).
    #[arg(long, global = true, env = "DOCFLOW_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// postgres://USER@HOST/DB or sqlite://PATH. Default: the embedded SQLite
    /// database DATA_DIR/docflow.db.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// Where the embedded database and the server's files live.
    #[arg(long, global = true, env = "DOCFLOW_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The log's signing key (a signed-note private key file). Default:
    /// DATA_DIR/log.key, created on first use with mode 0600. Every node on
    /// one database needs the same key.
    #[arg(long, global = true, env = "DOCFLOW_LOG_KEY", value_name = "FILE")]
    log_key: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP API (applies pending migrations first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Recompute the whole chain of hashes and every content hash; exit 1 on
    /// the first problem, naming the entry.
    Audit,
    /// Manage organisations, users and API tokens (acts directly on the database).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
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
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Create an organisation.
    Add {
        /// Short code in upper-case Latin letters, e.g. MINFIN.
        #[arg(long)]
        code: String,
        /// Full name, in any script, e.g. "Молия вазирлиги".
        #[arg(long)]
        name: String,
    },
    /// List organisations.
    List,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user in an organisation.
    Add {
        /// Organisation code.
        #[arg(long)]
        org: String,
        /// Login: lower-case Latin letters, digits, '.', '-', '_'.
        #[arg(long)]
        login: String,
        /// Full name, in any script.
        #[arg(long)]
        name: String,
        /// Position, in any script.
        #[arg(long)]
        position: String,
        /// Role: admin, registrar, approver, executor, auditor or head.
        /// Repeat the flag or separate with commas.
        #[arg(long = "role", value_delimiter = ',', required = true)]
        roles: Vec<String>,
    },
    /// List the users of an organisation.
    List {
        /// Organisation code.
        #[arg(long)]
        org: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
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
    },
}

struct Resolved {
    file: FileConfig,
    url: DatabaseUrl,
    data_dir: PathBuf,
    log_key: Option<PathBuf>,
}

impl Resolved {
    /// The log key, registered with the database (refused if it differs).
    fn log_signer(&self, conn: &mut DbConnection) -> anyhow::Result<NoteSigner> {
        let origin = self
            .file
            .log_origin
            .clone()
            .unwrap_or_else(|| docflow::logkey::DEFAULT_ORIGIN.to_owned());
        let signer = docflow::logkey::load_or_create(
            self.log_key.as_deref().or(self.file.log_key.as_deref()),
            &self.data_dir,
            &origin,
        )?;
        transparency::register_key(conn, &signer.verifier())?;
        Ok(signer)
    }
}

impl Cli {
    fn resolve(&self) -> anyhow::Result<Resolved> {
        let file = FileConfig::load(self.config.as_deref())?;
        let (url, data_dir) = config::database(
            &file,
            self.database_url.as_deref(),
            self.data_dir.as_deref(),
        )?;
        Ok(Resolved {
            file,
            url,
            data_dir,
            log_key: self.log_key.clone(),
        })
    }
}

fn connect_and_migrate(url: &DatabaseUrl) -> anyhow::Result<(DbConnection, Vec<String>)> {
    let mut conn = url
        .connect()
        .with_context(|| format!("opening {}", url.redacted()))?;
    let applied = storage::migrate(&mut conn)?;
    Ok((conn, applied))
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let resolved = cli.resolve()?;
    match cli.command {
        Command::Serve(args) => serve(resolved, args),
        Command::Migrate => {
            let (_, applied) = connect_and_migrate(&resolved.url)?;
            if applied.is_empty() {
                println!("{}: up to date", resolved.url.redacted());
            } else {
                for m in &applied {
                    println!("applied {m}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit => run_audit(&resolved.url),
        Command::Admin { command } => {
            let (mut conn, _) = connect_and_migrate(&resolved.url)?;
            let log = resolved.log_signer(&mut conn)?;
            run_admin(&mut conn, &log, command)
        }
    }
}

fn serve(resolved: Resolved, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let file = &resolved.file;
    let url = resolved.url.clone();
    let bind = args
        .bind
        .or(file.bind.clone())
        .unwrap_or_else(|| config::DEFAULT_BIND.to_owned());
    let max_upload_bytes = args
        .max_upload_bytes
        .or(file.max_upload_bytes)
        .unwrap_or(config::DEFAULT_MAX_UPLOAD_BYTES);
    if max_upload_bytes == 0 {
        bail!("--max-upload-bytes must be positive");
    }
    let kinds = config::document_kinds(file, args.document_kinds.as_deref())?;
    let pool_size = args
        .pool_size
        .or(file.pool_size)
        .unwrap_or(config::DEFAULT_POOL_SIZE);

    let (mut conn, applied) = connect_and_migrate(&url)?;
    for m in &applied {
        tracing::info!(migration = %m, "applied migration");
    }
    let log = resolved.log_signer(&mut conn)?;
    let no_orgs = orgs::list_orgs(&mut conn)?.is_empty();
    drop(conn);
    let pool = storage::pool(&url, pool_size)?;
    let listener = TcpListener::bind(&bind).with_context(|| format!("binding {bind}"))?;
    let addr = listener.local_addr()?;
    println!(
        "docflow listening on http://{addr} (database: {})",
        url.redacted()
    );
    println!("log key: {}", log.verifier());
    if no_orgs {
        println!(
            "\nNo organisation yet. Create the first one, its admin, and a token \
             (with `cargo run --release --` in place of `docflow` from a source checkout):\n\
             \n  docflow admin org add --code MINFIN --name \"Молия вазирлиги\"\
             \n  docflow admin user add --org MINFIN --login admin --name \"Administrator\" --position \"System administrator\" --role admin\
             \n  docflow admin token issue --login admin\n"
        );
    }
    let workers = args.workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    });
    let state = docflow::http::AppState {
        pool,
        log: std::sync::Arc::new(log),
        kinds,
        max_upload_bytes,
        backend: url.backend_name(),
    };
    actix_web::rt::System::new()
        .block_on(async move { docflow::http::server(state, listener, workers)?.await })?;
    Ok(ExitCode::SUCCESS)
}

fn run_audit(url: &DatabaseUrl) -> anyhow::Result<ExitCode> {
    // The audit reads only: it does not migrate a database it is checking.
    let mut conn = url
        .connect()
        .with_context(|| format!("opening {}", url.redacted()))?;
    let tty = std::io::stderr().is_terminal();
    let bar = indicatif::ProgressBar::hidden();
    if tty {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    }
    let mut entries_done = 0i64;
    let mut progress = |p: audit::Progress| match p {
        audit::Progress::Start { entries, blobs } => {
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
                eprintln!("audit: {entries} entries, {blobs} contents to check");
            }
        }
        audit::Progress::Entries(n) => {
            entries_done = n;
            if tty {
                bar.set_position(u64::try_from(n).unwrap_or(0));
            } else {
                eprintln!("audit: entries 1..{n} ok");
            }
        }
        audit::Progress::Blobs(n) => {
            if tty {
                bar.set_message("content");
                bar.set_position(u64::try_from(entries_done + n).unwrap_or(0));
            } else {
                eprintln!("audit: {n} contents ok");
            }
        }
    };
    let report = audit::run(&mut conn, &mut progress)?;
    bar.finish_and_clear();
    match report.problem {
        None => {
            println!(
                "ok: {} entries, head {}",
                report.entries,
                hex::encode(report.head)
            );
            eprintln!(
                "audit: {} signed checkpoints and {} contents verified",
                report.checkpoints, report.blobs
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(problem) => {
            println!("FAILED: {problem}");
            Ok(ExitCode::from(1))
        }
    }
}

fn roles(names: &[String]) -> Result<Roles, ServiceError> {
    let parsed = names
        .iter()
        .map(|n| Role::parse(n.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Roles::new(parsed)?)
}

fn run_admin(
    conn: &mut DbConnection,
    log: &NoteSigner,
    command: AdminCommand,
) -> anyhow::Result<ExitCode> {
    let actor = Actor::Operator;
    match command {
        AdminCommand::Org { command } => match command {
            OrgCommand::Add { code, name } => {
                let org = admin::add_org(conn, log, &actor, &code, &name)?;
                println!(
                    "organisation {} created: {} ({})",
                    org.code, org.name, org.id
                );
            }
            OrgCommand::List => {
                for org in orgs::list_orgs(conn)? {
                    println!("{}\t{}\t{}", org.code, org.id, org.name);
                }
            }
        },
        AdminCommand::User { command } => match command {
            UserCommand::Add {
                org,
                login,
                name,
                position,
                roles: role_names,
            } => {
                let (user, org) = admin::add_user(
                    conn,
                    log,
                    &actor,
                    admin::NewUser {
                        org_code: &org,
                        login: &login,
                        full_name: &name,
                        position: &position,
                        roles: roles(&role_names)?,
                    },
                )?;
                println!(
                    "user {} created in {}: {}, {} [{}] ({})",
                    user.login, org.code, user.full_name, user.position, user.roles, user.id
                );
            }
            UserCommand::List { org } => {
                let org =
                    orgs::org_by_code(conn, &org)?.ok_or(ServiceError::NotFound("organisation"))?;
                for u in orgs::list_users(conn, &org.id)? {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        u.login, u.roles, u.id, u.full_name, u.position
                    );
                }
            }
        },
        AdminCommand::Token { command } => match command {
            TokenCommand::Issue {
                login,
                label,
                ttl_days,
            } => {
                let ttl = chrono::Duration::try_days(ttl_days)
                    .ok_or_else(|| anyhow::anyhow!("--ttl-days is out of range"))?;
                let issued = admin::issue_token(conn, log, &actor, &login, &label, ttl)?;
                eprintln!(
                    "token {} for {login}, expires {} UTC; it is shown only now:",
                    issued.row.id, issued.row.expires_at
                );
                println!("{}", issued.secret);
            }
            TokenCommand::Revoke { id } => {
                let token = admin::revoke_token(conn, log, &actor, &id)?;
                println!("token {} revoked", token.id);
            }
            TokenCommand::List { login } => {
                let user =
                    orgs::user_by_login(conn, &login)?.ok_or(ServiceError::NotFound("user"))?;
                let now = storage::now().naive_utc();
                for t in orgs::tokens_of_user(conn, &user.id)? {
                    let state = if t.revoked_at.is_some() {
                        "revoked"
                    } else if t.expires_at <= now {
                        "expired"
                    } else {
                        "active"
                    };
                    println!("{}\t{state}\t{}\texpires {}", t.id, t.label, t.expires_at);
                }
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}
