//! Organisations, users and API tokens.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::{OrgRow, TokenRow, UserRow};
use super::schema::{api_tokens, organisations, users};
use super::{DbConnection, StorageError};

pub fn insert_org(conn: &mut DbConnection, row: &OrgRow) -> Result<(), StorageError> {
    diesel::insert_into(organisations::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn org_by_code(conn: &mut DbConnection, code: &str) -> Result<Option<OrgRow>, StorageError> {
    Ok(organisations::table
        .filter(organisations::code.eq(code))
        .select(OrgRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn org_by_id(conn: &mut DbConnection, id: &str) -> Result<Option<OrgRow>, StorageError> {
    Ok(organisations::table
        .find(id)
        .select(OrgRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn set_settings(
    conn: &mut DbConnection,
    org_id: &str,
    stamp_language: &str,
    utc_offset: &str,
) -> Result<(), StorageError> {
    diesel::update(organisations::table.find(org_id))
        .set((
            organisations::stamp_language.eq(stamp_language),
            organisations::utc_offset.eq(utc_offset),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn list_orgs(conn: &mut DbConnection) -> Result<Vec<OrgRow>, StorageError> {
    Ok(organisations::table
        .order(organisations::code.asc())
        .select(OrgRow::as_select())
        .load(conn)?)
}

pub fn insert_user(conn: &mut DbConnection, row: &UserRow) -> Result<(), StorageError> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn user_by_login(
    conn: &mut DbConnection,
    login: &str,
) -> Result<Option<UserRow>, StorageError> {
    Ok(users::table
        .filter(users::login.eq(login))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn user_by_id(conn: &mut DbConnection, id: &str) -> Result<Option<UserRow>, StorageError> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list_users(conn: &mut DbConnection, org_id: &str) -> Result<Vec<UserRow>, StorageError> {
    Ok(users::table
        .filter(users::org_id.eq(org_id))
        .order(users::login.asc())
        .select(UserRow::as_select())
        .load(conn)?)
}

pub fn insert_token(conn: &mut DbConnection, row: &TokenRow) -> Result<(), StorageError> {
    diesel::insert_into(api_tokens::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The token with this hash and its user, if any.
pub fn token_with_user(
    conn: &mut DbConnection,
    token_hash: &[u8],
) -> Result<Option<(TokenRow, UserRow)>, StorageError> {
    Ok(api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(token_hash))
        .select((TokenRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()?)
}

pub fn token_by_id(conn: &mut DbConnection, id: &str) -> Result<Option<TokenRow>, StorageError> {
    Ok(api_tokens::table
        .find(id)
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn tokens_of_user(
    conn: &mut DbConnection,
    user_id: &str,
) -> Result<Vec<TokenRow>, StorageError> {
    Ok(api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::created_at.asc())
        .select(TokenRow::as_select())
        .load(conn)?)
}

pub fn revoke_token(
    conn: &mut DbConnection,
    id: &str,
    at: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::revoked_at.eq(Some(at)))
        .execute(conn)?;
    Ok(())
}
