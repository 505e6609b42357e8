//! The caller's organisation and its settings.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{blocking, ApiError, ErrorBody};
use super::{time, AppState};
use crate::domain::organisation::parse_utc_offset;
use crate::domain::Role;
use crate::service::{admin, Actor, ServiceError};
use crate::storage::models::OrgRow;
use crate::storage::orgs;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationView {
    pub id: String,
    pub code: String,
    pub name: String,
    /// Language of stamps and approval sheets: `uz-Cyrl`, `uz-Latn`, `ru` or `en`.
    pub stamp_language: String,
    /// The local time stamps show beside UTC, as an offset: `+05:00`.
    pub utc_offset: String,
    pub created_at: String,
}

impl From<OrgRow> for OrganisationView {
    fn from(o: OrgRow) -> Self {
        OrganisationView {
            id: o.id,
            code: o.code,
            name: o.name,
            stamp_language: o.stamp_language,
            utc_offset: o.utc_offset,
            created_at: time(o.created_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationSettings {
    /// `uz-Cyrl`, `uz-Latn`, `ru` or `en`.
    pub stamp_language: Option<String>,
    /// The organisation's local time as a UTC offset, `+05:00`.
    pub utc_offset: Option<String>,
}

/// The caller's organisation.
#[utoipa::path(get, path = "/api/v1/organisation", tag = "users",
    responses((status = 200, body = OrganisationView), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    Caller(user): Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let org = blocking(state.pool.clone(), move |conn| {
        orgs::org_by_id(conn, &user.org_id)?.ok_or(ServiceError::NotFound("organisation"))
    })
    .await?;
    Ok(HttpResponse::Ok().json(OrganisationView::from(org)))
}

/// Changes the organisation's settings (admins): either or both fields. PDFs
/// stamped afterwards use them; a change is a ledger entry.
#[utoipa::path(patch, path = "/api/v1/organisation", tag = "users", request_body = OrganisationSettings,
    responses((status = 200, body = OrganisationView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    Caller(user): Caller,
    state: web::Data<AppState>,
    body: web::Json<OrganisationSettings>,
) -> Result<HttpResponse, ApiError> {
    user.require_any(&[Role::Admin])?;
    let change = admin::SettingsChange {
        stamp_language: body
            .stamp_language
            .as_deref()
            .map(crate::domain::language::parse_stamp_language)
            .transpose()
            .map_err(ServiceError::from)?,
        utc_offset: body
            .utc_offset
            .as_deref()
            .map(parse_utc_offset)
            .transpose()
            .map_err(ServiceError::from)?,
    };
    let org = state
        .appender
        .run(move |c| {
            let org_id = user.org_id.clone();
            admin::update_settings(c, &Actor::User(user), &org_id, change)
        })
        .await?;
    Ok(HttpResponse::Ok().json(OrganisationView::from(org)))
}
