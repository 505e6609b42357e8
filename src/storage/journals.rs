//! Registration journals, their yearly counters and registrations.

use diesel::prelude::*;

use super::models::{JournalRow, RegistrationRow};
use super::schema::{journal_counters, journals, registrations};
use super::{DbConnection, StorageError};

pub fn insert_journal(conn: &mut DbConnection, row: &JournalRow) -> Result<(), StorageError> {
    diesel::insert_into(journals::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn journals_of_org(
    conn: &mut DbConnection,
    org_id: &str,
) -> Result<Vec<JournalRow>, StorageError> {
    Ok(journals::table
        .filter(journals::org_id.eq(org_id))
        .order(journals::code.asc())
        .select(JournalRow::as_select())
        .load(conn)?)
}

pub fn journal_by_code(
    conn: &mut DbConnection,
    org_id: &str,
    code: &str,
) -> Result<Option<JournalRow>, StorageError> {
    Ok(journals::table
        .filter(journals::org_id.eq(org_id))
        .filter(journals::code.eq(code))
        .select(JournalRow::as_select())
        .first(conn)
        .optional()?)
}

/// The next number of `journal` in `year`. Runs under the write lock, so
/// read-increment-write cannot interleave; the unique constraint on
/// registrations is the backstop.
pub fn next_number(
    conn: &mut DbConnection,
    journal_id: &str,
    year: i32,
) -> Result<i64, StorageError> {
    let last: Option<i64> = journal_counters::table
        .find((journal_id, year))
        .select(journal_counters::last_number)
        .first(conn)
        .optional()?;
    let next = last.unwrap_or(0) + 1;
    match last {
        None => {
            diesel::insert_into(journal_counters::table)
                .values((
                    journal_counters::journal_id.eq(journal_id),
                    journal_counters::year.eq(year),
                    journal_counters::last_number.eq(next),
                ))
                .execute(conn)?;
        }
        Some(_) => {
            diesel::update(journal_counters::table.find((journal_id, year)))
                .set(journal_counters::last_number.eq(next))
                .execute(conn)?;
        }
    }
    Ok(next)
}

pub fn insert_registration(
    conn: &mut DbConnection,
    row: &RegistrationRow,
) -> Result<(), StorageError> {
    diesel::insert_into(registrations::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn registration(
    conn: &mut DbConnection,
    document_id: &str,
) -> Result<Option<RegistrationRow>, StorageError> {
    Ok(registrations::table
        .find(document_id)
        .select(RegistrationRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn registrations_of_journal(
    conn: &mut DbConnection,
    journal_id: &str,
    year: i32,
) -> Result<Vec<RegistrationRow>, StorageError> {
    Ok(registrations::table
        .filter(registrations::journal_id.eq(journal_id))
        .filter(registrations::year.eq(year))
        .order(registrations::number.asc())
        .select(RegistrationRow::as_select())
        .load(conn)?)
}
