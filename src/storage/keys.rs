//! Signing keys, issued challenges and recorded signatures.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::{ChallengeRow, KeyRow, LoginDecoyRow, SignatureRow};
use super::schema::{challenges, login_decoys, signatures, signing_keys};
use super::{DbConnection, StorageError};

pub fn insert_key(conn: &mut DbConnection, row: &KeyRow) -> Result<(), StorageError> {
    diesel::insert_into(signing_keys::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn key(conn: &mut DbConnection, id: &str) -> Result<Option<KeyRow>, StorageError> {
    Ok(signing_keys::table
        .find(id)
        .select(KeyRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn keys_of_user(conn: &mut DbConnection, user_id: &str) -> Result<Vec<KeyRow>, StorageError> {
    Ok(signing_keys::table
        .filter(signing_keys::user_id.eq(user_id))
        .order(signing_keys::created_at.asc())
        .select(KeyRow::as_select())
        .load(conn)?)
}

pub fn revoke_key(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
    reason: &str,
) -> Result<(), StorageError> {
    diesel::update(signing_keys::table.find(id))
        .set((
            signing_keys::revoked_at.eq(Some(at)),
            signing_keys::revocation_reason.eq(Some(reason)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn insert_challenge(conn: &mut DbConnection, row: &ChallengeRow) -> Result<(), StorageError> {
    diesel::insert_into(challenges::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn challenge(
    conn: &mut DbConnection,
    nonce: &str,
) -> Result<Option<ChallengeRow>, StorageError> {
    Ok(challenges::table
        .find(nonce)
        .select(ChallengeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Marks a challenge used; false if it already was (a replay).
pub fn use_challenge(
    conn: &mut DbConnection,
    nonce: &str,
    at: NaiveDateTime,
) -> Result<bool, StorageError> {
    let n = diesel::update(
        challenges::table
            .filter(challenges::nonce.eq(nonce))
            .filter(challenges::used_at.is_null()),
    )
    .set(challenges::used_at.eq(Some(at)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Forgets challenges that expired before `before` and were never used.
pub fn prune_challenges(
    conn: &mut DbConnection,
    before: NaiveDateTime,
) -> Result<usize, StorageError> {
    Ok(diesel::delete(
        challenges::table
            .filter(challenges::expires_at.lt(before))
            .filter(challenges::used_at.is_null()),
    )
    .execute(conn)?)
}

pub fn insert_decoy(conn: &mut DbConnection, row: &LoginDecoyRow) -> Result<(), StorageError> {
    diesel::insert_into(login_decoys::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn decoy(conn: &mut DbConnection, nonce: &str) -> Result<Option<LoginDecoyRow>, StorageError> {
    Ok(login_decoys::table
        .find(nonce)
        .select(LoginDecoyRow::as_select())
        .first(conn)
        .optional()?)
}

/// Forgets decoy challenges that expired before `before`.
pub fn prune_decoys(conn: &mut DbConnection, before: NaiveDateTime) -> Result<usize, StorageError> {
    Ok(
        diesel::delete(login_decoys::table.filter(login_decoys::expires_at.lt(before)))
            .execute(conn)?,
    )
}

pub fn insert_signature(conn: &mut DbConnection, row: &SignatureRow) -> Result<(), StorageError> {
    diesel::insert_into(signatures::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn signatures_of_version(
    conn: &mut DbConnection,
    document_id: &str,
    version: i32,
) -> Result<Vec<SignatureRow>, StorageError> {
    Ok(signatures::table
        .filter(signatures::document_id.eq(document_id))
        .filter(signatures::version.eq(version))
        .order(signatures::ledger_seq.asc())
        .select(SignatureRow::as_select())
        .load(conn)?)
}
