//! Resolutions and reports.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::{ReportRow, ResolutionRow};
use super::schema::{reports, resolutions};
use super::{DbConnection, StorageError};

pub fn insert(conn: &mut DbConnection, row: &ResolutionRow) -> Result<(), StorageError> {
    diesel::insert_into(resolutions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<Option<ResolutionRow>, StorageError> {
    Ok(resolutions::table
        .find(id)
        .select(ResolutionRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn of_document(
    conn: &mut DbConnection,
    document_id: &str,
) -> Result<Vec<ResolutionRow>, StorageError> {
    Ok(resolutions::table
        .filter(resolutions::document_id.eq(document_id))
        .order(resolutions::created_at.asc())
        .select(ResolutionRow::as_select())
        .load(conn)?)
}

pub fn of_org(conn: &mut DbConnection, org_id: &str) -> Result<Vec<ResolutionRow>, StorageError> {
    Ok(resolutions::table
        .filter(resolutions::org_id.eq(org_id))
        .select(ResolutionRow::as_select())
        .load(conn)?)
}

pub fn update(
    conn: &mut DbConnection,
    id: &str,
    state: &str,
    runtime: &str,
    at: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::update(resolutions::table.find(id))
        .set((
            resolutions::state.eq(state),
            resolutions::runtime.eq(runtime),
            resolutions::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn insert_report(conn: &mut DbConnection, row: &ReportRow) -> Result<(), StorageError> {
    diesel::insert_into(reports::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn reports_of(
    conn: &mut DbConnection,
    resolution_id: &str,
) -> Result<Vec<ReportRow>, StorageError> {
    Ok(reports::table
        .filter(reports::resolution_id.eq(resolution_id))
        .order(reports::submitted_at.asc())
        .select(ReportRow::as_select())
        .load(conn)?)
}
