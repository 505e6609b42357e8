//! Approval routes, route templates, decisions and the working calendar.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::error::{blocking, ApiError, ErrorBody};
use super::AppState;
use crate::service::flow::{self as svc, DecisionInput, RouteInput, StageInput};
use crate::service::signing::Submission;
use crate::service::views::{route_view, DecidedView, RouteView, TemplateView};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRoute {
    /// The stages, in order (or give `template`).
    pub stages: Option<Vec<StageInput>>,
    /// The name of a saved route template.
    pub template: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/documents/{id}/versions/{n}/route", operation_id = "routes_start", tag = "flow",
    params(("id" = String, Path), ("n" = i32, Path)), request_body = StartRoute,
    responses((status = 201, description = "The started route", body = RouteView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn start(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, i32)>,
    body: web::Json<StartRoute>,
) -> Result<HttpResponse, ApiError> {
    let (id, n) = path.into_inner();
    let input = match body.into_inner() {
        StartRoute {
            stages: Some(stages),
            template: None,
        } => RouteInput::Stages(stages),
        StartRoute {
            stages: None,
            template: Some(t),
        } => RouteInput::Template(t),
        _ => {
            return Err(ApiError::Unprocessable(
                "give either stages or template".into(),
            ))
        }
    };
    let (row, _) = state
        .appender
        .run(move |c| svc::start(c, &user, &id, n, input))
        .await?;
    Ok(HttpResponse::Created().json(route_view(row, Vec::new())))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}/routes", operation_id = "routes_of_document", tag = "flow", params(("id" = String, Path)),
    responses((status = 200, description = "The document's routes with their decisions", body = Vec<RouteView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn routes_of_document(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let views = blocking(state.pool.clone(), move |c| {
        svc::route_views_of_document(c, &user, &id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(views))
}

#[utoipa::path(get, path = "/api/v1/routes/{id}", operation_id = "routes_get", tag = "flow", params(("id" = String, Path)),
    responses((status = 200, description = "The route with its decisions", body = RouteView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (row, _, decisions) =
        blocking(state.pool.clone(), move |c| svc::get(c, &user, &id)).await?;
    Ok(HttpResponse::Ok().json(route_view(row, decisions)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DecisionStatementQuery {
    /// approve, approve-with-remarks, reject, return-for-revision, sign, acknowledge
    decision: String,
    /// The fingerprint of the key that will sign.
    key_id: String,
    /// SHA-256 (hex) of the comment; of the empty string when there is none.
    comment_sha256: String,
    /// Login of the assignee the caller stands in for.
    on_behalf_of: Option<String>,
}

/// The statement to sign for a decision on a step.
#[utoipa::path(get, path = "/api/v1/routes/{id}/steps/{stage}/{step}/statement", operation_id = "routes_decision_statement", tag = "flow",
    params(("id" = String, Path), ("stage" = usize, Path), ("step" = usize, Path), DecisionStatementQuery),
    responses((status = 200, description = "the statement", content_type = "text/plain"), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn decision_statement(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, usize, usize)>,
    query: web::Query<DecisionStatementQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, stage, step) = path.into_inner();
    let q = query.into_inner();
    let trust = state.trust.clone();
    let text = blocking(state.pool.clone(), move |c| {
        svc::decision_statement(
            c,
            &trust,
            &user,
            &id,
            stage,
            step,
            &q.decision,
            &q.key_id,
            &q.comment_sha256,
            q.on_behalf_of.as_deref(),
        )
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(text))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub decision: String,
    /// Remarks or reasons; its SHA-256 is in the statement.
    pub comment: Option<String>,
    pub on_behalf_of: Option<String>,
    pub key_id: String,
    pub statement: String,
    /// Pure Ed25519 over the statement, base64.
    pub signature: String,
}

#[utoipa::path(post, path = "/api/v1/routes/{id}/steps/{stage}/{step}/decision", operation_id = "routes_decide", tag = "flow",
    params(("id" = String, Path), ("stage" = usize, Path), ("step" = usize, Path)), request_body = DecisionBody,
    responses((status = 201, description = "The decision, the route after it and a receipt", body = DecidedView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn decide(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, usize, usize)>,
    body: web::Json<DecisionBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, stage, step) = path.into_inner();
    let b = body.into_inner();
    let trust = state.trust.clone();
    let decided = state
        .appender
        .run_then(
            move |c| {
                svc::decide(
                    c,
                    &trust,
                    &user,
                    &id,
                    stage,
                    step,
                    DecisionInput {
                        decision: b.decision,
                        comment: b.comment,
                        on_behalf_of: b.on_behalf_of,
                        submission: Submission {
                            key_id: b.key_id,
                            statement: b.statement,
                            signature: b.signature,
                        },
                    },
                )
            },
            svc::decided_view,
        )
        .await?;
    Ok(HttpResponse::Created().json(decided))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub name: String,
    /// The document kind it is for.
    pub kind: String,
    pub stages: Vec<StageInput>,
}

#[utoipa::path(post, path = "/api/v1/route-templates", operation_id = "route_templates_add", tag = "flow", request_body = TemplateInput,
    responses((status = 201, description = "The saved template", body = TemplateView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_template(
    Caller(user): Caller,
    state: web::Data<AppState>,
    body: web::Json<TemplateInput>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let kinds = state.kinds.clone();
    let row = state
        .appender
        .run(move |c| svc::save_template(c, &kinds, &user, &b.name, &b.kind, &b.stages))
        .await?;
    Ok(HttpResponse::Created().json(TemplateView::from(row)))
}

#[utoipa::path(get, path = "/api/v1/route-templates", operation_id = "route_templates_list", tag = "flow",
    responses((status = 200, description = "The organisation's route templates", body = Vec<TemplateView>), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn templates(
    Caller(user): Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let rows = blocking(state.pool.clone(), move |c| svc::templates(c, &user)).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(TemplateView::from).collect::<Vec<_>>()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDay {
    /// Whether the day is a working day (a moved holiday, a working Saturday).
    pub working: bool,
}

/// Marks a date (YYYY-MM-DD) as a working day or a day off for the
/// organisation's deadlines.
#[utoipa::path(put, path = "/api/v1/calendar/{day}", operation_id = "calendar_set_day", tag = "flow", params(("day" = String, Path)), request_body = CalendarDay,
    responses((status = 204, description = "The day is set"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_calendar_day(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<CalendarDay>,
) -> Result<HttpResponse, ApiError> {
    let day = path.into_inner();
    let working = body.into_inner().working;
    state
        .appender
        .run(move |c| svc::set_calendar_day(c, &user, &day, working))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    /// `send`, `file` or `abort`.
    pub event: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionView {
    pub state: String,
}

/// Sends, files or aborts a document; an illegal move answers 409.
#[utoipa::path(post, path = "/api/v1/documents/{id}/transition", operation_id = "documents_transition", tag = "flow", params(("id" = String, Path)),
    request_body = TransitionBody,
    responses((status = 200, description = "The document's new state", body = TransitionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn transition(
    Caller(user): Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<TransitionBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let event = body.into_inner().event;
    let next = state
        .appender
        .run(move |c| svc::transition_document(c, &user, &id, &event))
        .await?;
    Ok(HttpResponse::Ok().json(TransitionView {
        state: next.as_str().to_owned(),
    }))
}
