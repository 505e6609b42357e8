//! Approval routes, templates, decisions and the working-day calendar.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::models::{DecisionRow, RouteRow, RouteTemplateRow};
use super::schema::{calendar_days, decisions, route_templates, routes};
use super::{DbConnection, StorageError};

pub fn insert_template(
    conn: &mut DbConnection,
    row: &RouteTemplateRow,
) -> Result<(), StorageError> {
    diesel::insert_into(route_templates::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn templates_of_org(
    conn: &mut DbConnection,
    org_id: &str,
) -> Result<Vec<RouteTemplateRow>, StorageError> {
    Ok(route_templates::table
        .filter(route_templates::org_id.eq(org_id))
        .order(route_templates::name.asc())
        .select(RouteTemplateRow::as_select())
        .load(conn)?)
}

pub fn template_by_name(
    conn: &mut DbConnection,
    org_id: &str,
    name: &str,
) -> Result<Option<RouteTemplateRow>, StorageError> {
    Ok(route_templates::table
        .filter(route_templates::org_id.eq(org_id))
        .filter(route_templates::name.eq(name))
        .select(RouteTemplateRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert_route(conn: &mut DbConnection, row: &RouteRow) -> Result<(), StorageError> {
    diesel::insert_into(routes::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn route(conn: &mut DbConnection, id: &str) -> Result<Option<RouteRow>, StorageError> {
    Ok(routes::table
        .find(id)
        .select(RouteRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn routes_of_document(
    conn: &mut DbConnection,
    document_id: &str,
) -> Result<Vec<RouteRow>, StorageError> {
    Ok(routes::table
        .filter(routes::document_id.eq(document_id))
        .order(routes::created_at.asc())
        .select(RouteRow::as_select())
        .load(conn)?)
}

pub fn active_routes_of_org(
    conn: &mut DbConnection,
    org_id: &str,
) -> Result<Vec<RouteRow>, StorageError> {
    Ok(routes::table
        .filter(routes::org_id.eq(org_id))
        .filter(routes::state.eq("active"))
        .select(RouteRow::as_select())
        .load(conn)?)
}

pub fn routes_of_org(conn: &mut DbConnection, org_id: &str) -> Result<Vec<RouteRow>, StorageError> {
    Ok(routes::table
        .filter(routes::org_id.eq(org_id))
        .select(RouteRow::as_select())
        .load(conn)?)
}

pub fn update_route(
    conn: &mut DbConnection,
    id: &str,
    state: &str,
    runtime: &str,
    at: NaiveDateTime,
) -> Result<(), StorageError> {
    diesel::update(routes::table.find(id))
        .set((
            routes::state.eq(state),
            routes::runtime.eq(runtime),
            routes::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn insert_decision(conn: &mut DbConnection, row: &DecisionRow) -> Result<(), StorageError> {
    diesel::insert_into(decisions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn decisions_of_route(
    conn: &mut DbConnection,
    route_id: &str,
) -> Result<Vec<DecisionRow>, StorageError> {
    Ok(decisions::table
        .filter(decisions::route_id.eq(route_id))
        .order(decisions::ledger_seq.asc())
        .select(DecisionRow::as_select())
        .load(conn)?)
}

/// The organisation's calendar exceptions: (YYYY-MM-DD, is a working day).
pub fn calendar_days(
    conn: &mut DbConnection,
    org_id: &str,
) -> Result<Vec<(String, bool)>, StorageError> {
    Ok(calendar_days::table
        .filter(calendar_days::org_id.eq(org_id))
        .select((calendar_days::day, calendar_days::working))
        .load(conn)?)
}

pub fn set_calendar_day(
    conn: &mut DbConnection,
    org_id: &str,
    day: &str,
    working: bool,
) -> Result<(), StorageError> {
    diesel::delete(calendar_days::table.find((org_id, day))).execute(conn)?;
    diesel::insert_into(calendar_days::table)
        .values((
            calendar_days::org_id.eq(org_id),
            calendar_days::day.eq(day),
            calendar_days::working.eq(working),
        ))
        .execute(conn)?;
    Ok(())
}
