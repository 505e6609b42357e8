//! Substitutions.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{blocking, ApiError, ErrorBody};
use super::parse_time;
use super::AppState;
use crate::service::substitutions::{self as svc, NewSubstitution};
use crate::service::views::SubstitutionView;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubstitutionInput {
    /// The substitute's login (same organisation).
    pub substitute: String,
    /// RFC 3339.
    pub starts_at: String,
    /// RFC 3339.
    pub ends_at: String,
    /// Only these document kinds (default: all).
    pub kinds: Option<Vec<String>>,
    /// Whose substitute; default the caller (another user: admins only).
    pub user: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/substitutions", operation_id = "substitutions_create", tag = "flow", request_body = SubstitutionInput,
    responses((status = 201, description = "The new substitution", body = SubstitutionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    Caller(user): Caller,
    state: web::Data<AppState>,
    body: web::Json<SubstitutionInput>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let starts_at = parse_time("starts_at", Some(&b.starts_at))?.unwrap_or_default();
    let ends_at = parse_time("ends_at", Some(&b.ends_at))?.unwrap_or_default();
    let kinds = state.kinds.clone();
    let row = state
        .appender
        .run(move |c| {
            svc::create(
                c,
                &kinds,
                &user,
                NewSubstitution {
                    user: b.user,
                    substitute: b.substitute,
                    starts_at,
                    ends_at,
                    kinds: b.kinds,
                },
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(SubstitutionView::from(row)))
}

#[utoipa::path(get, path = "/api/v1/substitutions", operation_id = "substitutions_list", tag = "flow",
    responses((status = 200, description = "The organisation's substitutions", body = Vec<SubstitutionView>), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    Caller(user): Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let rows = blocking(state.pool.clone(), move |c| svc::list(c, &user)).await?;
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .map(SubstitutionView::from)
            .collect::<Vec<_>>(),
    ))
}
