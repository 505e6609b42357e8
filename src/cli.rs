//! The command line: `docflow serve | migrate | audit | admin …`.

use std::io::IsTerminal;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use docflow::config::{self, FileConfig};
use docflow::core::checkpoint::{NoteSigner, NoteVerifier};
use docflow::domain::language::StampLanguage;
use docflow::domain::organisation::OrgSettings;
use docflow::domain::{Role, Roles};
use docflow::service::keys::{self, KeyInput, TrustStore};
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
    /// PEM file of the CA certificates trusted for users' X.509 keys.
    #[arg(
        long,
        global = true,
        env = "DOCFLOW_TRUST_ANCHORS",
        value_name = "FILE"
    )]
    trust_anchors: Option<PathBuf>,
    /// PEM file of certificate revocation lists from those CAs.
    #[arg(long, global = true, env = "DOCFLOW_CRLS", value_name = "FILE")]
    crls: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP API (applies pending migrations first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Recompute the whole chain of hashes, the Merkle tree, every signed
    /// checkpoint and every content hash; exit 1 on the first problem,
    /// naming the entry. With --remote, audit a server from its public API
    /// alone, trusting only the log key given by --log-key.
    Audit(AuditArgs),
    /// Offline checks of the transparency log's artefacts.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Manage organisations, users, API tokens and signing keys (acts
    /// directly on the database).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Make an Ed25519 key pair: NAME.pem (PKCS#8 private key, mode 0600)
    /// and NAME.pub.pem (public key). The private key stays with you.
    Keygen {
        /// Path prefix of the two files.
        #[arg(long, value_name = "NAME")]
        out: PathBuf,
    },
    /// Talk to a docflow server as a user: log in with a local key, sign.
    Client(ClientArgs),
    /// Check a signed document version offline with its evidence bundle,
    /// your own --trust-anchors and the pinned --log-key: no server,
    /// database or network. Exit 0 valid, 1 invalid, 2 unusable input.
    Verify(docflow_verify::VerifyArgs),
}

#[derive(Debug, Args)]
struct AuditArgs {
    /// Audit this server (e.g. http://127.0.0.1:8080) instead of the database.
    #[arg(long, value_name = "URL", requires = "log_key")]
    remote: Option<String>,
    /// Where --remote keeps the last verified checkpoint, so the next run
    /// proves the log only grew. Default: DATA_DIR/remote-audit.checkpoint
    #[arg(long, value_name = "FILE", requires = "remote")]
    state: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum LedgerCommand {
    /// Verify a receipt (C2SP tlog-proof) offline with the log's public key
    /// (--log-key: a file holding the verifier key, or the key itself).
    /// Exit 0 if valid, 1 if not.
    VerifyReceipt {
        /// The receipt file.
        file: PathBuf,
        /// Require this log origin (default: the key's name).
        #[arg(long)]
        origin: Option<String>,
    },
}

#[derive(Debug, Args)]
struct ClientArgs {
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
    /// Users' signing keys (public keys and certificates only).
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
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
        /// Language of stamps and approval sheets: uz-Cyrl, uz-Latn, ru or en.
        #[arg(long, default_value = "uz-Cyrl", value_parser = parse_stamp_language)]
        stamp_language: StampLanguage,
        /// Local time shown on stamps beside UTC, as an offset (Tashkent: +05:00).
        #[arg(long, default_value = "+05:00", value_parser = parse_offset, allow_hyphen_values = true)]
        utc_offset: chrono::FixedOffset,
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
    List,
}

fn parse_stamp_language(tag: &str) -> Result<StampLanguage, String> {
    docflow::domain::language::parse_stamp_language(tag).map_err(|e| e.reason)
}

fn parse_offset(text: &str) -> Result<chrono::FixedOffset, String> {
    docflow::domain::organisation::parse_utc_offset(text).map_err(|e| e.reason)
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
        /// Department, in any script (used by execution reports).
        #[arg(long)]
        department: Option<String>,
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
    trust_anchors: Option<PathBuf>,
    crls: Option<PathBuf>,
}

impl Resolved {
    fn trust(&self) -> anyhow::Result<TrustStore> {
        let read = |p: &PathBuf| {
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))
        };
        let mut trust = TrustStore::default();
        if let Some(p) = self
            .trust_anchors
            .as_ref()
            .or(self.file.trust_anchors.as_ref())
        {
            trust.anchors = docflow::core::x509::pem_bundle_to_der(&read(p)?)
                .with_context(|| format!("{}", p.display()))?;
            if trust.anchors.is_empty() {
                bail!("{}: no certificates", p.display());
            }
        }
        if let Some(p) = self.crls.as_ref().or(self.file.crls.as_ref()) {
            trust.crls = docflow::core::x509::pem_crls_to_der(&read(p)?)
                .with_context(|| format!("{}", p.display()))?;
        }
        Ok(trust)
    }

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
            trust_anchors: self.trust_anchors.clone(),
            crls: self.crls.clone(),
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
    match &cli.command {
        Command::Keygen { out } => return keygen(out),
        Command::Client(args) => return run_client(args),
        Command::Verify(args) => {
            return Ok(docflow_verify::run(
                args,
                &docflow_verify::TrustArgs {
                    trust_anchors: cli.trust_anchors.as_deref(),
                    crls: cli.crls.as_deref(),
                    log_key: cli.log_key.as_deref(),
                },
            ))
        }
        Command::Ledger {
            command: LedgerCommand::VerifyReceipt { file, origin },
        } => return verify_receipt(file, cli.log_key.as_deref(), origin.as_deref()),
        _ => {}
    }
    let resolved = cli.resolve()?;
    match cli.command {
        Command::Keygen { .. }
        | Command::Client(_)
        | Command::Ledger { .. }
        | Command::Verify(_) => Ok(ExitCode::SUCCESS),
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
        Command::Audit(AuditArgs {
            remote: Some(server),
            state,
        }) => {
            let verifier = verifier_key(resolved.log_key.as_deref())?;
            let state = state.unwrap_or_else(|| resolved.data_dir.join("remote-audit.checkpoint"));
            let outcome = crate::remote_audit::run(&server, &verifier, &state)?;
            if outcome.ok {
                println!("{}", outcome.message);
                Ok(ExitCode::SUCCESS)
            } else {
                println!("FAILED: {}", outcome.message);
                Ok(ExitCode::from(1))
            }
        }
        Command::Audit(_) => run_audit(&resolved.url),
        Command::Admin { command } => {
            let (mut conn, _) = connect_and_migrate(&resolved.url)?;
            let log = resolved.log_signer(&mut conn)?;
            let trust = resolved.trust()?;
            run_admin(&mut conn, &log, &trust, command)
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
    let trust = resolved.trust()?;
    let log = std::sync::Arc::new(log);
    let state = docflow::http::AppState {
        trust: std::sync::Arc::new(trust),
        appender: docflow::service::appender::Appender::start(url.clone(), log.clone()),
        pool,
        log,
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
    trust: &TrustStore,
    command: AdminCommand,
) -> anyhow::Result<ExitCode> {
    let actor = Actor::Operator;
    match command {
        AdminCommand::Org { command } => match command {
            OrgCommand::Add {
                code,
                name,
                stamp_language,
                utc_offset,
            } => {
                let settings = OrgSettings {
                    stamp_language,
                    utc_offset,
                };
                let org = storage::write(conn, log, |tx| {
                    admin::add_org(tx, &actor, &code, &name, settings)
                })?;
                println!(
                    "organisation {} created: {} ({})",
                    org.code, org.name, org.id
                );
            }
            OrgCommand::Set {
                code,
                stamp_language,
                utc_offset,
            } => {
                let org = orgs::org_by_code(conn, &code)?
                    .ok_or(ServiceError::NotFound("organisation"))?;
                let change = admin::SettingsChange {
                    stamp_language,
                    utc_offset,
                };
                let org = storage::write(conn, log, |tx| {
                    admin::update_settings(tx, &actor, &org.id, change)
                })?;
                println!(
                    "organisation {}: stamp language {}, UTC offset {}",
                    org.code, org.stamp_language, org.utc_offset
                );
            }
            OrgCommand::List => {
                for org in orgs::list_orgs(conn)? {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        org.code, org.id, org.stamp_language, org.utc_offset, org.name
                    );
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
                department,
            } => {
                let roles = roles(&role_names)?;
                let (user, org) = storage::write(conn, log, |tx| {
                    admin::add_user(
                        tx,
                        &actor,
                        admin::NewUser {
                            org_code: &org,
                            login: &login,
                            full_name: &name,
                            position: &position,
                            roles,
                            department: department.as_deref(),
                        },
                    )
                })?;
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
                let issued = storage::write(conn, log, |tx| {
                    admin::issue_token(tx, &actor, &login, &label, ttl)
                })?;
                eprintln!(
                    "token {} for {login}, expires {} UTC; it is shown only now:",
                    issued.row.id, issued.row.expires_at
                );
                println!("{}", issued.secret);
            }
            TokenCommand::Revoke { id } => {
                let token = storage::write(conn, log, |tx| admin::revoke_token(tx, &actor, &id))?;
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
        AdminCommand::Key { command } => match command {
            KeyCommand::Add {
                login,
                public_key,
                certificate,
                chain,
            } => {
                let read = |p: &PathBuf| {
                    std::fs::read(p).with_context(|| format!("reading {}", p.display()))
                };
                let input = match (public_key, certificate) {
                    (Some(p), _) => KeyInput::PublicKey(
                        String::from_utf8(read(&p)?)
                            .context("the public key file is not PEM text")?,
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
                let key = storage::write(conn, log, |tx| {
                    keys::register(tx, trust, &actor, &login, input)
                })?;
                println!("key {} registered for {login} ({})", key.id, key.form);
            }
            KeyCommand::List { login } => {
                for k in keys::list(conn, &actor, &login)? {
                    let state = match &k.revoked_at {
                        Some(at) => format!("revoked {at}"),
                        None => "active".to_owned(),
                    };
                    println!(
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
                        chrono::DateTime::parse_from_rfc3339(&s)
                            .map(|t| t.with_timezone(&chrono::Utc))
                    })
                    .transpose()
                    .context("--at is not an RFC 3339 time")?;
                let key =
                    storage::write(conn, log, |tx| keys::revoke(tx, &actor, &id, &reason, at))?;
                println!(
                    "key {} revoked from {} UTC",
                    key.id,
                    key.revoked_at.unwrap_or_default()
                );
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}

fn keygen(out: &std::path::Path) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let key = docflow::core::keys::PrivateKey::generate(&mut rand::rngs::OsRng);
    let private = out.with_extension("pem");
    let public = out.with_extension("pub.pem");
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
    println!(
        "private key: {} (keep it; it never leaves this machine)",
        private.display()
    );
    println!("public key:  {}", public.display());
    println!("fingerprint: {}", key.public_key().fingerprint());
    Ok(ExitCode::SUCCESS)
}

fn run_client(args: &ClientArgs) -> anyhow::Result<ExitCode> {
    let client = crate::client::Client::new(&args.server, args.token.clone())?;
    let out = match &args.command {
        ClientCommand::Login { login, key } => {
            let key = crate::client::read_private_key(key)?;
            let answer = client.login(login, &key)?;
            if !args.json {
                println!("{}", answer["token"].as_str().unwrap_or_default());
                eprintln!(
                    "token expires {}",
                    answer["expires_at"].as_str().unwrap_or_default()
                );
                return Ok(ExitCode::SUCCESS);
            }
            answer
        }
        ClientCommand::Sign {
            document,
            version,
            purpose,
            key,
        } => {
            let key = crate::client::read_private_key(key)?;
            let answer = client.sign(document, *version, purpose, &key)?;
            if !args.json {
                println!(
                    "signed: document {document} version {version} ({purpose}) by {} with key {}; ledger entry {}",
                    answer["signer"].as_str().unwrap_or_default(),
                    answer["key_id"].as_str().unwrap_or_default(),
                    answer["ledger_seq"]
                );
                return Ok(ExitCode::SUCCESS);
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
            let key = crate::client::read_private_key(key)?;
            let answer = client.decide(
                route,
                *stage,
                *step,
                decision,
                comment.as_deref(),
                on_behalf_of.as_deref(),
                &key,
            )?;
            if !args.json {
                println!(
                    "decided: {decision} on step {stage}.{step}; route is {}; ledger entry {}",
                    answer["route"]["state"].as_str().unwrap_or_default(),
                    answer["decision"]["ledger_seq"]
                );
                return Ok(ExitCode::SUCCESS);
            }
            answer
        }
        ClientCommand::Act {
            resolution,
            action,
            executor,
            text,
            comment,
            deadline,
            key,
        } => {
            let key = crate::client::read_private_key(key)?;
            let body = serde_json::json!({
                "action": action,
                "executor": executor,
                "text": text,
                "comment": comment,
                "deadline": deadline,
            });
            let answer = client.resolution_action(resolution, body, &key)?;
            if !args.json {
                println!(
                    "{action}: resolution {resolution} is {}",
                    answer["state"].as_str().unwrap_or_default()
                );
                return Ok(ExitCode::SUCCESS);
            }
            answer
        }
        ClientCommand::Signatures { document, version } => {
            let answer = client.signatures(document, *version)?;
            if !args.json {
                for s in answer.as_array().into_iter().flatten() {
                    println!(
                        "{}\t{}\t{}\t{}\tentry {}",
                        s["signed_at"].as_str().unwrap_or_default(),
                        s["purpose"].as_str().unwrap_or_default(),
                        s["signer"].as_str().unwrap_or_default(),
                        s["key_id"].as_str().unwrap_or_default(),
                        s["ledger_seq"]
                    );
                }
                return Ok(ExitCode::SUCCESS);
            }
            answer
        }
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}

/// The log's public key from `--log-key`: a file holding a verifier key or
/// a signer key (whose public half is used), or the verifier key itself.
fn verifier_key(arg: Option<&std::path::Path>) -> anyhow::Result<NoteVerifier> {
    let Some(arg) = arg else {
        bail!("give the log's public key with --log-key (GET /api/v1/ledger/key serves it)");
    };
    let text = match std::fs::read_to_string(arg) {
        Ok(t) => t,
        Err(_) => arg.to_string_lossy().into_owned(),
    };
    let text = text.trim();
    if text.starts_with("PRIVATE+KEY+") {
        return Ok(NoteSigner::from_signer_key(text)?.verifier());
    }
    NoteVerifier::parse(text).with_context(|| format!("{}: not a log verifier key", arg.display()))
}

fn verify_receipt(
    file: &std::path::Path,
    log_key: Option<&std::path::Path>,
    origin: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let verifier = verifier_key(log_key)?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let result = docflow::core::receipt::Receipt::parse(&text)
        .and_then(|r| r.verify(&verifier, Some(origin.unwrap_or(verifier.name()))));
    match result {
        Ok(v) => {
            println!(
                "valid: entry {} ({} of {}) is in log {} at tree size {}, root {}",
                v.entry.seq,
                v.entry.kind,
                v.entry.subject,
                v.checkpoint.origin,
                v.checkpoint.size,
                hex::encode(v.checkpoint.root)
            );
            println!(
                "recorded {} by {}",
                docflow::core::ledger::format_time(&v.entry.time),
                v.entry.actor
            );
            print!("{}", String::from_utf8_lossy(&v.entry_bytes));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("INVALID: {e}");
            Ok(ExitCode::from(1))
        }
    }
}
