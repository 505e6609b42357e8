//! The Merkle tree over the ledger and its signed checkpoints.
//!
//! Every complete aligned subtree's hash is stored (`merkle_nodes`), so the
//! frontier, a root or a proof is O(log n) rows fetched in one query, and
//! the log is never scanned. [`seal`] runs at the end of every write
//! transaction: it adds the new entries as leaves and signs a checkpoint of
//! the new size, so a receipt is available as soon as the change commits.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use docflow_core::checkpoint::{sign_checkpoint, Checkpoint, NoteSigner, NoteVerifier};
use docflow_core::merkle::{self, CompactRange, Hash, NodeId, ProofPlan};

use super::schema::{checkpoints, ledger, log_keys, merkle_nodes};
use super::{DbConnection, StorageError};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = checkpoints)]
pub struct CheckpointRow {
    pub tree_size: i64,
    pub root: Vec<u8>,
    pub note: String,
    pub created_at: chrono::NaiveDateTime,
}

fn corrupt(what: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(what.to_string())
}

/// Records the log's public key on first use; afterwards refuses a node
/// whose key differs, so one database never has two signers.
pub fn register_key(conn: &mut DbConnection, verifier: &NoteVerifier) -> Result<(), StorageError> {
    let mine = verifier.to_string();
    super::write_tx_unsealed(conn, |c| {
        let known: Vec<String> = log_keys::table.select(log_keys::verifier).load(c)?;
        match known.as_slice() {
            [] => {
                diesel::insert_into(log_keys::table)
                    .values((
                        log_keys::verifier.eq(&mine),
                        log_keys::created_at.eq(super::now().naive_utc()),
                    ))
                    .execute(c)?;
                Ok(())
            }
            [only] if *only == mine => Ok(()),
            [only, ..] => Err(StorageError::WrongLogKey {
                database: only.clone(),
                ours: mine.clone(),
            }),
        }
    })
}

/// The verifier key recorded for this database, if any.
pub fn registered_key(conn: &mut DbConnection) -> Result<Option<String>, StorageError> {
    Ok(log_keys::table
        .select(log_keys::verifier)
        .first(conn)
        .optional()?)
}

fn to_hash(bytes: &[u8]) -> Result<Hash, StorageError> {
    bytes
        .try_into()
        .map_err(|_| corrupt("a stored tree hash is not 32 bytes"))
}

fn to_u64(v: i64) -> Result<u64, StorageError> {
    u64::try_from(v).map_err(|_| corrupt(format!("negative tree index {v}")))
}

fn to_i64(v: u64) -> Result<i64, StorageError> {
    i64::try_from(v).map_err(|_| corrupt(format!("tree index {v} out of range")))
}

/// Fetches the given nodes in one query.
pub fn nodes(
    conn: &mut DbConnection,
    ids: &[NodeId],
) -> Result<HashMap<NodeId, Hash>, StorageError> {
    let mut out = HashMap::with_capacity(ids.len());
    // Bounded OR lists keep each statement small (a proof needs < 130 nodes).
    for chunk in ids.chunks(64) {
        let mut q = merkle_nodes::table.into_boxed();
        for id in chunk {
            q = q.or_filter(
                merkle_nodes::level
                    .eq(i32::from(id.level))
                    .and(merkle_nodes::idx.eq(to_i64(id.index)?)),
            );
        }
        let rows: Vec<(i32, i64, Vec<u8>)> = q
            .select((merkle_nodes::level, merkle_nodes::idx, merkle_nodes::hash))
            .load(conn)?;
        for (level, idx, hash) in rows {
            let level = u8::try_from(level).map_err(|_| corrupt("tree level out of range"))?;
            out.insert(NodeId::new(level, to_u64(idx)?), to_hash(&hash)?);
        }
    }
    Ok(out)
}

fn run_plan(conn: &mut DbConnection, plan: &ProofPlan) -> Result<Vec<Hash>, StorageError> {
    let found = nodes(conn, &plan.needed)?;
    plan.assemble(|id| found.get(&id).copied())
        .map_err(|e| corrupt(format!("the stored tree is incomplete: {e}")))
}

/// The size covered by the latest checkpoint (0 before the first).
pub fn tree_size(conn: &mut DbConnection) -> Result<u64, StorageError> {
    let size: Option<i64> = checkpoints::table
        .select(diesel::dsl::max(checkpoints::tree_size))
        .first(conn)?;
    to_u64(size.unwrap_or(0))
}

/// Adds every ledger entry past the tree's size as a leaf, stores the new
/// complete subtrees and signs a checkpoint of the new size. Runs inside
/// the write transaction, under its lock.
pub fn seal(
    conn: &mut DbConnection,
    signer: &NoteSigner,
    now: DateTime<Utc>,
) -> Result<Option<CheckpointRow>, StorageError> {
    let size = tree_size(conn)?;
    let (head, _) = super::ledger::head(conn)?;
    let head = to_u64(head)?;
    if head <= size {
        return Ok(None);
    }
    let frontier_ids = CompactRange::nodes_for(size);
    let found = nodes(conn, &frontier_ids)?;
    let peaks = frontier_ids
        .iter()
        .map(|id| {
            found
                .get(id)
                .copied()
                .ok_or_else(|| corrupt(format!("tree node {id:?} is missing")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut range = CompactRange::new(size, peaks).map_err(corrupt)?;
    let mut after = to_i64(size)?;
    loop {
        let bodies: Vec<(i64, Vec<u8>)> = ledger::table
            .filter(ledger::seq.gt(after))
            .order(ledger::seq.asc())
            .limit(1000)
            .select((ledger::seq, ledger::body))
            .load(conn)?;
        let Some((last, _)) = bodies.last() else {
            break;
        };
        let last = *last;
        for (seq, body) in bodies {
            if to_u64(seq)? != range.size() + 1 {
                return Err(corrupt(format!(
                    "ledger entry {} is missing",
                    range.size() + 1
                )));
            }
            for (id, hash) in range.append(merkle::leaf_hash(&body)) {
                diesel::insert_into(merkle_nodes::table)
                    .values((
                        merkle_nodes::level.eq(i32::from(id.level)),
                        merkle_nodes::idx.eq(to_i64(id.index)?),
                        merkle_nodes::hash.eq(hash.to_vec()),
                    ))
                    .execute(conn)?;
            }
        }
        after = last;
    }
    let checkpoint = Checkpoint {
        origin: signer.name().to_owned(),
        size: range.size(),
        root: range.root(),
        extensions: Vec::new(),
    };
    let note = sign_checkpoint(signer, &checkpoint).map_err(corrupt)?;
    let row = CheckpointRow {
        tree_size: to_i64(checkpoint.size)?,
        root: checkpoint.root.to_vec(),
        note,
        created_at: now.naive_utc(),
    };
    diesel::insert_into(checkpoints::table)
        .values(&row)
        .execute(conn)?;
    Ok(Some(row))
}

pub fn latest_checkpoint(conn: &mut DbConnection) -> Result<Option<CheckpointRow>, StorageError> {
    Ok(checkpoints::table
        .order(checkpoints::tree_size.desc())
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn checkpoint_at(
    conn: &mut DbConnection,
    size: u64,
) -> Result<Option<CheckpointRow>, StorageError> {
    Ok(checkpoints::table
        .find(to_i64(size)?)
        .select(CheckpointRow::as_select())
        .first(conn)
        .optional()?)
}

/// Up to `limit` checkpoints with size `> after`, in order (for audits).
pub fn checkpoints_after(
    conn: &mut DbConnection,
    after: u64,
    limit: i64,
) -> Result<Vec<CheckpointRow>, StorageError> {
    Ok(checkpoints::table
        .filter(checkpoints::tree_size.gt(to_i64(after)?))
        .order(checkpoints::tree_size.asc())
        .limit(limit)
        .select(CheckpointRow::as_select())
        .load(conn)?)
}

/// The root of the first `size` leaves, from stored nodes.
pub fn root_at(conn: &mut DbConnection, size: u64) -> Result<Hash, StorageError> {
    if size == 0 {
        return Ok(merkle::empty_root());
    }
    let plan = merkle::root_plan(size);
    let found = nodes(conn, &plan.needed)?;
    plan.assemble_root(|id| found.get(&id).copied())
        .map_err(|e| corrupt(format!("the stored tree is incomplete: {e}")))
}

/// RFC 9162 audit path for leaf `index` (0-based) in the tree of `size`.
/// The caller checks `index < size <= tree_size`.
pub fn inclusion_proof(
    conn: &mut DbConnection,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, StorageError> {
    let plan = merkle::inclusion_plan(index, size).map_err(corrupt)?;
    run_plan(conn, &plan)
}

/// RFC 9162 consistency proof between sizes `from <= to`.
pub fn consistency_proof(
    conn: &mut DbConnection,
    from: u64,
    to: u64,
) -> Result<Vec<Hash>, StorageError> {
    let plan = merkle::consistency_plan(from, to).map_err(corrupt)?;
    run_plan(conn, &plan)
}
