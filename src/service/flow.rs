//! Document states, routes and their decisions: the docflow-flow rules
//! applied to stored documents.

use chrono::{DateTime, NaiveDate, Utc};
use docflow_core::statement::Purpose;
use docflow_flow::calendar::{Deadline, WorkingCalendar};
use docflow_flow::route::{
    Action, Decision, Route, RouteError, RouteSpec, Rule, StageSpec, StepSpec,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::keys::TrustStore;
use super::signing::{self as signatures, Expected, Submission};
use super::views::{route_view, DecidedView, RouteView};
use super::{new_id, Actor, AuthUser, ServiceError};
use crate::domain::{check_text, DocumentEvent, DocumentKinds, DocumentState, Role};
use crate::storage::models::{DecisionRow, DocumentRow, RouteRow, RouteTemplateRow, SignatureRow};
use crate::storage::{
    self, documents, ledger, orgs, routes as store, DbConnection, StorageError, WriteTx,
};

/// Who may send documents along a route and save route templates.
pub const STARTS_ROUTES: &[Role] = &[Role::Admin, Role::Registrar, Role::Head];

/// A route's refusal as the API answers it, people named by login and name.
fn route_error(conn: &mut DbConnection, e: RouteError) -> ServiceError {
    let e = e.naming_users(|id| super::person(conn, id));
    match e {
        RouteError::InvalidSpec(_) | RouteError::DecisionDoesNotFitAction { .. } => {
            ServiceError::Unprocessable(e.to_string())
        }
        RouteError::NoSuchStep { .. } => ServiceError::NotFound("step"),
        RouteError::NotAssignee { .. } => ServiceError::Forbidden(e.to_string()),
        RouteError::RouteClosed(_)
        | RouteError::AlreadyDecided { .. }
        | RouteError::StepNotActive { .. } => ServiceError::Conflict(e.to_string()),
        RouteError::Calendar(_) => ServiceError::Unprocessable(e.to_string()),
        RouteError::Inconsistent(_) => ServiceError::Storage(StorageError::Corrupt(e.to_string())),
    }
}

/// The organisation's working calendar: Uzbekistan's fixed holidays plus
/// the days the organisation configured.
pub fn calendar(conn: &mut DbConnection, org_id: &str) -> Result<WorkingCalendar, ServiceError> {
    let mut cal = WorkingCalendar::default_uzbekistan();
    for (day, working) in store::calendar_days(conn, org_id)? {
        let Ok(date) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") else {
            continue;
        };
        cal = if working {
            cal.with_extra_working_day(date)
        } else {
            cal.with_holiday(date)
        };
    }
    Ok(cal)
}

pub fn set_calendar_day(
    conn: &mut WriteTx<'_>,
    user: &AuthUser,
    day: &str,
    working: bool,
) -> Result<(), ServiceError> {
    user.require_any(&[Role::Admin])?;
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|_| ServiceError::BadRequest("day: expected YYYY-MM-DD".into()))?;
    let now = storage::now();
    {
        let c = &mut *conn;
        store::set_calendar_day(c, &user.org_id, day, working)?;
        ledger::append(
            c,
            now,
            ledger::NewEntry {
                kind: "calendar.day-set",
                subject: format!("org:{}", user.org_id),
                actor: Actor::User(user.clone()).ledger_name(),
                data: ledger::data([("day", json!(day)), ("working", json!(working))]),
            },
        )?;
        Ok(())
    }
}

/// A route as a client writes it: assignees by login.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageInput {
    /// `all`, `any`, or `{"quorum": n}`.
    #[schema(value_type = Object)]
    pub rule: Rule,
    pub steps: Vec<StepInput>,
}

#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// The assignee's login.
    pub assignee: String,
    /// `approve`, `sign` or `acknowledge`.
    #[schema(value_type = String)]
    pub action: Action,
    /// `{"at": "2026-12-01T18:00:00Z"}` or `{"working-days": 3}`.
    #[schema(value_type = Object)]
    pub deadline: Option<Deadline>,
}

fn spec_from_input(
    conn: &mut DbConnection,
    org_id: &str,
    stages: &[StageInput],
) -> Result<RouteSpec, ServiceError> {
    let mut out = Vec::with_capacity(stages.len());
    for stage in stages {
        let mut steps = Vec::with_capacity(stage.steps.len());
        for step in &stage.steps {
            let user = orgs::user_by_login(conn, &step.assignee)?
                .filter(|u| u.org_id == org_id)
                .ok_or_else(|| {
                    ServiceError::Unprocessable(format!(
                        "assignee {:?} is not a user of this organisation",
                        step.assignee
                    ))
                })?;
            steps.push(StepSpec {
                assignee: user.id,
                action: step.action,
                deadline: step.deadline,
            });
        }
        out.push(StageSpec {
            steps,
            rule: stage.rule,
        });
    }
    let spec = RouteSpec { stages: out };
    spec.validate().map_err(|e| {
        ServiceError::Unprocessable(e.naming_users(|id| super::person(conn, id)).to_string())
    })?;
    Ok(spec)
}

pub fn save_template(
    conn: &mut WriteTx<'_>,
    kinds: &DocumentKinds,
    user: &AuthUser,
    name: &str,
    kind: &str,
    stages: &[StageInput],
) -> Result<RouteTemplateRow, ServiceError> {
    user.require_any(STARTS_ROUTES)?;
    check_text("name", name, 200)?;
    kinds.check(kind)?;
    let now = storage::now();
    {
        let c = &mut *conn;
        let spec = spec_from_input(c, &user.org_id, stages)?;
        if store::template_by_name(c, &user.org_id, name)?.is_some() {
            return Err(ServiceError::Conflict(format!(
                "a route template named {name:?} exists"
            )));
        }
        let id = new_id();
        let spec_json = serde_json::to_string(&spec)
            .map_err(|e| ServiceError::Internal(format!("serialising a route: {e}")))?;
        let appended = ledger::append(
            c,
            now,
            ledger::NewEntry {
                kind: "route-template.created",
                subject: format!("route-template:{id}"),
                actor: Actor::User(user.clone()).ledger_name(),
                data: ledger::data([
                    ("name", json!(name)),
                    ("kind", json!(kind)),
                    ("spec", json!(spec)),
                ]),
            },
        )?;
        let row = RouteTemplateRow {
            id,
            org_id: user.org_id.clone(),
            kind: kind.to_owned(),
            name: name.to_owned(),
            spec: spec_json,
            created_at: now.naive_utc(),
            created_by: user.user_id.clone(),
            ledger_seq: appended.seq,
        };
        store::insert_template(c, &row)?;
        Ok(row)
    }
}

pub fn templates(
    conn: &mut DbConnection,
    user: &AuthUser,
) -> Result<Vec<RouteTemplateRow>, ServiceError> {
    Ok(store::templates_of_org(conn, &user.org_id)?)
}

/// The route to start: explicit stages, or a saved template by name.
pub enum RouteInput {
    Stages(Vec<StageInput>),
    Template(String),
}

fn parse_route(row: &RouteRow) -> Result<Route, ServiceError> {
    serde_json::from_str::<Route>(&row.runtime)
        .map_err(|e| ServiceError::Storage(StorageError::Corrupt(format!("route {}: {e}", row.id))))
}

fn runtime_json(route: &Route) -> Result<String, ServiceError> {
    serde_json::to_string(route)
        .map_err(|e| ServiceError::Internal(format!("serialising a route: {e}")))
}

/// Sends a version along a route: the document goes on approval.
pub fn start(
    conn: &mut WriteTx<'_>,
    user: &AuthUser,
    document_id: &str,
    version: i32,
    input: RouteInput,
) -> Result<(RouteRow, Route), ServiceError> {
    user.require_any(STARTS_ROUTES)?;
    let now = storage::now();
    {
        let c = &mut *conn;
        let doc = documents::document_in_org(c, &user.org_id, document_id)?
            .ok_or(ServiceError::NotFound("document"))?;
        documents::version(c, &doc.id, version)?.ok_or(ServiceError::NotFound("version"))?;
        if version != doc.latest_version {
            return Err(ServiceError::Conflict(format!(
                "version {version} is superseded by version {}",
                doc.latest_version
            )));
        }
        let spec = match &input {
            RouteInput::Stages(stages) => spec_from_input(c, &user.org_id, stages)?,
            RouteInput::Template(name) => {
                let t = store::template_by_name(c, &user.org_id, name)?
                    .ok_or(ServiceError::NotFound("route template"))?;
                if t.kind != doc.kind {
                    return Err(ServiceError::Unprocessable(format!(
                        "template {name:?} is for {} documents",
                        t.kind
                    )));
                }
                serde_json::from_str(&t.spec).map_err(|e| StorageError::Corrupt(e.to_string()))?
            }
        };
        super::documents::apply(c, &doc, DocumentEvent::StartApproval, now)?;
        let cal = calendar(c, &user.org_id)?;
        let route = Route::start(spec, now, &cal).map_err(|e| route_error(c, e))?;
        let id = new_id();
        let appended = ledger::append(
            c,
            now,
            ledger::NewEntry {
                kind: "route.started",
                subject: format!("document:{}", doc.id),
                actor: Actor::User(user.clone()).ledger_name(),
                data: ledger::data([
                    ("route", json!(id)),
                    ("version", json!(version)),
                    ("spec", json!(route.spec())),
                ]),
            },
        )?;
        let row = RouteRow {
            id,
            org_id: user.org_id.clone(),
            document_id: doc.id.clone(),
            version,
            state: "active".into(),
            runtime: runtime_json(&route)?,
            started_by: user.user_id.clone(),
            created_at: now.naive_utc(),
            updated_at: now.naive_utc(),
            ledger_seq: appended.seq,
        };
        store::insert_route(c, &row)?;
        Ok((row, route))
    }
}

fn route_in_org(
    conn: &mut DbConnection,
    user: &AuthUser,
    route_id: &str,
) -> Result<RouteRow, ServiceError> {
    store::route(conn, route_id)?
        .filter(|r| r.org_id == user.org_id)
        .ok_or(ServiceError::NotFound("route"))
}

pub fn get(
    conn: &mut DbConnection,
    user: &AuthUser,
    route_id: &str,
) -> Result<(RouteRow, Route, Vec<DecisionRow>), ServiceError> {
    let row = route_in_org(conn, user, route_id)?;
    let route = parse_route(&row)?;
    let decisions = store::decisions_of_route(conn, &row.id)?;
    Ok((row, route, decisions))
}

/// Every route on the document, with its decisions, as the API shows it.
pub fn route_views_of_document(
    conn: &mut DbConnection,
    user: &AuthUser,
    document_id: &str,
) -> Result<Vec<RouteView>, ServiceError> {
    let mut views = Vec::new();
    for (row, _) in routes_of_document(conn, user, document_id)? {
        let decisions = store::decisions_of_route(conn, &row.id)?;
        views.push(route_view(row, decisions));
    }
    Ok(views)
}

/// A decision just recorded, with the route after it and the receipt of
/// its ledger entry: run once the group is sealed (the appender's
/// `run_then`), so the receipt is in the same answer.
pub fn decided_view(
    conn: &mut DbConnection,
    (decision, route, _): (DecisionRow, RouteRow, SignatureRow),
) -> Result<DecidedView, ServiceError> {
    let (_, receipt) = super::ledger::receipt(conn, decision.ledger_seq)?;
    let decisions = store::decisions_of_route(conn, &route.id)?;
    Ok(DecidedView {
        decision: decision.into(),
        route: route_view(route, decisions),
        receipt: receipt.encode(),
    })
}

pub fn routes_of_document(
    conn: &mut DbConnection,
    user: &AuthUser,
    document_id: &str,
) -> Result<Vec<(RouteRow, Route)>, ServiceError> {
    let doc = documents::document_in_org(conn, &user.org_id, document_id)?
        .ok_or(ServiceError::NotFound("document"))?;
    store::routes_of_document(conn, &doc.id)?
        .into_iter()
        .map(|r| parse_route(&r).map(|route| (r, route)))
        .collect()
}

fn purpose_of(decision: Decision) -> Purpose {
    match decision {
        Decision::Approve => Purpose::Approve,
        Decision::ApproveWithRemarks => Purpose::ApproveWithRemarks,
        Decision::Reject => Purpose::Reject,
        Decision::ReturnForRevision => Purpose::ReturnForRevision,
        Decision::Sign => Purpose::Sign,
        Decision::Acknowledge => Purpose::Accept,
    }
}

pub fn parse_decision(s: &str) -> Result<Decision, ServiceError> {
    Decision::from_name(s)
        .ok_or_else(|| ServiceError::Unprocessable(format!("unknown decision {s:?}")))
}

/// The SHA-256 (hex) of a decision's comment; an absent comment is "".
pub fn comment_sha256(comment: Option<&str>) -> String {
    hex::encode(Sha256::digest(comment.unwrap_or("").as_bytes()))
}

/// The extra statement lines that bind a decision to its route and step.
fn decision_extra(
    route_id: &str,
    stage: usize,
    step: usize,
    decision: Decision,
    comment_sha256: &str,
    on_behalf_of: Option<&str>,
) -> Vec<(String, String)> {
    let decision_name = decision.as_str().to_owned();
    let mut extra = vec![
        ("route".to_owned(), route_id.to_owned()),
        ("step".to_owned(), format!("{stage}.{step}")),
        ("decision".to_owned(), decision_name),
        ("comment-sha256".to_owned(), comment_sha256.to_owned()),
    ];
    if let Some(login) = on_behalf_of {
        extra.push(("on-behalf-of".to_owned(), login.to_owned()));
    }
    extra
}

/// Everything a decision needs checked before it is signed or recorded:
/// the route is this organisation's and on the latest version, and the
/// caller is the assignee or stands in for them. Returns the route, the
/// document, the assignee's user id when acting on their behalf, and a
/// dry run of the decision on a copy of the route.
#[allow(clippy::too_many_arguments)]
fn prepare(
    c: &mut DbConnection,
    user: &AuthUser,
    route_id: &str,
    stage: usize,
    step: usize,
    decision: Decision,
    on_behalf_of: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(RouteRow, Route, DocumentRow, Option<String>), ServiceError> {
    let row = route_in_org(c, user, route_id)?;
    let doc = documents::document_in_org(c, &user.org_id, &row.document_id)?
        .ok_or(ServiceError::NotFound("document"))?;
    let route = parse_route(&row)?;
    let principal = match on_behalf_of {
        None => None,
        Some(login) => {
            let principal = orgs::user_by_login(c, login)?
                .filter(|u| u.org_id == user.org_id)
                .ok_or(ServiceError::NotFound("user"))?;
            if !super::substitutions::may_act_for(c, &user.user_id, &principal.id, &doc.kind, now)?
            {
                return Err(ServiceError::Forbidden(format!(
                    "you do not stand in for {login} now"
                )));
            }
            Some(principal.id)
        }
    };
    if row.version != doc.latest_version {
        return Err(ServiceError::Conflict(format!(
            "the route is on version {}, superseded by version {}",
            row.version, doc.latest_version
        )));
    }
    let cal = calendar(c, &user.org_id)?;
    let mut dry = route.clone();
    dry.decide(
        stage,
        step,
        &user.user_id,
        principal.as_deref(),
        decision,
        now,
        &cal,
    )
    .map_err(|e| route_error(c, e))?;
    Ok((row, route, doc, principal))
}

/// Issues the statement for a decision; refused exactly as the decision
/// itself would be (403 not the assignee, 409 not active or decided…).
#[allow(clippy::too_many_arguments)]
pub fn decision_statement(
    conn: &mut DbConnection,
    trust: &TrustStore,
    user: &AuthUser,
    route_id: &str,
    stage: usize,
    step: usize,
    decision: &str,
    key_id: &str,
    comment_sha: &str,
    on_behalf_of: Option<&str>,
) -> Result<String, ServiceError> {
    let decision = parse_decision(decision)?;
    if comment_sha.len() != 64
        || !comment_sha
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(ServiceError::BadRequest(
            "comment_sha256 must be 64 lower-case hex digits".into(),
        ));
    }
    let now = storage::now();
    let (row, _, _, _) = prepare(
        conn,
        user,
        route_id,
        stage,
        step,
        decision,
        on_behalf_of,
        now,
    )?;
    signatures::issue(
        conn,
        trust,
        user,
        &row.document_id,
        row.version,
        purpose_of(decision),
        key_id,
        decision_extra(&row.id, stage, step, decision, comment_sha, on_behalf_of),
    )
}

pub struct DecisionInput {
    pub decision: String,
    pub comment: Option<String>,
    pub on_behalf_of: Option<String>,
    pub submission: Submission,
}

/// Records a signed decision and moves the route and the document on.
#[allow(clippy::too_many_arguments)]
pub fn decide(
    conn: &mut WriteTx<'_>,
    trust: &TrustStore,
    user: &AuthUser,
    route_id: &str,
    stage: usize,
    step: usize,
    input: DecisionInput,
) -> Result<(DecisionRow, RouteRow, SignatureRow), ServiceError> {
    let decision = parse_decision(&input.decision)?;
    if let Some(comment) = &input.comment {
        if comment.chars().count() > 10_000 {
            return Err(ServiceError::Unprocessable(
                "comment: longer than 10000 characters".into(),
            ));
        }
    }
    if decision == Decision::ApproveWithRemarks
        && input.comment.as_deref().is_none_or(|c| c.trim().is_empty())
    {
        return Err(ServiceError::Unprocessable(
            "approve-with-remarks needs the remarks as comment".into(),
        ));
    }
    let sha = comment_sha256(input.comment.as_deref());
    let now = storage::now();
    {
        let c = &mut *conn;
        let on_behalf = input.on_behalf_of.as_deref();
        let (mut row, mut route, doc, principal) =
            prepare(c, user, route_id, stage, step, decision, on_behalf, now)?;
        let expected = Expected {
            purposes: &[purpose_of(decision)],
            extra: decision_extra(&row.id, stage, step, decision, &sha, on_behalf),
        };
        let verified = signatures::verify_submission(
            c,
            trust,
            user,
            &row.document_id,
            row.version,
            &expected,
            &input.submission,
            now,
        )?;
        let cal = calendar(c, &user.org_id)?;
        let outcome = route
            .decide(
                stage,
                step,
                &user.user_id,
                principal.as_deref(),
                decision,
                now,
                &cal,
            )
            .map_err(|e| route_error(c, e))?;
        let facts = ledger::data([
            ("route", json!(row.id)),
            ("stage", json!(stage)),
            ("step", json!(step)),
            ("decision", json!(decision)),
            ("comment_sha256", json!(sha)),
            ("on_behalf_of", json!(principal)),
            ("route_state", json!(route.state())),
        ]);
        let signature = signatures::record(c, user, &verified, facts, now)?;
        if let Some(event) = outcome.document_event {
            super::documents::apply(c, &doc, event, now)?;
        }
        row.state = route.state().as_str().to_owned();
        row.runtime = runtime_json(&route)?;
        store::update_route(c, &row.id, &row.state, &row.runtime, now.naive_utc())?;
        let decision_row = DecisionRow {
            id: new_id(),
            route_id: row.id.clone(),
            stage: i32::try_from(stage).unwrap_or(i32::MAX),
            step: i32::try_from(step).unwrap_or(i32::MAX),
            decision: decision.as_str().to_owned(),
            user_id: user.user_id.clone(),
            on_behalf_of: principal,
            signature_id: signature.id.clone(),
            comment: input.comment.clone(),
            comment_sha256: sha.clone(),
            decided_at: now.naive_utc(),
            ledger_seq: signature.ledger_seq,
        };
        store::insert_decision(c, &decision_row)?;
        Ok((decision_row, row, signature))
    }
}

/// Moves a document by a plain event (send, file, abort) that no route,
/// signature or registration drives.
pub fn transition_document(
    conn: &mut WriteTx<'_>,
    user: &AuthUser,
    document_id: &str,
    event: &str,
) -> Result<DocumentState, ServiceError> {
    let event = match event {
        "send" => DocumentEvent::Send,
        "file" => DocumentEvent::File,
        "abort" => DocumentEvent::Abort,
        other => {
            return Err(ServiceError::Unprocessable(format!(
                "unknown event {other:?}: send, file or abort (the others come from routes, signatures and registration)"
            )))
        }
    };
    user.require_any(STARTS_ROUTES)?;
    let now = storage::now();
    {
        let c = &mut *conn;
        let doc = documents::document_in_org(c, &user.org_id, document_id)?
            .ok_or(ServiceError::NotFound("document"))?;
        let next = super::documents::apply(c, &doc, event, now)?;
        // An abort withdraws the running route, if any.
        if event == DocumentEvent::Abort {
            for row in store::routes_of_document(c, &doc.id)? {
                if row.state != "active" {
                    continue;
                }
                let mut route = parse_route(&row)?;
                route.cancel(now).map_err(|e| route_error(c, e))?;
                store::update_route(
                    c,
                    &row.id,
                    "cancelled",
                    &runtime_json(&route)?,
                    now.naive_utc(),
                )?;
            }
        }
        ledger::append(
            c,
            now,
            ledger::NewEntry {
                kind: "document.state-changed",
                subject: format!("document:{}", doc.id),
                actor: Actor::User(user.clone()).ledger_name(),
                data: ledger::data([
                    ("event", json!(event.as_str())),
                    ("from", json!(doc.state)),
                    ("to", json!(next.as_str())),
                ]),
            },
        )?;
        Ok(next)
    }
}
