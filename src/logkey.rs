//! The log's own signing key: a file in the data directory (created on
//! first start, mode 0600) or the file given by `--log-key`. It is the only
//! private key the server holds.

use std::io::Write;
use std::path::{Path, PathBuf};

use docflow_core::checkpoint::NoteSigner;

pub const DEFAULT_FILE: &str = "log.key";
pub const DEFAULT_ORIGIN: &str = "docflow.local/log";

#[derive(Debug, thiserror::Error)]
pub enum LogKeyError {
    #[error("log key {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("log key {path}: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error("log origin {0:?}: {1}")]
    BadOrigin(String, String),
}

/// Loads the key at `explicit`, or at `DATA_DIR/log.key`, creating the
/// latter (named `origin`) if it does not exist yet.
pub fn load_or_create(
    explicit: Option<&Path>,
    data_dir: &Path,
    origin: &str,
) -> Result<NoteSigner, LogKeyError> {
    let path = match explicit {
        Some(p) => return load(p),
        None => data_dir.join(DEFAULT_FILE),
    };
    if path.exists() {
        return load(&path);
    }
    let io = |source| LogKeyError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let signer = NoteSigner::new(origin, key)
        .map_err(|e| LogKeyError::BadOrigin(origin.to_owned(), e.to_string()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(format!("{}\n", signer.signer_key_string()).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(io)?;
            tracing::info!(path = %path.display(), verifier = %signer.verifier(), "created the log key");
            Ok(signer)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load(&path),
        Err(e) => Err(io(e)),
    }
}

pub fn load(path: &Path) -> Result<NoteSigner, LogKeyError> {
    let text = std::fs::read_to_string(path).map_err(|source| LogKeyError::Io {
        path: path.to_owned(),
        source,
    })?;
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the log key is readable by others; chmod 600 it");
        }
    }
    NoteSigner::from_signer_key(text.trim()).map_err(|e| LogKeyError::Malformed {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}
