//! The caller's organisation and its settings.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{blocking, ApiError, ErrorBody};
use super::AppState;
use crate::domain::organisation::parse_utc_offset;
use crate::domain::Role;
use crate::service::views::OrganisationView;
use crate::service::{admin, Actor, ServiceError};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationSettings {
    /// `uz-Cyrl`, `uz-Latn`, `ru` or `en`.
    pub stamp_language: Option<String>,
    /// The organisation's local time as a UTC offset, `+05:00`.
    pub utc_offset: Option<String>,
}

/// The caller's organisation.
#[utoipa::path(get, path = "/api/v1/organisation", operation_id = "organisation_get", tag = "users",
    responses((status = 200, description = "The organisation and its settings", body = OrganisationView), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    Caller(user): Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let org = blocking(state.pool.clone(), move |conn| {
        admin::organisation(conn, &user)
    })
    .await?;
    Ok(HttpResponse::Ok().json(org))
}

/// Changes the organisation's settings (admins): either or both fields. PDFs
/// stamped afterwards use them; a change is a ledger entry.
#[utoipa::path(patch, path = "/api/v1/organisation", operation_id = "organisation_update", tag = "users", request_body = OrganisationSettings,
    responses((status = 200, description = "The organisation with its new settings", body = OrganisationView), (status = 400, body = ErrorBody),
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
