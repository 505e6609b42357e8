//! Configuration as one value: [`Settings`], built once by
//! [`Settings::load`] from, lowest first, the defaults, a TOML file
//! (`--config`), environment variables and command-line flags. clap reads
//! the last two into one [`Layer`] (a flag beats its variable); the file is
//! a [`Layer`] of the same keys; `load` is the only place they meet.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::DocumentKinds;
use crate::storage::DatabaseUrl;

pub const DEFAULT_DATA_DIR: &str = "./docflow-data";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 50 * 1024 * 1024;
pub const DEFAULT_POOL_SIZE: u32 = 16;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

/// One layer of configuration: the file's keys, or the flags and
/// environment as clap read them. Every key is optional; in a file,
/// unknown keys are an error so a typo is not silently ignored.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub bind: Option<String>,
    pub max_upload_bytes: Option<u64>,
    pub document_kinds: Option<Vec<String>>,
    pub pool_size: Option<u32>,
    /// HTTP worker threads.
    pub workers: Option<usize>,
    /// The log's signing key file (`--log-key`).
    pub log_key: Option<PathBuf>,
    /// The origin (and key name) of a log key created on first start.
    pub log_origin: Option<String>,
    /// Trust anchors for X.509 keys (PEM file).
    pub trust_anchors: Option<PathBuf>,
    /// CRLs from those CAs (PEM file).
    pub crls: Option<PathBuf>,
}

impl Layer {
    /// Reads a TOML file of these keys.
    pub fn read(path: &Path) -> Result<Layer, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })
    }

    /// This layer on top of `below`: each key set here wins.
    fn over(self, below: Layer) -> Layer {
        Layer {
            database_url: self.database_url.or(below.database_url),
            data_dir: self.data_dir.or(below.data_dir),
            bind: self.bind.or(below.bind),
            max_upload_bytes: self.max_upload_bytes.or(below.max_upload_bytes),
            document_kinds: self.document_kinds.or(below.document_kinds),
            pool_size: self.pool_size.or(below.pool_size),
            workers: self.workers.or(below.workers),
            log_key: self.log_key.or(below.log_key),
            log_origin: self.log_origin.or(below.log_origin),
            trust_anchors: self.trust_anchors.or(below.trust_anchors),
            crls: self.crls.or(below.crls),
        }
    }
}

/// Everything a `docflow` command or server needs to know, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    /// Where the embedded database, the log key and the remote audit's
    /// state live by default.
    pub data_dir: PathBuf,
    pub log: LogSettings,
    pub trust: TrustSettings,
    pub http: HttpSettings,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    /// `DATABASE_URL`, else the embedded SQLite file `DATA_DIR/docflow.db`.
    pub url: DatabaseUrl,
    /// Connections per node.
    pub pool_size: u32,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    /// The signing key file, if given; else `DATA_DIR/log.key`.
    pub key_file: Option<PathBuf>,
    /// The name of a key created on first use.
    pub origin: String,
}

#[derive(Debug, Clone, Default)]
pub struct TrustSettings {
    /// PEM file of the CA certificates trusted for users' X.509 keys.
    pub anchors: Option<PathBuf>,
    /// PEM file of those CAs' revocation lists.
    pub crls: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub bind: String,
    pub max_upload_bytes: u64,
    pub document_kinds: DocumentKinds,
    pub workers: usize,
}

impl Settings {
    /// The one merge: `flags` (flags and environment) over the TOML file
    /// `config` (if any) over the defaults, checked.
    pub fn load(config: Option<&Path>, flags: Layer) -> Result<Settings, ConfigError> {
        let file = match config {
            Some(path) => Layer::read(path)?,
            None => Layer::default(),
        };
        let l = flags.over(file);
        let invalid = |e: &dyn std::fmt::Display| ConfigError::Invalid(e.to_string());
        let data_dir = l
            .data_dir
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let url = match l.database_url.as_deref().filter(|u| !u.is_empty()) {
            Some(u) => DatabaseUrl::parse(u).map_err(|e| invalid(&e))?,
            None => DatabaseUrl::embedded(&data_dir),
        };
        let max_upload_bytes = l.max_upload_bytes.unwrap_or(DEFAULT_MAX_UPLOAD_BYTES);
        if max_upload_bytes == 0 {
            return Err(ConfigError::Invalid(
                "--max-upload-bytes must be positive".into(),
            ));
        }
        let document_kinds = match l.document_kinds {
            None => DocumentKinds::default(),
            Some(list) => DocumentKinds::new(
                list.into_iter()
                    .map(|k| k.trim().to_owned())
                    .filter(|k| !k.is_empty())
                    .collect(),
            )
            .map_err(|e| invalid(&e))?,
        };
        let workers = l.workers.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        });
        Ok(Settings {
            database: DatabaseSettings {
                url,
                pool_size: l.pool_size.unwrap_or(DEFAULT_POOL_SIZE),
            },
            log: LogSettings {
                key_file: l.log_key,
                origin: l
                    .log_origin
                    .unwrap_or_else(|| crate::logkey::DEFAULT_ORIGIN.to_owned()),
            },
            trust: TrustSettings {
                anchors: l.trust_anchors,
                crls: l.crls,
            },
            http: HttpSettings {
                bind: l.bind.unwrap_or_else(|| DEFAULT_BIND.to_owned()),
                max_upload_bytes,
                document_kinds,
                workers,
            },
            data_dir,
        })
    }

    /// The log's signing key file: the one given, or `DATA_DIR/log.key`.
    pub fn log_key_path(&self) -> PathBuf {
        self.log
            .key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join(crate::logkey::DEFAULT_FILE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_which_beats_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("docflow.toml");
        std::fs::write(
            &file,
            "data_dir = \"from-file\"\npool_size = 3\nbind = \"0.0.0.0:1\"\n",
        )
        .unwrap();
        let flags = Layer {
            bind: Some("127.0.0.1:9".into()),
            ..Layer::default()
        };
        let s = Settings::load(Some(&file), flags).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("from-file"));
        assert_eq!(
            s.database.url,
            DatabaseUrl::Sqlite(PathBuf::from("from-file/docflow.db"))
        );
        assert_eq!(s.database.pool_size, 3);
        assert_eq!(s.http.bind, "127.0.0.1:9");
        assert_eq!(s.http.max_upload_bytes, DEFAULT_MAX_UPLOAD_BYTES);
        assert_eq!(s.log_key_path(), PathBuf::from("from-file/log.key"));
        assert_eq!(s.log.origin, crate::logkey::DEFAULT_ORIGIN);
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        let bad = |l: Layer| Settings::load(None, l).unwrap_err().to_string();
        assert!(bad(Layer {
            database_url: Some("mysql://x".into()),
            ..Layer::default()
        })
        .contains("expected postgres://"));
        assert!(bad(Layer {
            max_upload_bytes: Some(0),
            ..Layer::default()
        })
        .contains("--max-upload-bytes"));
        assert!(bad(Layer {
            document_kinds: Some(vec![" ".into()]),
            ..Layer::default()
        })
        .contains("document_kinds"));
    }
}
