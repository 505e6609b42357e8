//! Substitutions.

use diesel::prelude::*;

use super::models::SubstitutionRow;
use super::schema::substitutions;
use super::{DbConnection, StorageError};

pub fn insert(conn: &mut DbConnection, row: &SubstitutionRow) -> Result<(), StorageError> {
    diesel::insert_into(substitutions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Substitutions given by or to `user_id`.
pub fn involving(
    conn: &mut DbConnection,
    user_id: &str,
) -> Result<Vec<SubstitutionRow>, StorageError> {
    Ok(substitutions::table
        .filter(
            substitutions::user_id
                .eq(user_id)
                .or(substitutions::substitute_id.eq(user_id)),
        )
        .order(substitutions::starts_at.asc())
        .select(SubstitutionRow::as_select())
        .load(conn)?)
}

/// Substitutions in which `substitute_id` stands in for `user_id`.
pub fn between(
    conn: &mut DbConnection,
    user_id: &str,
    substitute_id: &str,
) -> Result<Vec<SubstitutionRow>, StorageError> {
    Ok(substitutions::table
        .filter(substitutions::user_id.eq(user_id))
        .filter(substitutions::substitute_id.eq(substitute_id))
        .select(SubstitutionRow::as_select())
        .load(conn)?)
}

/// Users `substitute_id` currently stands in for (for the inbox).
pub fn principals_of(
    conn: &mut DbConnection,
    substitute_id: &str,
) -> Result<Vec<SubstitutionRow>, StorageError> {
    Ok(substitutions::table
        .filter(substitutions::substitute_id.eq(substitute_id))
        .filter(substitutions::revoked_at.is_null())
        .select(SubstitutionRow::as_select())
        .load(conn)?)
}
