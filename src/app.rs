//! The server, composed from [`Settings`] in one place. `docflow serve`,
//! the integration tests and any other process that serves the API (the
//! exchange deliverer, say) start it the same way:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = docflow::config::Settings::load(None, Default::default())?;
//! let app = docflow::app::Application::build(&settings)?;
//! println!("listening on {}", app.addr);
//! app.run_until_stopped()?;
//! # Ok(()) }
//! ```

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::Server;
use docflow_core::checkpoint::NoteVerifier;

use crate::config::Settings;
use crate::http::AppState;
use crate::service::appender::Appender;
use crate::service::console::{self, Console, ConsoleError, Missing};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Console(#[from] ConsoleError),
    #[error("binding {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// A server ready to serve: migrated, its log key registered, its socket
/// bound, its writer thread started.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    workers: usize,
    /// Where it listens (the real port, also for `…:0`).
    pub addr: SocketAddr,
    /// The database, as it may be shown (no password).
    pub database: String,
    /// The log's public key.
    pub log_key: NoteVerifier,
    /// Whether the database has no organisation yet.
    pub is_empty: bool,
}

impl Application {
    /// Applies pending migrations (creating the embedded database if it does
    /// not exist), loads or makes the log key, reads the trust anchors,
    /// opens the pool and binds `settings.http.bind`.
    pub fn build(settings: &Settings) -> Result<Application, AppError> {
        let mut console = Console::open(settings, Missing::Create)?;
        for m in console.applied() {
            tracing::info!(migration = %m, "applied migration");
        }
        let log = console.log_signer()?.clone();
        let is_empty = console.orgs()?.is_empty();
        drop(console);
        let pool = console::pool(settings)?;
        let trust = console::trust_store(&settings.trust)?;
        let bind = &settings.http.bind;
        let bound = |source| AppError::Bind {
            addr: bind.clone(),
            source,
        };
        let listener = TcpListener::bind(bind).map_err(bound)?;
        let addr = listener.local_addr().map_err(bound)?;
        let url = &settings.database.url;
        let log_key = log.verifier();
        let log = Arc::new(log);
        let state = AppState {
            trust: Arc::new(trust),
            appender: Appender::start(url.clone(), log.clone()),
            pool,
            log,
            kinds: settings.http.document_kinds.clone(),
            max_upload_bytes: settings.http.max_upload_bytes,
            backend: url.backend_name(),
        };
        Ok(Application {
            listener,
            state,
            workers: settings.http.workers,
            addr,
            database: url.redacted(),
            log_key,
            is_empty,
        })
    }

    /// The running server; call it inside an actix system and await it.
    pub fn server(self) -> std::io::Result<Server> {
        crate::http::server(self.state, self.listener, self.workers)
    }

    /// Serves on a new actix system until the server stops.
    pub fn run_until_stopped(self) -> std::io::Result<()> {
        actix_web::rt::System::new().block_on(async move { self.server()?.await })
    }
}
