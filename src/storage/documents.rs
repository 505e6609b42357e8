//! Documents, their immutable versions and content-addressed blobs.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::{DocumentRow, NewBlob, VersionRow};
use super::schema::{blobs, document_versions, documents};
use super::{DbConnection, StorageError};

/// Stores content once per SHA-256; returns whether it was new.
pub fn put_blob(
    conn: &mut DbConnection,
    sha256: &str,
    data: &[u8],
    at: NaiveDateTime,
) -> Result<bool, StorageError> {
    // Check-then-insert is race-free: callers hold the write lock.
    let exists: i64 = blobs::table
        .filter(blobs::sha256.eq(sha256))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    let size = i64::try_from(data.len()).map_err(|_| StorageError::TooLarge(data.len()))?;
    diesel::insert_into(blobs::table)
        .values(&NewBlob {
            sha256,
            size,
            data,
            created_at: at,
        })
        .execute(conn)?;
    Ok(true)
}

pub fn blob_data(conn: &mut DbConnection, sha256: &str) -> Result<Option<Vec<u8>>, StorageError> {
    Ok(blobs::table
        .find(sha256)
        .select(blobs::data)
        .first(conn)
        .optional()?)
}

/// Up to `limit` blobs with hash `> after`, in order (for the audit).
pub fn blob_page(
    conn: &mut DbConnection,
    after: &str,
    limit: i64,
) -> Result<Vec<(String, i64, Vec<u8>)>, StorageError> {
    Ok(blobs::table
        .filter(blobs::sha256.gt(after))
        .order(blobs::sha256.asc())
        .limit(limit)
        .select((blobs::sha256, blobs::size, blobs::data))
        .load(conn)?)
}

pub fn blob_count(conn: &mut DbConnection) -> Result<i64, StorageError> {
    Ok(blobs::table.count().get_result(conn)?)
}

pub fn insert_document(conn: &mut DbConnection, row: &DocumentRow) -> Result<(), StorageError> {
    diesel::insert_into(documents::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A document of this organisation; another organisation's is "not found".
pub fn document_in_org(
    conn: &mut DbConnection,
    org_id: &str,
    id: &str,
) -> Result<Option<DocumentRow>, StorageError> {
    Ok(documents::table
        .filter(documents::id.eq(id))
        .filter(documents::org_id.eq(org_id))
        .select(DocumentRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn set_latest_version(
    conn: &mut DbConnection,
    id: &str,
    version: i32,
    at: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::update(documents::table.find(id))
        .set((
            documents::latest_version.eq(version),
            documents::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_state(
    conn: &mut DbConnection,
    id: &str,
    state: &str,
    at: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::update(documents::table.find(id))
        .set((documents::state.eq(state), documents::updated_at.eq(at)))
        .execute(conn)?;
    Ok(())
}

/// Filters for the document list; `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    pub kind: Option<String>,
    pub state: Option<String>,
    pub created_by: Option<String>,
    /// Already folded with `domain::fold_for_search`.
    pub title_contains: Option<String>,
    pub created_from: Option<NaiveDateTime>,
    pub created_to: Option<NaiveDateTime>,
}

fn filtered<'a>(
    org_id: &'a str,
    f: &'a DocumentFilter,
) -> documents::BoxedQuery<'a, super::MultiBackend> {
    let mut q = documents::table
        .filter(documents::org_id.eq(org_id))
        .into_boxed();
    if let Some(kind) = &f.kind {
        q = q.filter(documents::kind.eq(kind));
    }
    if let Some(state) = &f.state {
        q = q.filter(documents::state.eq(state));
    }
    if let Some(by) = &f.created_by {
        q = q.filter(documents::created_by.eq(by));
    }
    if let Some(text) = &f.title_contains {
        q = q.filter(
            documents::title_folded
                .like(format!("%{}%", escape_like(text)))
                .escape('\\'),
        );
    }
    if let Some(from) = f.created_from {
        q = q.filter(documents::created_at.ge(from));
    }
    if let Some(to) = f.created_to {
        q = q.filter(documents::created_at.lt(to));
    }
    q
}

/// Newest first; returns the page and the total number of matches.
pub fn list_documents(
    conn: &mut DbConnection,
    org_id: &str,
    filter: &DocumentFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<DocumentRow>, i64), StorageError> {
    let total: i64 = filtered(org_id, filter).count().get_result(conn)?;
    let rows = filtered(org_id, filter)
        .order((documents::created_at.desc(), documents::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(DocumentRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn insert_version(conn: &mut DbConnection, row: &VersionRow) -> Result<(), StorageError> {
    diesel::insert_into(document_versions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn versions(
    conn: &mut DbConnection,
    document_id: &str,
) -> Result<Vec<VersionRow>, StorageError> {
    Ok(document_versions::table
        .filter(document_versions::document_id.eq(document_id))
        .order(document_versions::version.asc())
        .select(VersionRow::as_select())
        .load(conn)?)
}

pub fn version(
    conn: &mut DbConnection,
    document_id: &str,
    version: i32,
) -> Result<Option<VersionRow>, StorageError> {
    Ok(document_versions::table
        .find((document_id, version))
        .select(VersionRow::as_select())
        .first(conn)
        .optional()?)
}

/// Every version stored with this content (the audit names them).
pub fn versions_with_content(
    conn: &mut DbConnection,
    sha256: &str,
) -> Result<Vec<VersionRow>, StorageError> {
    Ok(document_versions::table
        .filter(document_versions::sha256.eq(sha256))
        .order(document_versions::ledger_seq.asc())
        .select(VersionRow::as_select())
        .load(conn)?)
}

/// Versions recorded by ledger entries in `(after, upto]`, for the audit.
pub fn versions_by_ledger_range(
    conn: &mut DbConnection,
    after: i64,
    upto: i64,
) -> Result<Vec<VersionRow>, StorageError> {
    Ok(document_versions::table
        .filter(document_versions::ledger_seq.gt(after))
        .filter(document_versions::ledger_seq.le(upto))
        .select(VersionRow::as_select())
        .load(conn)?)
}
