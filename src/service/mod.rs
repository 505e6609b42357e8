//! Units of work, shared by the HTTP API and the CLI. Each write is one
//! transaction under the write lock that also appends its ledger entry.

pub mod admin;
pub mod appender;
pub mod audit;
pub mod console;
pub mod documents;
pub mod evidence;
pub mod flow;
pub mod inbox;
pub mod keys;
pub mod ledger;
pub mod registration;
pub mod resolutions;
pub mod signatures;
pub mod signing;
pub mod substitutions;
pub mod views;

use crate::domain::{Invalid, Roles};
use crate::storage::StorageError;

/// Why a unit of work did not happen. Nothing was changed in any case.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("{0}")]
    BadRequest(String),
    /// Well-formed but refused: names what is wrong (422).
    #[error("{0}")]
    Unprocessable(String),
    /// A certificate was refused; `reason` is a stable code.
    #[error("certificate rejected ({reason}): {message}")]
    Certificate {
        reason: &'static str,
        message: String,
    },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("the content is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    /// A fault on this side that the caller cannot fix (500; the cause is
    /// logged, never sent).
    #[error("internal error: {0}")]
    Internal(String),
    /// Cannot serve now, but may soon: the writer stopped, the pool is
    /// exhausted (503).
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for ServiceError {
    fn from(e: diesel::result::Error) -> Self {
        ServiceError::Storage(StorageError::Query(e))
    }
}

/// Who is acting: a signed-in user, or the operator at the console.
#[derive(Debug, Clone)]
pub enum Actor {
    User(AuthUser),
    /// `docflow admin …` run by whoever operates the server.
    Operator,
    /// Someone proving possession of this key (by fingerprint) at login.
    KeyLogin(String),
}

impl Actor {
    /// How the ledger names the actor.
    pub fn ledger_name(&self) -> String {
        match self {
            Actor::User(u) => format!("user:{}", u.user_id),
            Actor::Operator => "operator".to_owned(),
            Actor::KeyLogin(key) => format!("key:{key}"),
        }
    }
}

/// A user authenticated by a bearer token.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: String,
    pub org_id: String,
    pub login: String,
    pub roles: Roles,
    pub token_id: String,
}

impl AuthUser {
    pub fn require_any(&self, roles: &[crate::domain::Role]) -> Result<(), ServiceError> {
        if self.roles.has_any(roles) {
            Ok(())
        } else {
            let names: Vec<_> = roles.iter().map(|r| r.as_str()).collect();
            Err(ServiceError::Forbidden(format!(
                "this needs one of the roles: {}",
                names.join(", ")
            )))
        }
    }
}

/// A new time-ordered id (UUID v7): sortable, and unguessable enough that an
/// id says nothing about other organisations' documents.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// How an answer names a person: their login and full name,
/// `a.karimov (Алишер Каримов)`; the id itself if no such user exists.
pub(crate) fn person(conn: &mut DbConnection, user_id: &str) -> String {
    match crate::storage::orgs::user_by_id(conn, user_id) {
        Ok(Some(u)) if u.full_name.trim().is_empty() => u.login,
        Ok(Some(u)) => format!("{} ({})", u.login, u.full_name),
        _ => user_id.to_owned(),
    }
}

/// The connection pool and a connection, as handlers receive them.
pub use crate::storage::{DbConnection, Pool};

/// Now, as stored: UTC, truncated to microseconds.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    crate::storage::now()
}

/// Checks that the database answers (for `/healthz`).
pub fn ping(conn: &mut DbConnection) -> Result<(), ServiceError> {
    Ok(crate::storage::ping(conn)?)
}

/// Runs one unit of work on actix's blocking pool: get a connection, run
/// it. Reads go through here; writes through the [`appender::Appender`].
pub async fn blocking<T, F>(pool: Pool, f: F) -> Result<T, ServiceError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, ServiceError> + Send + 'static,
{
    actix_web::web::block(move || {
        let mut conn = pool
            .get()
            .map_err(|e| ServiceError::Unavailable(format!("no database connection: {e}")))?;
        f(&mut conn)
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("the blocking pool: {e}")))?
}
