//! Resolutions and their signed actions.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::{blocking, ApiError, ErrorBody};
use super::parse_time;
use super::AppState;
use crate::service::resolutions::{self as svc, Action, ExecutorInput, NewResolution};
use crate::service::signing::Submission;
use crate::service::views::{resolution_view, ResolutionView};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecutorBody {
    pub login: String,
    #[serde(default)]
    pub responsible: bool,
    /// RFC 3339; no later than the resolution's deadline.
    pub deadline: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolutionBody {
    pub instruction: String,
    /// RFC 3339.
    pub deadline: String,
    /// Login of who accepts reports.
    pub controller: String,
    pub executors: Vec<ExecutorBody>,
    /// The head it is drafted for (default: the caller).
    pub author: Option<String>,
    /// Parent resolution id, for a sub-resolution by one of its executors.
    pub parent: Option<String>,
}

fn required_time(field: &str, value: &str) -> Result<DateTime<Utc>, ApiError> {
    parse_time(field, Some(value))?
        .ok_or_else(|| ApiError::BadRequest(format!("{field} is required")))
}

#[utoipa::path(post, path = "/api/v1/documents/{id}/resolutions", operation_id = "resolutions_draft", tag = "flow", params(("id" = String, Path)),
    request_body = ResolutionBody,
    responses((status = 201, description = "The drafted resolution", body = ResolutionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn draft(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<ResolutionBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let b = body.into_inner();
    let deadline = required_time("deadline", &b.deadline)?;
    let executors = b
        .executors
        .into_iter()
        .map(|e| {
            Ok(ExecutorInput {
                deadline: required_time("executors[].deadline", &e.deadline)?,
                login: e.login,
                responsible: e.responsible,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let row = state
        .appender
        .run(move |c| {
            svc::draft(
                c,
                &user,
                &id,
                NewResolution {
                    instruction: b.instruction,
                    deadline,
                    controller: b.controller,
                    executors,
                    author: b.author,
                    parent: b.parent,
                },
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(resolution_view(row, Vec::new())))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}/resolutions", operation_id = "resolutions_of_document", tag = "flow", params(("id" = String, Path)),
    responses((status = 200, description = "The document's resolutions", body = Vec<ResolutionView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn of_document(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let rows = blocking(state.pool.clone(), move |c| svc::of_document(c, &user, &id)).await?;
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .map(|r| resolution_view(r, Vec::new()))
            .collect::<Vec<_>>(),
    ))
}

#[utoipa::path(get, path = "/api/v1/resolutions/{id}", operation_id = "resolutions_get", tag = "flow", params(("id" = String, Path)),
    responses((status = 200, description = "The resolution with its reports", body = ResolutionView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (row, _, reports) = blocking(state.pool.clone(), move |c| svc::get(c, &user, &id)).await?;
    Ok(HttpResponse::Ok().json(resolution_view(row, reports)))
}

/// An action on a resolution; the same body, without `statement` and
/// `signature`, asks for the statement to sign.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// sign, report, accept, return, request-extension, approve-extension, refuse-extension
    pub action: String,
    pub key_id: String,
    /// The executor (login) whose report or extension is decided.
    pub executor: Option<String>,
    /// The report's text.
    pub text: Option<String>,
    /// Document versions attached to a report: `[{"document": id, "version": n}]`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub attachments: Option<Vec<serde_json::Value>>,
    /// Why a report is returned, or why more time is needed.
    pub comment: Option<String>,
    /// The requested new deadline (RFC 3339).
    pub deadline: Option<String>,
    pub statement: Option<String>,
    pub signature: Option<String>,
}

fn action_of(b: &ActionBody) -> Result<Action, ApiError> {
    let need = |v: &Option<String>, f: &str| {
        v.clone()
            .ok_or_else(|| ApiError::Unprocessable(format!("{} needs {f}", b.action)))
    };
    Ok(match b.action.as_str() {
        "sign" => Action::Sign,
        "report" => Action::Report {
            text: need(&b.text, "text")?,
            attachments: b.attachments.clone().unwrap_or_default(),
        },
        "accept" => Action::Accept {
            executor: need(&b.executor, "executor")?,
        },
        "return" => Action::Return {
            executor: need(&b.executor, "executor")?,
            comment: need(&b.comment, "comment")?,
        },
        "request-extension" => Action::RequestExtension {
            deadline: required_time("deadline", &need(&b.deadline, "deadline")?)?,
            reason: need(&b.comment, "comment")?,
        },
        "approve-extension" => Action::ApproveExtension {
            executor: need(&b.executor, "executor")?,
        },
        "refuse-extension" => Action::RefuseExtension {
            executor: need(&b.executor, "executor")?,
        },
        other => return Err(ApiError::Unprocessable(format!("unknown action {other:?}"))),
    })
}

#[utoipa::path(post, path = "/api/v1/resolutions/{id}/statement", operation_id = "resolutions_statement", tag = "flow", params(("id" = String, Path)),
    request_body = ActionBody,
    responses((status = 200, description = "the statement", content_type = "text/plain"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn statement(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<ActionBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let b = body.into_inner();
    let action = action_of(&b)?;
    let trust = state.trust.clone();
    let text = blocking(state.pool.clone(), move |c| {
        svc::statement(c, &trust, &user, &id, &action, &b.key_id)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(text))
}

#[utoipa::path(post, path = "/api/v1/resolutions/{id}/actions", operation_id = "resolutions_act", tag = "flow", params(("id" = String, Path)),
    request_body = ActionBody,
    responses((status = 201, description = "The resolution after the action", body = ResolutionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn act(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<ActionBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let b = body.into_inner();
    let action = action_of(&b)?;
    let (Some(statement), Some(signature)) = (b.statement, b.signature) else {
        return Err(ApiError::Unprocessable(
            "an action needs the signed statement and signature".into(),
        ));
    };
    let submission = Submission {
        key_id: b.key_id,
        statement,
        signature,
    };
    let trust = state.trust.clone();
    let view = state
        .appender
        .run_then(
            move |c| svc::act(c, &trust, &user, &id, action, submission),
            svc::acted_view,
        )
        .await?;
    Ok(HttpResponse::Created().json(view))
}
