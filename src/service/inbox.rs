//! Control of execution: what waits for whom, and who is late. Overdue is
//! computed from deadlines and completion times, never stored.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use docflow_flow::calendar::{timeliness, Timeliness};
use docflow_flow::resolution::{Awaiting, ResolutionState};
use serde::Serialize;
use utoipa::ToSchema;

use super::{AuthUser, ServiceError};
use crate::storage::{orgs, routes, substitutions, DbConnection};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InboxItem {
    /// `route-step`, `resolution-to-sign`, `assignment`, `report-to-accept`
    /// or `extension-to-decide`.
    pub kind: &'static str,
    pub document_id: String,
    /// The route or resolution.
    pub id: String,
    /// For route steps: `stage.step`.
    pub step: Option<String>,
    /// The action expected (approve, sign, acknowledge, report, accept…).
    pub action: String,
    /// The user the item is for, when the caller stands in for them.
    pub on_behalf_of: Option<String>,
    /// The executor concerned (reports and extensions).
    pub executor: Option<String>,
    pub due: Option<String>,
    pub overdue: bool,
}

fn fmt(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| docflow_core::ledger::format_time(&t))
}

/// Everything waiting for `user`, and for those they stand in for now.
pub fn inbox(
    conn: &mut DbConnection,
    user: &AuthUser,
    now: DateTime<Utc>,
) -> Result<Vec<InboxItem>, ServiceError> {
    // Whom the caller acts for today (any kind; the decision checks kinds).
    let mut principals: BTreeMap<String, Option<String>> = BTreeMap::new();
    principals.insert(user.user_id.clone(), None);
    for s in substitutions::principals_of(conn, &user.user_id)? {
        if s.starts_at <= now.naive_utc() && now.naive_utc() < s.ends_at {
            principals.insert(s.user_id.clone(), Some(s.user_id.clone()));
        }
    }
    let mut items = Vec::new();
    for row in routes::active_routes_of_org(conn, &user.org_id)? {
        let Ok(route) = serde_json::from_str::<docflow_flow::route::Route>(&row.runtime) else {
            continue;
        };
        for step in route.active_steps() {
            if let Some(on_behalf) = principals.get(&step.assignee) {
                items.push(InboxItem {
                    kind: "route-step",
                    document_id: row.document_id.clone(),
                    id: row.id.clone(),
                    step: Some(format!("{}.{}", step.stage, step.step)),
                    action: step.action.as_str().to_owned(),
                    on_behalf_of: on_behalf.clone(),
                    executor: None,
                    due: fmt(step.due),
                    overdue: matches!(timeliness(step.due, None, now), Timeliness::Overdue),
                });
            }
        }
    }
    for (row, res) in super::resolutions::all_of_org(conn, &user.org_id)? {
        let record = res.record();
        if res.state() == ResolutionState::Draft && record.author == user.user_id {
            items.push(InboxItem {
                kind: "resolution-to-sign",
                document_id: row.document_id.clone(),
                id: row.id.clone(),
                step: None,
                action: "sign".into(),
                on_behalf_of: None,
                executor: None,
                due: fmt(Some(res.deadline())),
                overdue: false,
            });
        }
        // What is open comes from the flow model's one rule
        // (`Resolution::awaiting`), which the execution report uses too: a
        // co-executor's work stays open after the resolution is executed.
        for a in res.assignments() {
            let awaiting = res.awaiting(a);
            if awaiting == Some(Awaiting::Executor) && a.user == user.user_id {
                items.push(InboxItem {
                    kind: "assignment",
                    document_id: row.document_id.clone(),
                    id: row.id.clone(),
                    step: None,
                    action: if a.responsible {
                        "report (responsible)".into()
                    } else {
                        "report".into()
                    },
                    on_behalf_of: None,
                    executor: None,
                    due: fmt(Some(a.deadline)),
                    overdue: a.is_overdue(now),
                });
            }
            if awaiting == Some(Awaiting::Controller) && record.spec.controller == user.user_id {
                items.push(InboxItem {
                    kind: "report-to-accept",
                    document_id: row.document_id.clone(),
                    id: row.id.clone(),
                    step: None,
                    action: "accept".into(),
                    on_behalf_of: None,
                    executor: Some(a.user.clone()),
                    due: fmt(Some(a.deadline)),
                    overdue: false,
                });
            }
            let decides = record.spec.controller == user.user_id || record.author == user.user_id;
            if decides && res.awaits_extension_decision(a) {
                items.push(InboxItem {
                    kind: "extension-to-decide",
                    document_id: row.document_id.clone(),
                    id: row.id.clone(),
                    step: None,
                    action: "approve-extension".into(),
                    on_behalf_of: None,
                    executor: Some(a.user.clone()),
                    due: fmt(Some(a.deadline)),
                    overdue: a.is_overdue(now),
                });
            }
        }
    }
    Ok(items)
}

/// One row of the execution report.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ExecutionRow {
    pub department: String,
    pub executor: String,
    pub executor_name: String,
    /// Assignments with a deadline in the range.
    pub total: u32,
    pub executed_in_time: u32,
    pub executed_late: u32,
    /// Open and past the deadline now.
    pub overdue: u32,
    /// Open and not yet due.
    pub in_progress: u32,
}

/// Assignments whose deadline falls in `[from, to)`, per department and
/// executor.
pub fn execution_report(
    conn: &mut DbConnection,
    user: &AuthUser,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<ExecutionRow>, ServiceError> {
    user.require_any(&[
        crate::domain::Role::Admin,
        crate::domain::Role::Head,
        crate::domain::Role::Auditor,
    ])?;
    let users: BTreeMap<String, crate::storage::models::UserRow> =
        orgs::list_users(conn, &user.org_id)?
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect();
    let mut rows: BTreeMap<(String, String), ExecutionRow> = BTreeMap::new();
    for (_, res) in super::resolutions::all_of_org(conn, &user.org_id)? {
        if !res.is_in_effect() {
            continue;
        }
        for a in res.assignments() {
            if a.deadline < from || a.deadline >= to {
                continue;
            }
            let u = users.get(&a.user);
            let department = u
                .and_then(|u| u.department.clone())
                .unwrap_or_else(|| "—".into());
            let login = u.map(|u| u.login.clone()).unwrap_or_else(|| a.user.clone());
            let row = rows
                .entry((department.clone(), login.clone()))
                .or_insert_with(|| ExecutionRow {
                    department,
                    executor: login,
                    executor_name: u.map(|u| u.full_name.clone()).unwrap_or_default(),
                    ..Default::default()
                });
            row.total += 1;
            // Open exactly when the inbox shows it to someone.
            match res.awaiting(a) {
                Some(_) if a.is_overdue(now) => row.overdue += 1,
                Some(_) => row.in_progress += 1,
                None if a.completed_late() => row.executed_late += 1,
                None => row.executed_in_time += 1,
            }
        }
    }
    Ok(rows.into_values().collect())
}

/// The report as CSV (RFC 4180), UTF-8 with a header line.
pub fn to_csv(rows: &[ExecutionRow]) -> String {
    let field = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    let mut out = String::from("department,executor,executor_name,total,executed_in_time,executed_late,overdue,in_progress\r\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\r\n",
            field(&r.department),
            field(&r.executor),
            field(&r.executor_name),
            r.total,
            r.executed_in_time,
            r.executed_late,
            r.overdue,
            r.in_progress
        ));
    }
    out
}
