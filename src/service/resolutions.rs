//! Resolutions: a head's instruction with executors, deadlines and a
//! controller; reports, acceptance, extensions. Every action is a signed
//! statement and a ledger entry, in the same transaction as its effect.

use chrono::{DateTime, Utc};
use docflow_core::statement::Purpose;
use docflow_flow::resolution::{ExecutorSpec, Resolution, ResolutionError, ResolutionSpec};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::keys::TrustStore;
use super::signing::{self as signatures, Expected, Submission};
use super::{new_id, Actor, AuthUser, ServiceError};
use crate::domain::{DocumentState, Role};
use crate::storage::models::{ReportRow, ResolutionRow, UserRow};
use crate::storage::{
    self, documents, ledger, orgs, resolutions as store, DbConnection, StorageError, WriteTx,
};

/// Who may draft a resolution for a head (assistants, the chancellery).
pub const DRAFTS_RESOLUTIONS: &[Role] = &[Role::Head, Role::Registrar, Role::Admin];

/// A resolution's refusal as the API answers it, people named by login
/// and name.
fn resolution_error(conn: &mut DbConnection, e: ResolutionError) -> ServiceError {
    refusal(e.naming_users(|id| super::person(conn, id)))
}

fn refusal(e: ResolutionError) -> ServiceError {
    use ResolutionError as E;
    match e {
        E::InvalidSpec(_)
        | E::ExtensionNotLater
        | E::ExtensionInPast
        | E::ExtensionBeyondResolution
        | E::ExtensionBeyondParent => ServiceError::Unprocessable(e.to_string()),
        E::NotAuthor(_) | E::NotController(_) | E::NotAuthorOrController(_) | E::NotExecutor(_) => {
            ServiceError::Forbidden(e.to_string())
        }
        E::WrongResolutionState { .. }
        | E::NotInEffect(_)
        | E::WrongAssignmentState { .. }
        | E::AssignmentNotOpen(_)
        | E::ExtensionPending
        | E::NoPendingExtension => ServiceError::Conflict(e.to_string()),
        E::Inconsistent(_) => ServiceError::Storage(StorageError::Corrupt(e.to_string())),
    }
}

fn user_in_org(
    conn: &mut DbConnection,
    org_id: &str,
    login: &str,
) -> Result<UserRow, ServiceError> {
    orgs::user_by_login(conn, login)?
        .filter(|u| u.org_id == org_id)
        .ok_or_else(|| {
            ServiceError::Unprocessable(format!("{login:?} is not a user of this organisation"))
        })
}

pub(super) fn parse(row: &ResolutionRow) -> Result<Resolution, ServiceError> {
    serde_json::from_str::<docflow_flow::resolution::ResolutionRecord>(&row.runtime)
        .map_err(|e| StorageError::Corrupt(format!("resolution {}: {e}", row.id)))
        .map_err(ServiceError::from)
        .and_then(|r| Resolution::from_record(r).map_err(refusal))
}

fn runtime(res: &Resolution) -> Result<String, ServiceError> {
    serde_json::to_string(res.record())
        .map_err(|e| ServiceError::Internal(format!("serialising a resolution: {e}")))
}

fn state_name(res: &Resolution) -> String {
    res.state().as_str().to_owned()
}

pub struct ExecutorInput {
    pub login: String,
    pub responsible: bool,
    pub deadline: DateTime<Utc>,
}

pub struct NewResolution {
    pub instruction: String,
    pub deadline: DateTime<Utc>,
    pub controller: String,
    pub executors: Vec<ExecutorInput>,
    /// The head it is drafted for (default: the caller, who must be a head).
    pub author: Option<String>,
    /// A sub-resolution: the parent resolution, which the caller executes.
    pub parent: Option<String>,
}

/// Drafts a resolution on a registered document. It takes effect when its
/// author signs it (`action: sign`).
pub fn draft(
    conn: &mut WriteTx<'_>,
    user: &AuthUser,
    document_id: &str,
    new: NewResolution,
) -> Result<ResolutionRow, ServiceError> {
    if new.instruction.trim().is_empty()
        || new.instruction.chars().count() > 5000
        || new.instruction.contains('\0')
    {
        return Err(ServiceError::Unprocessable(
            "instruction: 1 to 5000 characters of text".into(),
        ));
    }
    let now = storage::now();
    {
        let c = &mut *conn;
        let doc = documents::document_in_org(c, &user.org_id, document_id)?
            .ok_or(ServiceError::NotFound("document"))?;
        if doc.state != DocumentState::Registered.as_str()
            && doc.state != DocumentState::Sent.as_str()
        {
            return Err(ServiceError::Conflict(format!(
                "a resolution needs a registered document; this one is {}",
                doc.state
            )));
        }
        let (parent, parent_deadline) = match &new.parent {
            None => (None, None),
            Some(pid) => {
                let prow = store::get(c, pid)?
                    .filter(|r| r.org_id == user.org_id && r.document_id == doc.id)
                    .ok_or(ServiceError::NotFound("parent resolution"))?;
                let p = parse(&prow)?;
                let limit = p
                    .sub_resolution_limit(&user.user_id)
                    .map_err(|e| resolution_error(c, e))?;
                (Some(prow), Some(limit))
            }
        };
        let author = match &new.author {
            Some(login) => {
                let a = user_in_org(c, &user.org_id, login)?;
                if !crate::domain::Roles::parse_stored(&a.roles)
                    .map(|r| r.has(Role::Head))
                    .unwrap_or(false)
                {
                    return Err(ServiceError::Unprocessable(format!(
                        "{login} is not a head"
                    )));
                }
                a.id
            }
            None => user.user_id.clone(),
        };
        // A sub-resolution is the executor's own; otherwise a head writes it
        // or someone entitled drafts it for a head.
        if parent.is_none() {
            if author == user.user_id {
                user.require_any(&[Role::Head])?;
            } else {
                user.require_any(DRAFTS_RESOLUTIONS)?;
            }
        } else if author != user.user_id {
            return Err(ServiceError::Unprocessable(
                "a sub-resolution is its executor's own".into(),
            ));
        }
        let controller = user_in_org(c, &user.org_id, &new.controller)?;
        let mut executors = Vec::with_capacity(new.executors.len());
        for e in &new.executors {
            let u = user_in_org(c, &user.org_id, &e.login)?;
            executors.push(ExecutorSpec {
                user: u.id,
                responsible: e.responsible,
                deadline: e.deadline,
            });
        }
        let spec = ResolutionSpec {
            instruction: new.instruction.clone(),
            deadline: new.deadline,
            controller: controller.id,
            executors,
        };
        let res = Resolution::new(spec, &author, &user.user_id, parent_deadline, now)
            .map_err(|e| resolution_error(c, e))?;
        let id = new_id();
        let appended = ledger::append(
            c,
            now,
            ledger::NewEntry {
                kind: "resolution.drafted",
                subject: format!("document:{}", doc.id),
                actor: Actor::User(user.clone()).ledger_name(),
                data: ledger::data([
                    ("resolution", json!(id)),
                    ("author", json!(author)),
                    ("parent", json!(parent.as_ref().map(|p| p.id.clone()))),
                    ("spec", json!(res.spec())),
                ]),
            },
        )?;
        let row = ResolutionRow {
            id,
            org_id: user.org_id.clone(),
            document_id: doc.id.clone(),
            parent_id: parent.map(|p| p.id),
            parent_executor: new.parent.as_ref().map(|_| user.user_id.clone()),
            state: state_name(&res),
            runtime: runtime(&res)?,
            created_at: now.naive_utc(),
            updated_at: now.naive_utc(),
            ledger_seq: appended.seq,
        };
        store::insert(c, &row)?;
        Ok(row)
    }
}

/// A signed action on a resolution.
#[derive(Debug, Clone)]
pub enum Action {
    Sign,
    Report {
        text: String,
        attachments: Vec<serde_json::Value>,
    },
    Accept {
        executor: String,
    },
    Return {
        executor: String,
        comment: String,
    },
    RequestExtension {
        deadline: DateTime<Utc>,
        reason: String,
    },
    ApproveExtension {
        executor: String,
    },
    RefuseExtension {
        executor: String,
    },
}

fn sha(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Action::Sign => "sign",
            Action::Report { .. } => "report",
            Action::Accept { .. } => "accept",
            Action::Return { .. } => "return",
            Action::RequestExtension { .. } => "request-extension",
            Action::ApproveExtension { .. } => "approve-extension",
            Action::RefuseExtension { .. } => "refuse-extension",
        }
    }

    fn purpose(&self) -> Purpose {
        match self {
            Action::Sign => Purpose::Resolution,
            Action::Report { .. } | Action::RequestExtension { .. } => Purpose::Report,
            Action::Accept { .. } | Action::ApproveExtension { .. } => Purpose::Accept,
            Action::Return { .. } => Purpose::ReturnForRevision,
            Action::RefuseExtension { .. } => Purpose::Reject,
        }
    }

    /// The statement's extra lines: the resolution, the action, and what
    /// it is about (content hashes, the executor, the new deadline).
    fn extra(&self, resolution_id: &str, spec_sha: &str) -> Vec<(String, String)> {
        let mut extra = vec![
            ("resolution".to_owned(), resolution_id.to_owned()),
            ("action".to_owned(), self.name().to_owned()),
        ];
        match self {
            Action::Sign => extra.push(("content-sha256".into(), spec_sha.to_owned())),
            Action::Report { text, .. } => extra.push(("content-sha256".into(), sha(text))),
            Action::Accept { executor }
            | Action::ApproveExtension { executor }
            | Action::RefuseExtension { executor } => {
                extra.push(("executor".into(), executor.clone()))
            }
            Action::Return { executor, comment } => {
                extra.push(("executor".into(), executor.clone()));
                extra.push(("comment-sha256".into(), sha(comment)));
            }
            Action::RequestExtension { deadline, reason } => {
                extra.push((
                    "deadline".into(),
                    docflow_core::ledger::format_time(deadline),
                ));
                extra.push(("comment-sha256".into(), sha(reason)));
            }
        }
        extra
    }
}

fn spec_sha(res: &Resolution) -> Result<String, ServiceError> {
    let text = serde_json::to_string(res.spec())
        .map_err(|e| ServiceError::Internal(format!("serialising a resolution: {e}")))?;
    Ok(sha(&text))
}

/// Applies `action` by `user` to `res` (the caller decides whether on a copy).
fn apply(
    c: &mut DbConnection,
    user: &AuthUser,
    res: &mut Resolution,
    action: &Action,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    let executor_id = |c: &mut DbConnection, login: &str| -> Result<String, ServiceError> {
        Ok(orgs::user_by_login(c, login)?
            .filter(|u| u.org_id == user.org_id)
            .ok_or(ServiceError::NotFound("executor"))?
            .id)
    };
    let me = user.user_id.as_str();
    let done = match action {
        Action::Sign => res.sign(me, now).map(|()| false),
        Action::Report { text, .. } => {
            if text.trim().is_empty() {
                return Err(ServiceError::Unprocessable(
                    "text: the report must say something".into(),
                ));
            }
            res.report(me, now).map(|()| false)
        }
        Action::Accept { executor } => {
            let id = executor_id(c, executor)?;
            res.accept_report(&id, me, now)
        }
        Action::Return { executor, .. } => {
            let id = executor_id(c, executor)?;
            res.return_report(&id, me, now).map(|()| false)
        }
        Action::RequestExtension { deadline, .. } => {
            res.request_extension(me, *deadline, now).map(|()| false)
        }
        Action::ApproveExtension { executor } => {
            let id = executor_id(c, executor)?;
            res.decide_extension(&id, me, true, now).map(|()| false)
        }
        Action::RefuseExtension { executor } => {
            let id = executor_id(c, executor)?;
            res.decide_extension(&id, me, false, now).map(|()| false)
        }
    };
    done.map_err(|e| resolution_error(c, e))
}

fn in_org(c: &mut DbConnection, user: &AuthUser, id: &str) -> Result<ResolutionRow, ServiceError> {
    store::get(c, id)?
        .filter(|r| r.org_id == user.org_id)
        .ok_or(ServiceError::NotFound("resolution"))
}

/// Issues the statement for an action, after checking on a copy that the
/// action would be accepted now.
pub fn statement(
    conn: &mut DbConnection,
    trust: &TrustStore,
    user: &AuthUser,
    resolution_id: &str,
    action: &Action,
    key_id: &str,
) -> Result<String, ServiceError> {
    let now = storage::now();
    let row = in_org(conn, user, resolution_id)?;
    let mut res = parse(&row)?;
    let spec = spec_sha(&res)?;
    apply(conn, user, &mut res, action, now)?;
    let doc = documents::document_in_org(conn, &user.org_id, &row.document_id)?
        .ok_or(ServiceError::NotFound("document"))?;
    signatures::issue(
        conn,
        trust,
        user,
        &doc.id,
        doc.latest_version,
        action.purpose(),
        key_id,
        action.extra(&row.id, &spec),
    )
}

/// Records a signed action.
pub fn act(
    conn: &mut WriteTx<'_>,
    trust: &TrustStore,
    user: &AuthUser,
    resolution_id: &str,
    action: Action,
    submission: Submission,
) -> Result<ResolutionRow, ServiceError> {
    let now = storage::now();
    {
        let c = &mut *conn;
        let mut row = in_org(c, user, resolution_id)?;
        let mut res = parse(&row)?;
        let spec = spec_sha(&res)?;
        let doc = documents::document_in_org(c, &user.org_id, &row.document_id)?
            .ok_or(ServiceError::NotFound("document"))?;
        let expected = Expected {
            purposes: &[action.purpose()],
            extra: action.extra(&row.id, &spec),
        };
        let verified = signatures::verify_submission(
            c,
            trust,
            user,
            &doc.id,
            doc.latest_version,
            &expected,
            &submission,
            now,
        )?;
        let executed = apply(c, user, &mut res, &action, now)?;
        let mut facts = ledger::data([
            ("resolution", json!(row.id)),
            ("action", json!(action.name())),
            ("resolution_state", json!(state_name(&res))),
            ("executed", json!(executed)),
        ]);
        if let Action::Report { text, attachments } = &action {
            facts.insert("report_sha256".into(), json!(sha(text)));
            facts.insert("attachments".into(), json!(attachments));
        }
        let signature = signatures::record(c, user, &verified, facts, now)?;
        if let Action::Report { text, attachments } = &action {
            store::insert_report(
                c,
                &ReportRow {
                    id: new_id(),
                    resolution_id: row.id.clone(),
                    executor_id: user.user_id.clone(),
                    body: text.clone(),
                    attachments: serde_json::to_string(attachments).unwrap_or_else(|_| "[]".into()),
                    submitted_at: now.naive_utc(),
                    ledger_seq: signature.ledger_seq,
                },
            )?;
        }
        row.state = state_name(&res);
        row.runtime = runtime(&res)?;
        store::update(c, &row.id, &row.state, &row.runtime, now.naive_utc())?;
        Ok(row)
    }
}

pub fn get(
    conn: &mut DbConnection,
    user: &AuthUser,
    id: &str,
) -> Result<(ResolutionRow, Resolution, Vec<ReportRow>), ServiceError> {
    let row = in_org(conn, user, id)?;
    let res = parse(&row)?;
    let reports = store::reports_of(conn, &row.id)?;
    Ok((row, res, reports))
}

pub fn of_document(
    conn: &mut DbConnection,
    user: &AuthUser,
    document_id: &str,
) -> Result<Vec<ResolutionRow>, ServiceError> {
    let doc = documents::document_in_org(conn, &user.org_id, document_id)?
        .ok_or(ServiceError::NotFound("document"))?;
    Ok(store::of_document(conn, &doc.id)?)
}

/// Every resolution of the organisation, parsed (for inboxes and reports).
pub fn all_of_org(
    conn: &mut DbConnection,
    org_id: &str,
) -> Result<Vec<(ResolutionRow, Resolution)>, ServiceError> {
    store::of_org(conn, org_id)?
        .into_iter()
        .map(|r| parse(&r).map(|res| (r, res)))
        .collect()
}

/// A resolution after an action, with its reports: run once the group is
/// sealed (the appender's `run_then`), in the same transaction.
pub fn acted_view(
    conn: &mut DbConnection,
    row: ResolutionRow,
) -> Result<super::views::ResolutionView, ServiceError> {
    let reports = store::reports_of(conn, &row.id)?;
    Ok(super::views::resolution_view(row, reports))
}
