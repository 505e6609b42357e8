//! The one function every writer appends ledger entries through.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use docflow_core::ledger::{chain_hash, Entry, GENESIS_HASH};
use serde_json::{Map, Value};

use super::models::LedgerRow;
use super::schema::ledger;
use super::{DbConnection, StorageError, WriteTx};

/// A change to record, before it gets its number and hash.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub kind: &'static str,
    pub subject: String,
    pub actor: String,
    pub data: Map<String, Value>,
}

/// Where an appended entry landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub seq: i64,
    pub hash: [u8; 32],
}

/// Appends one entry. It takes the [`WriteTx`] a unit of work runs in: the
/// write lock makes "read the head, insert the next" atomic across threads
/// and nodes, and the unique constraints on `seq` and `prev_hash` are the
/// backstop.
pub fn append(
    tx: &mut WriteTx<'_>,
    time: DateTime<Utc>,
    entry: NewEntry,
) -> Result<Appended, StorageError> {
    let conn: &mut DbConnection = tx;
    let (head_seq, head_hash) = head(conn)?;
    let subject_prev: Option<i64> = ledger::table
        .filter(ledger::subject.eq(&entry.subject))
        .select(diesel::dsl::max(ledger::seq))
        .first(conn)?;
    let seq = head_seq + 1;
    let encoded = Entry {
        seq: to_u64(seq)?,
        time,
        kind: entry.kind.to_owned(),
        subject: entry.subject,
        subject_prev: to_u64(subject_prev.unwrap_or(0))?,
        actor: entry.actor,
        data: entry.data,
    };
    encoded
        .validate()
        .map_err(|e| StorageError::Corrupt(format!("refusing to append an invalid entry: {e}")))?;
    let body = encoded.encode();
    let hash = chain_hash(&head_hash, &body);
    let row = LedgerRow {
        seq,
        prev_hash: head_hash.to_vec(),
        hash: hash.to_vec(),
        recorded_at: time.naive_utc(),
        kind: encoded.kind,
        subject: encoded.subject,
        subject_prev: subject_prev.unwrap_or(0),
        body,
    };
    diesel::insert_into(ledger::table)
        .values(&row)
        .execute(conn)?;
    Ok(Appended { seq, hash })
}

/// The last entry's number and hash; `(0, GENESIS_HASH)` for an empty log.
pub fn head(conn: &mut DbConnection) -> Result<(i64, [u8; 32]), StorageError> {
    let last: Option<(i64, Vec<u8>)> = ledger::table
        .select((ledger::seq, ledger::hash))
        .order(ledger::seq.desc())
        .first(conn)
        .optional()?;
    match last {
        None => Ok((0, GENESIS_HASH)),
        Some((seq, hash)) => Ok((seq, to_hash(&hash, seq)?)),
    }
}

/// Up to `limit` entries with `seq > after`, in order.
pub fn page(
    conn: &mut DbConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<LedgerRow>, StorageError> {
    Ok(ledger::table
        .filter(ledger::seq.gt(after))
        .order(ledger::seq.asc())
        .limit(limit)
        .select(LedgerRow::as_select())
        .load(conn)?)
}

/// The numbers of every entry about `subject`, oldest first.
pub fn seqs_of_subject(conn: &mut DbConnection, subject: &str) -> Result<Vec<i64>, StorageError> {
    Ok(ledger::table
        .filter(ledger::subject.eq(subject))
        .order(ledger::seq.asc())
        .select(ledger::seq)
        .load(conn)?)
}

pub fn count(conn: &mut DbConnection) -> Result<i64, StorageError> {
    Ok(ledger::table.count().get_result(conn)?)
}

pub fn get(conn: &mut DbConnection, seq: i64) -> Result<Option<LedgerRow>, StorageError> {
    Ok(ledger::table
        .find(seq)
        .select(LedgerRow::as_select())
        .first(conn)
        .optional()?)
}

pub(crate) fn to_hash(bytes: &[u8], seq: i64) -> Result<[u8; 32], StorageError> {
    bytes
        .try_into()
        .map_err(|_| StorageError::Corrupt(format!("ledger entry {seq}: hash is not 32 bytes")))
}

fn to_u64(v: i64) -> Result<u64, StorageError> {
    u64::try_from(v).map_err(|_| StorageError::Corrupt(format!("negative sequence number {v}")))
}

/// Builds a `data` object from pairs, for terse call sites.
pub fn data<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}
