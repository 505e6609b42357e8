//! Storage: one diesel code base over PostgreSQL and SQLite.
//!
//! Every function takes `&mut DbConnection`, so it runs on its own or inside
//! a caller's transaction. Backend-specific SQL lives only here (connection
//! set-up, the write lock, migrations) and in the migrations themselves.

pub mod documents;
pub mod journals;
pub mod keys;
pub mod ledger;
pub mod models;
pub mod orgs;
pub mod resolutions;
pub mod routes;
pub mod schema;
pub mod substitutions;
pub mod transparency;

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Advisory lock keys (PostgreSQL). Arbitrary but fixed: every node must use
/// the same numbers. "docf" in ASCII, then a purpose.
const PG_LOCK_MIGRATIONS: i64 = 0x646f_6366_0000_0001;
const PG_LOCK_WRITE: i64 = 0x646f_6366_0000_0002;

/// A connection to either backend; diesel dispatches each query.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("connection pool: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("cannot open the connection pool: {0}")]
    PoolSetup(String),
    #[error("{0} bytes do not fit a database size column")]
    TooLarge(usize),
    #[error("invalid database URL: {0}")]
    BadUrl(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error(
        "this database's log is signed by {database}, but this node's log key is {ours}; \
         give every node the same key (--log-key)"
    )]
    WrongLogKey { database: String, ours: String },
}

impl StorageError {
    /// The database cannot be reached now, but may be soon (503).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StorageError::Pool(_) | StorageError::Connect(_))
    }
}

/// Where the data lives, parsed from `DATABASE_URL` or the data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// `postgres://…`/`postgresql://…` or `sqlite://PATH` (also `sqlite:PATH`).
    pub fn parse(url: &str) -> Result<Self, StorageError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(StorageError::BadUrl("sqlite:// needs a file path".into()));
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else {
            Err(StorageError::BadUrl(format!(
                "{url:?}: expected postgres://… or sqlite://PATH"
            )))
        }
    }

    /// The embedded default: `<data_dir>/docflow.db`.
    pub fn embedded(data_dir: &Path) -> Self {
        Self::Sqlite(data_dir.join("docflow.db"))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgresql",
            Self::Sqlite(_) => "sqlite",
        }
    }

    /// The URL with any password hidden, for logs.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(p) => format!("sqlite://{}", p.display()),
            Self::Postgres(u) => match url::Url::parse(u) {
                Ok(mut parsed) if parsed.password().is_some() => {
                    // Only fails for URLs that cannot have a password.
                    let _ = parsed.set_password(Some("***"));
                    parsed.to_string()
                }
                Ok(_) => u.clone(),
                // Not a URL (a libpq key=value string): show no part of it.
                Err(_) => "postgres://(unparsed URL)".to_owned(),
            },
        }
    }

    /// Opens one connection, with the session settings docflow relies on.
    pub fn connect(&self) -> Result<DbConnection, StorageError> {
        match self {
            Self::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                conn.batch_execute("SET TIME ZONE 'UTC'")?;
                Ok(DbConnection::Pg(conn))
            }
            Self::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StorageError::BadUrl(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                let path_str = path.to_str().ok_or_else(|| {
                    StorageError::BadUrl(format!("{}: path is not UTF-8", path.display()))
                })?;
                let mut conn = SqliteConnection::establish(path_str)?;
                // WAL with synchronous=FULL: a commit survives a power cut.
                // busy_timeout makes writers queue instead of failing.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = FULL;
                     PRAGMA busy_timeout = 30000;
                     PRAGMA foreign_keys = ON;",
                )?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// r2d2 manager that opens connections through [`DatabaseUrl::connect`].
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = StorageError;

    fn connect(&self) -> Result<DbConnection, StorageError> {
        self.url.connect()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), StorageError> {
        conn.batch_execute("SELECT 1")?;
        Ok(())
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        // A connection left inside a transaction must not be reused.
        <DbConnection as TransactionManager<DbConnection>>::is_broken_transaction_manager(conn)
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// Builds the connection pool. SQLite gets a small pool: it has one writer
/// anyway, and readers share the WAL.
pub fn pool(url: &DatabaseUrl, max_size: u32) -> Result<Pool, StorageError> {
    let size = match url {
        DatabaseUrl::Postgres(_) => max_size.max(1),
        DatabaseUrl::Sqlite(_) => max_size.clamp(1, 8),
    };
    r2d2::Pool::builder()
        .max_size(size)
        .connection_timeout(Duration::from_secs(30))
        .build(Manager { url: url.clone() })
        .map_err(|e| StorageError::PoolSetup(e.to_string()))
}

/// Runs pending migrations; returns the versions applied. On PostgreSQL this
/// holds a session advisory lock, so nodes starting together do not race.
pub fn migrate(conn: &mut DbConnection) -> Result<Vec<String>, StorageError> {
    let to_strings = |v: Vec<diesel::migration::MigrationVersion<'_>>| {
        v.into_iter().map(|m| m.to_string()).collect::<Vec<_>>()
    };
    match conn {
        DbConnection::Pg(pg) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({PG_LOCK_MIGRATIONS})"))
                .execute(pg)?;
            let result = pg
                .run_pending_migrations(PG_MIGRATIONS)
                .map(to_strings)
                .map_err(|e| StorageError::Migration(e.to_string()));
            diesel::sql_query(format!("SELECT pg_advisory_unlock({PG_LOCK_MIGRATIONS})"))
                .execute(pg)?;
            result
        }
        DbConnection::Sqlite(lite) => lite
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(to_strings)
            .map_err(|e| StorageError::Migration(e.to_string())),
    }
}

/// The write transaction a unit of work runs in. Only [`write`] and
/// [`WriteGroup::unit`] make one; service functions receive it and know
/// nothing else of how it began, is sealed or commits. It derefs to the
/// connection, so storage functions take it as they are.
pub struct WriteTx<'c> {
    conn: &'c mut DbConnection,
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        self.conn
    }
}

impl std::ops::DerefMut for WriteTx<'_> {
    fn deref_mut(&mut self) -> &mut DbConnection {
        self.conn
    }
}

/// Runs one unit of work in its own write transaction and commits it: it
/// holds the global write lock from its first statement (on PostgreSQL a
/// transaction-scoped advisory lock, on SQLite an immediate transaction),
/// so ledger appends are serialised across threads and nodes, and the new
/// entries are sealed (leaves and a signed checkpoint) before the commit.
/// The CLI's runner; the server groups units with [`write_group`].
pub fn write<T, E>(
    conn: &mut DbConnection,
    log: &docflow_core::checkpoint::NoteSigner,
    f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error> + From<StorageError>,
{
    run_tx(conn, true, |c| {
        let value = f(&mut WriteTx { conn: c })?;
        transparency::seal(c, log, now())?;
        Ok(value)
    })
}

/// A group of units in one write transaction: see [`write_group`].
pub struct WriteGroup<'c> {
    conn: &'c mut DbConnection,
    log: &'c docflow_core::checkpoint::NoteSigner,
    sealed: bool,
}

impl WriteGroup<'_> {
    /// Runs one unit in a savepoint of the group's transaction: a unit that
    /// fails is rolled back alone and the others go on. The lock is the
    /// group's; the unit takes none of its own.
    pub fn unit<T, E>(&mut self, f: impl FnOnce(&mut WriteTx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        // Entries appended now need a seal of their own.
        self.sealed = false;
        run_tx(self.conn, false, |c| f(&mut WriteTx { conn: c }))
    }

    /// Seals the units' entries (leaves and one signed checkpoint) and
    /// hands out the connection, still inside the transaction, for reads
    /// that need the checkpoint, such as receipts.
    pub fn sealed(&mut self) -> Result<&mut DbConnection, StorageError> {
        if !self.sealed {
            transparency::seal(self.conn, self.log, now())?;
            self.sealed = true;
        }
        Ok(self.conn)
    }
}

/// Runs `f` in one write transaction (lock as for [`write`]): the units it
/// runs through [`WriteGroup::unit`], every entry they append sealed once
/// with one signed checkpoint, and one commit. The appender's batch.
pub fn write_group<T, E>(
    conn: &mut DbConnection,
    log: &docflow_core::checkpoint::NoteSigner,
    f: impl FnOnce(&mut WriteGroup<'_>) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error> + From<StorageError>,
{
    run_tx(conn, true, |c| {
        let mut group = WriteGroup {
            conn: c,
            log,
            sealed: false,
        };
        let value = f(&mut group)?;
        group.sealed()?;
        Ok(value)
    })
}

/// A write transaction for rows outside the ledger (login challenges, the
/// log key's registration): it does not take the ledger's lock.
pub fn write_tx_unsealed<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    run_tx(conn, false, f)
}

fn run_tx<T, E>(
    conn: &mut DbConnection,
    lock: bool,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    begin_write(conn, lock)?;
    match f(conn) {
        Ok(value) => {
            <DbConnection as TransactionManager<DbConnection>>::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            match <DbConnection as TransactionManager<DbConnection>>::rollback_transaction(conn) {
                Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(e),
                Err(rollback) => Err(rollback.into()),
            }
        }
    }
}

fn begin_write(conn: &mut DbConnection, lock: bool) -> Result<(), diesel::result::Error> {
    match conn {
        // SQLite has one writer: every write transaction takes its lock at
        // BEGIN, so none fails later on a stale snapshot.
        DbConnection::Sqlite(lite) => {
            match AnsiTransactionManager::begin_transaction_sql(lite, "BEGIN IMMEDIATE") {
                Err(diesel::result::Error::AlreadyInTransaction) => {
                    <DbConnection as TransactionManager<DbConnection>>::begin_transaction(conn)
                }
                other => other,
            }
        }
        DbConnection::Pg(_) => {
            <DbConnection as TransactionManager<DbConnection>>::begin_transaction(conn)?;
            if !lock {
                return Ok(());
            }
            let locked = match conn {
                DbConnection::Pg(pg) => {
                    diesel::sql_query(format!("SELECT pg_advisory_xact_lock({PG_LOCK_WRITE})"))
                        .execute(pg)
                        .map(drop)
                }
                DbConnection::Sqlite(_) => Ok(()),
            };
            if let Err(e) = locked {
                let _ =
                    <DbConnection as TransactionManager<DbConnection>>::rollback_transaction(conn);
                return Err(e);
            }
            Ok(())
        }
    }
}

/// Checks that the database answers (for `/healthz`).
pub fn ping(conn: &mut DbConnection) -> Result<(), StorageError> {
    conn.batch_execute("SELECT 1")?;
    Ok(())
}

/// Current time as stored: UTC, truncated to microseconds (both backends
/// keep microseconds, so what is hashed equals what is read back).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    docflow_core::ledger::truncate_to_micros(chrono::Utc::now())
}

#[cfg(test)]
mod url_tests {
    use super::DatabaseUrl;

    #[test]
    fn redacted_hides_the_password_only() {
        let url = DatabaseUrl::Postgres("postgres://app:s3cr%40t@db.example:5432/docflow".into());
        assert_eq!(url.redacted(), "postgres://app:***@db.example:5432/docflow");
        let plain = DatabaseUrl::Postgres("postgres://postgres@127.0.0.1:5432/docflow".into());
        assert_eq!(
            plain.redacted(),
            "postgres://postgres@127.0.0.1:5432/docflow"
        );
        let libpq = DatabaseUrl::Postgres("host=db password=x".into());
        assert!(!libpq.redacted().contains('x'));
    }
}
