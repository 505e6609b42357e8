//! The operator's console: what `docflow serve | migrate | audit | admin`
//! need besides the units of work, so that the binary names no storage
//! type. A [`Console`] is one connection to a database that already exists
//! (or, where the command may, a new one it says it made), with the CLI's
//! write runner ([`Console::write`]: one unit of work in its own write
//! transaction) and the listings the admin commands print.
//!
//! Nothing here creates a database or a log key silently: a missing
//! database is refused unless the caller asked for [`Missing::Create`], and
//! a log key is made only for a database whose log has none; both are
//! reported in [`Created`].

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use docflow_core::checkpoint::NoteSigner;
use serde::Serialize;

use super::keys::{self, TrustStore};
use super::{admin, Actor, ServiceError};
use crate::config::{Settings, TrustSettings};
use crate::domain::organisation::OrgSettings;
use crate::logkey::{self, LogKeyError};
use crate::storage::models::{OrgRow, UserRow};
use crate::storage::{self, orgs, transparency, DatabaseUrl, DbConnection, StorageError, WriteTx};

pub use super::audit::{Progress as AuditProgress, Report as AuditReport};
pub use crate::storage::Pool;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error(
        "there is no database at {path}: give the existing one with --data-dir DIR (the \
         directory that holds docflow.db) or DATABASE_URL=postgres://…|sqlite://PATH; only \
         `docflow serve`, `docflow migrate` and a first `docflow admin org add` create one"
    )]
    NoDatabase { path: String },
    #[error("cannot open the database {url}: {source}; give the right one with DATABASE_URL (or --database-url)")]
    Open { url: String, source: StorageError },
    #[error(
        "there is no log key at {path}, but this database's log is signed by {registered}: \
         give that key with --log-key FILE (DOCFLOW_LOG_KEY), or the data directory that \
         holds it with --data-dir"
    )]
    NoLogKey { path: PathBuf, registered: String },
    #[error("no {what} {name} (see `docflow admin {list}`)")]
    NoSuch {
        what: &'static str,
        name: String,
        list: &'static str,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Trust { path: PathBuf, message: String },
    #[error(transparent)]
    LogKey(#[from] LogKeyError),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What [`Console::open`] does when the database does not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Refuse with [`ConsoleError::NoDatabase`].
    Refuse,
    /// Create it (and record that in [`Created`]).
    Create,
}

/// What opening and writing made that did not exist before.
#[derive(Debug, Clone, Default)]
pub struct Created {
    /// The new database (its URL, without a password).
    pub database: Option<String>,
    /// The new log key file.
    pub log_key: Option<PathBuf>,
}

/// One connection for the console's commands.
pub struct Console {
    conn: DbConnection,
    settings: Settings,
    log: Option<NoteSigner>,
    created: Created,
    applied: Vec<String>,
}

/// The file of an embedded database that does not exist yet.
fn missing_file(url: &DatabaseUrl) -> Option<&Path> {
    match url {
        DatabaseUrl::Sqlite(path) if !path.exists() => Some(path),
        _ => None,
    }
}

fn shown(path: &Path) -> String {
    match std::path::absolute(path) {
        Ok(abs) if abs != path => format!("{} ({})", path.display(), abs.display()),
        _ => path.display().to_string(),
    }
}

fn connect(url: &DatabaseUrl) -> Result<DbConnection, ConsoleError> {
    url.connect().map_err(|source| ConsoleError::Open {
        url: url.redacted(),
        source,
    })
}

impl Console {
    /// Connects to the database `settings` name and applies pending
    /// migrations. A missing embedded database is refused or created, as
    /// `missing` says; PostgreSQL databases are never created here.
    pub fn open(settings: &Settings, missing: Missing) -> Result<Console, ConsoleError> {
        let url = &settings.database.url;
        let fresh = missing_file(url);
        if let (Some(path), Missing::Refuse) = (fresh, missing) {
            return Err(ConsoleError::NoDatabase { path: shown(path) });
        }
        let created = Created {
            database: fresh.map(|p| format!("sqlite://{}", shown(p))),
            log_key: None,
        };
        let mut conn = connect(url)?;
        let applied = storage::migrate(&mut conn)?;
        Ok(Console {
            conn,
            settings: settings.clone(),
            log: None,
            created,
            applied,
        })
    }

    /// The migrations `open` applied.
    pub fn applied(&self) -> &[String] {
        &self.applied
    }

    /// What this console created.
    pub fn created(&self) -> &Created {
        &self.created
    }

    /// The log's signing key, registered with the database (refused if
    /// the database's log has another). Made on first use only for a
    /// database whose log has no key yet.
    pub fn log_signer(&mut self) -> Result<&NoteSigner, ConsoleError> {
        let log = match self.log.take() {
            Some(log) => log,
            None => self.open_log()?,
        };
        Ok(self.log.insert(log))
    }

    fn open_log(&mut self) -> Result<NoteSigner, ConsoleError> {
        let path = self.settings.log_key_path();
        let signer = if self.settings.log.key_file.is_some() || path.exists() {
            logkey::load(&path)?
        } else if let Some(registered) = transparency::registered_key(&mut self.conn)? {
            return Err(ConsoleError::NoLogKey { path, registered });
        } else {
            let signer =
                logkey::load_or_create(None, &self.settings.data_dir, &self.settings.log.origin)?;
            self.created.log_key = Some(path);
            signer
        };
        transparency::register_key(&mut self.conn, &signer.verifier())?;
        Ok(signer)
    }

    /// Runs one unit of work in its own write transaction, sealed and
    /// committed (the CLI's runner; the server's is the appender).
    pub fn write<T>(
        &mut self,
        unit: impl FnOnce(&mut WriteTx<'_>) -> Result<T, ServiceError>,
    ) -> Result<T, ConsoleError> {
        let log = match self.log.take() {
            Some(log) => log,
            None => self.open_log()?,
        };
        let result = storage::write(&mut self.conn, &log, unit);
        self.log = Some(log);
        Ok(result?)
    }

    pub fn orgs(&mut self) -> Result<Vec<OrgListing>, ConsoleError> {
        Ok(orgs::list_orgs(&mut self.conn)?
            .into_iter()
            .map(OrgListing::from)
            .collect())
    }

    /// An organisation's id by its code.
    pub fn org_id(&mut self, code: &str) -> Result<String, ConsoleError> {
        Ok(self.org(code)?.id)
    }

    fn org(&mut self, code: &str) -> Result<OrgRow, ConsoleError> {
        orgs::org_by_code(&mut self.conn, code)?.ok_or_else(|| ConsoleError::NoSuch {
            what: "organisation with code",
            name: code.to_owned(),
            list: "org list",
        })
    }

    fn user(&mut self, login: &str) -> Result<UserRow, ConsoleError> {
        orgs::user_by_login(&mut self.conn, login)?.ok_or_else(|| ConsoleError::NoSuch {
            what: "user with login",
            name: login.to_owned(),
            list: "user list --org CODE",
        })
    }

    pub fn users(&mut self, org_code: &str) -> Result<Vec<UserListing>, ConsoleError> {
        let org = self.org(org_code)?;
        Ok(orgs::list_users(&mut self.conn, &org.id)?
            .into_iter()
            .map(UserListing::from)
            .collect())
    }

    pub fn tokens(&mut self, login: &str) -> Result<Vec<TokenListing>, ConsoleError> {
        let user = self.user(login)?;
        let now = storage::now().naive_utc();
        Ok(orgs::tokens_of_user(&mut self.conn, &user.id)?
            .into_iter()
            .map(|t| TokenListing {
                state: if t.revoked_at.is_some() {
                    "revoked"
                } else if t.expires_at <= now {
                    "expired"
                } else {
                    "active"
                },
                id: t.id,
                label: t.label,
                created_at: time(t.created_at),
                expires_at: time(t.expires_at),
                revoked_at: t.revoked_at.map(time),
            })
            .collect())
    }

    pub fn keys(&mut self, login: &str) -> Result<Vec<KeyListing>, ConsoleError> {
        self.user(login)?;
        Ok(keys::list(&mut self.conn, &Actor::Operator, login)?
            .into_iter()
            .map(|k| KeyListing {
                state: if k.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                },
                id: k.id,
                form: k.form,
                subject: k.subject,
                created_at: time(k.created_at),
                revoked_at: k.revoked_at.map(time),
                revocation_reason: k.revocation_reason,
            })
            .collect())
    }
}

/// Applies pending migrations, creating an embedded database that does not
/// exist yet; returns the versions applied.
pub fn migrate(settings: &Settings) -> Result<Vec<String>, ConsoleError> {
    Ok(Console::open(settings, Missing::Create)?.applied)
}

/// The server's connection pool.
pub fn pool(settings: &Settings) -> Result<Pool, ConsoleError> {
    Ok(storage::pool(
        &settings.database.url,
        settings.database.pool_size,
    )?)
}

/// The whole database audit. It reads only: it neither creates nor
/// migrates the database it checks.
pub fn audit(
    settings: &Settings,
    progress: &mut dyn FnMut(AuditProgress),
) -> Result<AuditReport, ConsoleError> {
    let url = &settings.database.url;
    if let Some(path) = missing_file(url) {
        return Err(ConsoleError::NoDatabase { path: shown(path) });
    }
    let mut conn = connect(url)?;
    Ok(super::audit::run(&mut conn, progress)?)
}

/// The trust anchors and CRLs the settings name, read.
pub fn trust_store(settings: &TrustSettings) -> Result<TrustStore, ConsoleError> {
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).map_err(|source| ConsoleError::Read {
            path: p.clone(),
            source,
        })
    };
    let bad = |p: &PathBuf, message: String| ConsoleError::Trust {
        path: p.clone(),
        message,
    };
    let mut trust = TrustStore::default();
    if let Some(p) = &settings.anchors {
        trust.anchors =
            docflow_core::x509::pem_bundle_to_der(&read(p)?).map_err(|e| bad(p, e.to_string()))?;
        if trust.anchors.is_empty() {
            return Err(bad(p, "no certificates".into()));
        }
    }
    if let Some(p) = &settings.crls {
        trust.crls =
            docflow_core::x509::pem_crls_to_der(&read(p)?).map_err(|e| bad(p, e.to_string()))?;
    }
    Ok(trust)
}

/// A stored UTC time as every command prints it: RFC 3339, `Z`.
pub fn time(t: NaiveDateTime) -> String {
    docflow_core::ledger::format_time(&chrono::DateTime::from_naive_utc_and_offset(t, chrono::Utc))
}

/// Creates the organisation unless one with this code exists: with the
/// same name that is success (`false`: nothing was changed); with another
/// name, a conflict.
pub fn add_org_if_new(
    tx: &mut WriteTx<'_>,
    actor: &Actor,
    code: &str,
    name: &str,
    settings: OrgSettings,
) -> Result<(OrgListing, bool), ServiceError> {
    if let Some(org) = orgs::org_by_code(&mut *tx, code)? {
        if org.name != name {
            return Err(ServiceError::Conflict(format!(
                "an organisation with code {code} already exists, named {:?}",
                org.name
            )));
        }
        return Ok((org.into(), false));
    }
    Ok((
        admin::add_org(tx, actor, code, name, settings)?.into(),
        true,
    ))
}

/// Creates the user unless one with this login exists: with the same
/// organisation, name, position, roles and department that is success
/// (`false`); otherwise a conflict naming what differs.
pub fn add_user_if_new(
    tx: &mut WriteTx<'_>,
    actor: &Actor,
    new: admin::NewUser<'_>,
) -> Result<(UserListing, String, bool), ServiceError> {
    if let Some(user) = orgs::user_by_login(&mut *tx, new.login)? {
        let org = orgs::org_by_id(&mut *tx, &user.org_id)?;
        let differs: Vec<&str> = [
            (
                "organisation",
                org.as_ref().map(|o| o.code.as_str()) != Some(new.org_code),
            ),
            ("name", user.full_name != new.full_name),
            ("position", user.position != new.position),
            ("roles", user.roles != new.roles.to_stored()),
            ("department", user.department.as_deref() != new.department),
        ]
        .into_iter()
        .filter_map(|(field, differs)| differs.then_some(field))
        .collect();
        if !differs.is_empty() {
            return Err(ServiceError::Conflict(format!(
                "a user with login {} already exists, with another {}",
                new.login,
                differs.join(", ")
            )));
        }
        return Ok((user.into(), new.org_code.to_owned(), false));
    }
    let (user, org) = admin::add_user(tx, actor, new)?;
    Ok((user.into(), org.code, true))
}

/// An organisation as `admin org list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OrgListing {
    pub code: String,
    pub id: String,
    pub name: String,
    pub stamp_language: String,
    pub utc_offset: String,
    pub created_at: String,
}

impl From<OrgRow> for OrgListing {
    fn from(o: OrgRow) -> Self {
        OrgListing {
            created_at: time(o.created_at),
            code: o.code,
            id: o.id,
            name: o.name,
            stamp_language: o.stamp_language,
            utc_offset: o.utc_offset,
        }
    }
}

/// A user as `admin user list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct UserListing {
    pub login: String,
    pub roles: Vec<String>,
    pub id: String,
    pub full_name: String,
    pub position: String,
    pub department: Option<String>,
}

impl From<UserRow> for UserListing {
    fn from(u: UserRow) -> Self {
        UserListing {
            roles: u
                .roles
                .split(',')
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect(),
            login: u.login,
            id: u.id,
            full_name: u.full_name,
            position: u.position,
            department: u.department,
        }
    }
}

/// A token as `admin token list` shows it: never its secret.
#[derive(Debug, Clone, Serialize)]
pub struct TokenListing {
    pub id: String,
    /// `active`, `expired` or `revoked`.
    pub state: &'static str,
    pub label: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
}

/// A signing key as `admin key list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyListing {
    /// The fingerprint.
    pub id: String,
    /// `ed25519` or `x509`.
    pub form: String,
    /// `active` or `revoked`.
    pub state: &'static str,
    pub subject: Option<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub revocation_reason: Option<String>,
}
