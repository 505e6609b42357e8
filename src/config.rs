//! Configuration in layers: defaults, then a TOML file (`--config`), then
//! environment variables, then command-line flags (clap merges the last two).

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

/// The file layer. Every key is optional; unknown keys are an error so a
/// typo is not silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub bind: Option<String>,
    pub max_upload_bytes: Option<u64>,
    pub document_kinds: Option<Vec<String>>,
    pub pool_size: Option<u32>,
    /// The log key file (`--log-key`).
    pub log_key: Option<PathBuf>,
    /// The origin (and key name) of a log key created on first start.
    pub log_origin: Option<String>,
    /// Trust anchors for X.509 keys (PEM file).
    pub trust_anchors: Option<PathBuf>,
    /// CRLs from those CAs (PEM file).
    pub crls: Option<PathBuf>,
}

impl FileConfig {
    pub fn load(path: Option<&Path>) -> Result<FileConfig, ConfigError> {
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })
    }
}

/// Where the database is: `DATABASE_URL` (flag/env/file), else the embedded
/// SQLite file under the data directory.
pub fn database(
    file: &FileConfig,
    url: Option<&str>,
    data_dir: Option<&Path>,
) -> Result<(DatabaseUrl, PathBuf), ConfigError> {
    let data_dir = data_dir
        .map(Path::to_path_buf)
        .or_else(|| file.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    let url = match url
        .or(file.database_url.as_deref())
        .filter(|u| !u.is_empty())
    {
        Some(u) => DatabaseUrl::parse(u).map_err(|e| ConfigError::Invalid(e.to_string()))?,
        None => DatabaseUrl::embedded(&data_dir),
    };
    Ok((url, data_dir))
}

pub fn document_kinds(
    file: &FileConfig,
    flag: Option<&[String]>,
) -> Result<DocumentKinds, ConfigError> {
    match flag
        .map(<[String]>::to_vec)
        .or_else(|| file.document_kinds.clone())
    {
        None => Ok(DocumentKinds::default()),
        Some(list) => DocumentKinds::new(
            list.into_iter()
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
                .collect(),
        )
        .map_err(|e| ConfigError::Invalid(e.to_string())),
    }
}
