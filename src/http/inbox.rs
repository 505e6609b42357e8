//! The inbox and the execution report.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::error::{blocking, ApiError, ErrorBody};
use super::parse_time;
use super::AppState;
use crate::service::inbox::{self as svc, ExecutionRow, InboxItem};

/// What waits for the caller: route steps, resolutions to sign,
/// assignments, reports to accept, extension requests; with deadlines and
/// whether each is overdue now.
#[utoipa::path(get, path = "/api/v1/inbox", operation_id = "inbox_get", tag = "flow",
    responses((status = 200, description = "What waits for the caller", body = Vec<InboxItem>), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn inbox(
    Caller(user): Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let items = blocking(state.pool.clone(), move |c| {
        svc::inbox(c, &user, crate::service::now())
    })
    .await?;
    Ok(HttpResponse::Ok().json(items))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// Deadlines from (RFC 3339, inclusive).
    from: String,
    /// Deadlines to (RFC 3339, exclusive).
    to: String,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// Overdue and late-executed assignments per department and executor.
#[utoipa::path(get, path = "/api/v1/reports/execution", operation_id = "reports_execution", tag = "flow", params(ReportQuery),
    responses((status = 200, description = "One row per department and executor (JSON, or CSV with format=csv)", body = Vec<ExecutionRow>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn execution(
    Caller(user): Caller,
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let from = parse_time("from", Some(&q.from))?.unwrap_or_default();
    let to = parse_time("to", Some(&q.to))?.unwrap_or_default();
    if to <= from {
        return Err(ApiError::BadRequest("to must be after from".into()));
    }
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "format {other:?}: json or csv"
            )))
        }
    };
    let rows = blocking(state.pool.clone(), move |c| {
        svc::execution_report(c, &user, from, to, crate::service::now())
    })
    .await?;
    if csv {
        Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                "attachment; filename=\"execution.csv\"",
            ))
            .body(svc::to_csv(&rows)))
    } else {
        Ok(HttpResponse::Ok().json(rows))
    }
}
