//! Reading the log: checkpoints, entries, proofs and receipts.

use docflow_core::merkle::Hash;
use docflow_core::receipt::Receipt;

use super::{AuthUser, ServiceError};
use crate::domain::READS_LEDGER;
use crate::storage::models::LedgerRow;
use crate::storage::transparency::{self, CheckpointRow};
use crate::storage::{documents, ledger, DbConnection};

/// Largest page of leaf hashes or checkpoints one request returns.
pub const MAX_PAGE: u64 = 1000;

pub fn latest_checkpoint(conn: &mut DbConnection) -> Result<CheckpointRow, ServiceError> {
    transparency::latest_checkpoint(conn)?.ok_or(ServiceError::NotFound("checkpoint"))
}

fn current_size(conn: &mut DbConnection) -> Result<u64, ServiceError> {
    Ok(transparency::tree_size(conn)?)
}

/// Checks `1 <= seq <= tree_size <= current size`; `tree_size` defaults to
/// the current size.
fn check_inclusion_args(
    conn: &mut DbConnection,
    seq: u64,
    tree_size: Option<u64>,
) -> Result<u64, ServiceError> {
    let size = current_size(conn)?;
    let tree_size = tree_size.unwrap_or(size);
    if tree_size > size {
        return Err(ServiceError::NotFound("tree of that size"));
    }
    if seq == 0 || seq > tree_size {
        return Err(ServiceError::BadRequest(format!(
            "seq must be between 1 and tree_size ({tree_size})"
        )));
    }
    Ok(tree_size)
}

/// The RFC 9162 audit path of entry `seq` (leaf `seq - 1`).
pub fn inclusion(
    conn: &mut DbConnection,
    seq: u64,
    tree_size: Option<u64>,
) -> Result<(u64, Vec<Hash>), ServiceError> {
    let tree_size = check_inclusion_args(conn, seq, tree_size)?;
    Ok((
        tree_size,
        transparency::inclusion_proof(conn, seq - 1, tree_size)?,
    ))
}

pub fn consistency(conn: &mut DbConnection, from: u64, to: u64) -> Result<Vec<Hash>, ServiceError> {
    let size = current_size(conn)?;
    if to > size {
        return Err(ServiceError::NotFound("tree of that size"));
    }
    if from == 0 || from > to {
        return Err(ServiceError::BadRequest("need 1 <= from <= to".into()));
    }
    Ok(transparency::consistency_proof(conn, from, to)?)
}

/// Leaf hashes of entries `start..end` (0-based leaf indices, end exclusive).
pub fn leaves(conn: &mut DbConnection, start: u64, end: u64) -> Result<Vec<Hash>, ServiceError> {
    let size = current_size(conn)?;
    if start >= end || end > size || end - start > MAX_PAGE {
        return Err(ServiceError::BadRequest(format!(
            "need start < end <= {size} and at most {MAX_PAGE} leaves"
        )));
    }
    let rows = ledger::page(
        conn,
        i64::try_from(start).unwrap_or(i64::MAX),
        i64::try_from(end - start).unwrap_or(0),
    )?;
    Ok(rows
        .iter()
        .map(|r| docflow_core::merkle::leaf_hash(&r.body))
        .collect())
}

pub fn checkpoints_after(
    conn: &mut DbConnection,
    after: u64,
    limit: u64,
) -> Result<Vec<CheckpointRow>, ServiceError> {
    if limit == 0 || limit > MAX_PAGE {
        return Err(ServiceError::BadRequest(format!(
            "limit must be between 1 and {MAX_PAGE}"
        )));
    }
    // Past the end of the log there is nothing, however large `after` is.
    if after >= current_size(conn)? {
        return Ok(Vec::new());
    }
    Ok(transparency::checkpoints_after(
        conn,
        after,
        i64::try_from(limit).unwrap_or(1),
    )?)
}

/// An entry with its receipt against the latest checkpoint.
pub fn receipt(conn: &mut DbConnection, seq: i64) -> Result<(LedgerRow, Receipt), ServiceError> {
    let row = ledger::get(conn, seq)?.ok_or(ServiceError::NotFound("ledger entry"))?;
    let checkpoint = latest_checkpoint(conn)?;
    let index = u64::try_from(seq - 1).map_err(|_| ServiceError::NotFound("ledger entry"))?;
    let size = u64::try_from(checkpoint.tree_size).unwrap_or(0);
    let proof = transparency::inclusion_proof(conn, index, size)?;
    let receipt = Receipt {
        entry: row.body.clone(),
        index,
        proof,
        checkpoint_note: checkpoint.note,
    };
    Ok((row, receipt))
}

/// Reading single entries is for auditors and admins: entries name
/// documents and people of every organisation on this instance.
pub fn entry(
    conn: &mut DbConnection,
    user: &AuthUser,
    seq: i64,
) -> Result<(LedgerRow, Receipt), ServiceError> {
    user.require_any(READS_LEDGER)?;
    receipt(conn, seq)
}

/// Every entry about a document of the caller's organisation, oldest
/// first, each with its receipt.
pub fn document_history(
    conn: &mut DbConnection,
    user: &AuthUser,
    document_id: &str,
) -> Result<Vec<(LedgerRow, Receipt)>, ServiceError> {
    let doc = documents::document_in_org(conn, &user.org_id, document_id)?
        .ok_or(ServiceError::NotFound("document"))?;
    let seqs = ledger::seqs_of_subject(conn, &format!("document:{}", doc.id))?;
    seqs.into_iter().map(|seq| receipt(conn, seq)).collect()
}
