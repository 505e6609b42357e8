//! Documents and their immutable versions.

use serde_json::json;

use super::{new_id, Actor, AuthUser, ServiceError};
use crate::domain::{
    check_text, clean_filename, fold_for_search, DocumentKinds, DocumentState, REGISTERS_DOCUMENTS,
};
use crate::storage::documents as store;
pub use crate::storage::documents::DocumentFilter;
use crate::storage::models::{DocumentRow, VersionRow};
use crate::storage::{self, ledger, DbConnection, WriteTx};

/// Uploaded content, already read within the size limit and hashed.
#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
    pub sha256: String,
}

impl Upload {
    pub fn new(filename: Option<&str>, content_type: Option<&str>, data: Vec<u8>) -> Upload {
        let sha256 = docflow_core::ledger::sha256_hex(&data);
        Upload {
            filename: clean_filename(filename),
            content_type: content_type
                .filter(|ct| !ct.is_empty() && ct.len() <= 255 && ct.is_ascii())
                .unwrap_or("application/octet-stream")
                .to_owned(),
            data,
            sha256,
        }
    }
}

pub struct NewDocument {
    pub title: String,
    pub kind: String,
}

fn size_of(upload: &Upload) -> Result<i64, ServiceError> {
    i64::try_from(upload.data.len()).map_err(|_| ServiceError::TooLarge {
        limit: i64::MAX as u64,
    })
}

fn version_facts(
    version: i32,
    upload: &Upload,
    size: i64,
) -> [(&'static str, serde_json::Value); 5] {
    [
        ("version", json!(version)),
        ("sha256", json!(upload.sha256)),
        ("size", json!(size)),
        ("content_type", json!(upload.content_type)),
        ("filename", json!(upload.filename)),
    ]
}

/// Writes a version row (its content is already stored).
#[allow(clippy::too_many_arguments)]
fn store_version(
    conn: &mut DbConnection,
    document_id: &str,
    version: i32,
    upload: &Upload,
    size: i64,
    user: &AuthUser,
    now: chrono::DateTime<chrono::Utc>,
    ledger_seq: i64,
) -> Result<VersionRow, ServiceError> {
    let row = VersionRow {
        document_id: document_id.to_owned(),
        version,
        sha256: upload.sha256.clone(),
        size,
        content_type: upload.content_type.clone(),
        filename: upload.filename.clone(),
        created_by: user.user_id.clone(),
        created_at: now.naive_utc(),
        ledger_seq,
    };
    store::insert_version(conn, &row)?;
    Ok(row)
}

/// The state after `event`, or 409 naming the illegal move.
pub fn next_state(
    current: &str,
    event: crate::domain::DocumentEvent,
) -> Result<DocumentState, ServiceError> {
    let state = <DocumentState as std::str::FromStr>::from_str(current).map_err(|_| {
        crate::storage::StorageError::Corrupt(format!("unknown document state {current:?}"))
    })?;
    docflow_flow::document::transition(state, event)
        .map_err(|e| ServiceError::Conflict(e.to_string()))
}

/// Applies `event` to a document inside the caller's transaction.
pub fn apply(
    conn: &mut DbConnection,
    doc: &DocumentRow,
    event: crate::domain::DocumentEvent,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<DocumentState, ServiceError> {
    let next = next_state(&doc.state, event)?;
    store::set_state(conn, &doc.id, next.as_str(), at.naive_utc())?;
    Ok(next)
}

pub fn create(
    conn: &mut WriteTx<'_>,
    kinds: &DocumentKinds,
    user: &AuthUser,
    new: NewDocument,
    upload: Upload,
) -> Result<(DocumentRow, VersionRow), ServiceError> {
    user.require_any(REGISTERS_DOCUMENTS)?;
    check_text("title", &new.title, 1000)?;
    kinds.check(&new.kind)?;
    if upload.data.is_empty() {
        return Err(ServiceError::BadRequest("the file part is empty".into()));
    }
    let size = size_of(&upload)?;
    let now = storage::now();
    let actor = Actor::User(user.clone());
    {
        let c = &mut *conn;
        let doc = DocumentRow {
            id: new_id(),
            org_id: user.org_id.clone(),
            kind: new.kind,
            title_folded: fold_for_search(&new.title),
            title: new.title,
            state: DocumentState::Draft.as_str().to_owned(),
            latest_version: 1,
            created_by: user.user_id.clone(),
            created_at: now.naive_utc(),
            updated_at: now.naive_utc(),
        };
        store::insert_document(c, &doc)?;
        store::put_blob(c, &upload.sha256, &upload.data, now.naive_utc())?;
        let mut data = ledger::data(version_facts(1, &upload, size));
        data.insert("org".into(), json!(doc.org_id));
        data.insert("kind".into(), json!(doc.kind));
        data.insert("title".into(), json!(doc.title));
        let appended = ledger::append(
            c,
            now,
            ledger::NewEntry {
                kind: "document.created",
                subject: format!("document:{}", doc.id),
                actor: actor.ledger_name(),
                data,
            },
        )?;
        let version = store_version(c, &doc.id, 1, &upload, size, user, now, appended.seq)?;
        Ok((doc, version))
    }
}

/// Adds version n+1. `base_version`, when given, must be the latest version
/// the client saw: two people editing at once do not silently overwrite.
pub fn add_version(
    conn: &mut WriteTx<'_>,
    user: &AuthUser,
    document_id: &str,
    base_version: Option<i32>,
    upload: Upload,
) -> Result<(DocumentRow, VersionRow), ServiceError> {
    user.require_any(REGISTERS_DOCUMENTS)?;
    if upload.data.is_empty() {
        return Err(ServiceError::BadRequest("the file part is empty".into()));
    }
    let size = size_of(&upload)?;
    let now = storage::now();
    let actor = Actor::User(user.clone());
    {
        let c = &mut *conn;
        let mut doc = store::document_in_org(c, &user.org_id, document_id)?
            .ok_or(ServiceError::NotFound("document"))?;
        if let Some(base) = base_version {
            if base != doc.latest_version {
                return Err(ServiceError::Conflict(format!(
                    "base_version is {base} but the latest version is {}",
                    doc.latest_version
                )));
            }
        }
        // Only a draft, or a document returned for rework, takes new content.
        apply(c, &doc, crate::domain::DocumentEvent::NewVersion, now)?;
        let next = doc.latest_version + 1;
        store::put_blob(c, &upload.sha256, &upload.data, now.naive_utc())?;
        let appended = ledger::append(
            c,
            now,
            ledger::NewEntry {
                kind: "document.version-added",
                subject: format!("document:{}", doc.id),
                actor: actor.ledger_name(),
                data: ledger::data(version_facts(next, &upload, size)),
            },
        )?;
        let version = store_version(c, &doc.id, next, &upload, size, user, now, appended.seq)?;
        store::set_latest_version(c, &doc.id, next, now.naive_utc())?;
        doc.latest_version = next;
        doc.updated_at = now.naive_utc();
        Ok((doc, version))
    }
}

pub fn get(
    conn: &mut DbConnection,
    user: &AuthUser,
    document_id: &str,
) -> Result<DocumentRow, ServiceError> {
    store::document_in_org(conn, &user.org_id, document_id)?
        .ok_or(ServiceError::NotFound("document"))
}

pub fn versions(
    conn: &mut DbConnection,
    user: &AuthUser,
    document_id: &str,
) -> Result<Vec<VersionRow>, ServiceError> {
    let doc = get(conn, user, document_id)?;
    Ok(store::versions(conn, &doc.id)?)
}

/// A version's metadata and exact bytes.
pub fn content(
    conn: &mut DbConnection,
    user: &AuthUser,
    document_id: &str,
    version: i32,
) -> Result<(VersionRow, Vec<u8>), ServiceError> {
    let doc = get(conn, user, document_id)?;
    let row = store::version(conn, &doc.id, version)?.ok_or(ServiceError::NotFound("version"))?;
    let data = store::blob_data(conn, &row.sha256)?.ok_or_else(|| {
        storage::StorageError::Corrupt(format!("content {} is missing", row.sha256))
    })?;
    Ok((row, data))
}

pub fn list(
    conn: &mut DbConnection,
    user: &AuthUser,
    filter: &DocumentFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<DocumentRow>, i64), ServiceError> {
    Ok(store::list_documents(
        conn,
        &user.org_id,
        filter,
        limit,
        offset,
    )?)
}
