//! Registration journals and registration.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{blocking, ApiError, ErrorBody};
use super::AppState;
use crate::service::registration::{self as svc, NewJournal, Registration};
use crate::service::views::{registration_view, JournalView, RegistrationView};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JournalInput {
    /// Index such as `01-07`.
    pub code: String,
    pub name: String,
    /// Document kinds the journal serves.
    pub kinds: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/journals", operation_id = "journals_add", tag = "registration", request_body = JournalInput,
    responses((status = 201, description = "The new journal", body = JournalView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_journal(
    Caller(user): Caller,
    state: web::Data<AppState>,
    body: web::Json<JournalInput>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let kinds = state.kinds.clone();
    let row = state
        .appender
        .run(move |c| {
            svc::add_journal(
                c,
                &kinds,
                &user,
                NewJournal {
                    code: b.code,
                    name: b.name,
                    kinds: b.kinds,
                },
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(JournalView::from(row)))
}

#[utoipa::path(get, path = "/api/v1/journals", operation_id = "journals_list", tag = "registration",
    responses((status = 200, description = "The organisation's journals", body = Vec<JournalView>), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn journals(
    Caller(user): Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let rows = blocking(state.pool.clone(), move |c| svc::list_journals(c, &user)).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(JournalView::from).collect::<Vec<_>>()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterInput {
    /// Journal code; default: the one journal serving the document's kind.
    pub journal: Option<String>,
    /// For incoming documents: who sent it, their number and date (YYYY-MM-DD).
    pub correspondent: Option<String>,
    pub correspondent_number: Option<String>,
    pub correspondent_date: Option<String>,
}

/// Assigns the next number of the journal, atomically.
#[utoipa::path(post, path = "/api/v1/documents/{id}/register", operation_id = "registration_register", tag = "registration",
    params(("id" = String, Path)), request_body = RegisterInput,
    responses((status = 201, description = "The registration and its number", body = RegistrationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn register(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<RegisterInput>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let b = body.into_inner();
    let (row, journal) = state
        .appender
        .run(move |c| {
            svc::register(
                c,
                &user,
                &id,
                Registration {
                    journal: b.journal,
                    correspondent: b.correspondent,
                    correspondent_number: b.correspondent_number,
                    correspondent_date: b.correspondent_date,
                },
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(registration_view(row, journal)))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}/registration", operation_id = "registration_get", tag = "registration",
    params(("id" = String, Path)),
    responses((status = 200, description = "The document's registration", body = RegistrationView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn registration(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (row, journal) = blocking(state.pool.clone(), move |c| {
        svc::registration(c, &user, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(registration_view(row, journal)))
}
