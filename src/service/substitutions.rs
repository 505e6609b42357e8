//! Substitutions: who may act for whom, when, for which kinds.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{new_id, Actor, AuthUser, ServiceError};
use crate::domain::{DocumentKinds, Role};
use crate::storage::models::SubstitutionRow;
use crate::storage::{self, ledger, orgs, substitutions as store, DbConnection, WriteTx};

pub struct NewSubstitution {
    /// Whose substitute (default: the caller; an admin may name another user).
    pub user: Option<String>,
    pub substitute: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub kinds: Option<Vec<String>>,
}

pub fn create(
    conn: &mut WriteTx<'_>,
    configured: &DocumentKinds,
    caller: &AuthUser,
    new: NewSubstitution,
) -> Result<SubstitutionRow, ServiceError> {
    if new.ends_at <= new.starts_at {
        return Err(ServiceError::Unprocessable(
            "ends_at must be after starts_at".into(),
        ));
    }
    if let Some(kinds) = &new.kinds {
        if kinds.is_empty() {
            return Err(ServiceError::Unprocessable(
                "kinds: leave it out to cover every kind".into(),
            ));
        }
        for k in kinds {
            configured.check(k)?;
        }
    }
    let now = storage::now();
    {
        let c = &mut *conn;
        let user = match &new.user {
            None => orgs::user_by_id(c, &caller.user_id)?.ok_or(ServiceError::NotFound("user"))?,
            Some(login) => {
                let u = orgs::user_by_login(c, login)?
                    .filter(|u| u.org_id == caller.org_id)
                    .ok_or(ServiceError::NotFound("user"))?;
                if u.id != caller.user_id {
                    caller.require_any(&[Role::Admin])?;
                }
                u
            }
        };
        let substitute = orgs::user_by_login(c, &new.substitute)?
            .filter(|u| u.org_id == caller.org_id)
            .ok_or(ServiceError::NotFound("substitute"))?;
        if substitute.id == user.id {
            return Err(ServiceError::Unprocessable(
                "a user cannot substitute for themselves".into(),
            ));
        }
        let id = new_id();
        let appended = ledger::append(
            c,
            now,
            ledger::NewEntry {
                kind: "substitution.created",
                subject: format!("user:{}", user.id),
                actor: Actor::User(caller.clone()).ledger_name(),
                data: ledger::data([
                    ("substitution", json!(id)),
                    ("substitute", json!(substitute.id)),
                    (
                        "starts_at",
                        json!(docflow_core::ledger::format_time(&new.starts_at)),
                    ),
                    (
                        "ends_at",
                        json!(docflow_core::ledger::format_time(&new.ends_at)),
                    ),
                    ("kinds", json!(new.kinds)),
                ]),
            },
        )?;
        let row = SubstitutionRow {
            id,
            user_id: user.id,
            substitute_id: substitute.id,
            starts_at: new.starts_at.naive_utc(),
            ends_at: new.ends_at.naive_utc(),
            kinds: new.kinds.as_ref().map(|k| k.join(",")),
            created_at: now.naive_utc(),
            created_by: caller.user_id.clone(),
            revoked_at: None,
            ledger_seq: appended.seq,
        };
        store::insert(c, &row)?;
        Ok(row)
    }
}

pub fn list(
    conn: &mut DbConnection,
    caller: &AuthUser,
) -> Result<Vec<SubstitutionRow>, ServiceError> {
    Ok(store::involving(conn, &caller.user_id)?)
}

/// Whether `actor_id` may act for `principal_id` on a `kind` document at `at`.
pub fn may_act_for(
    conn: &mut DbConnection,
    actor_id: &str,
    principal_id: &str,
    kind: &str,
    at: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    Ok(store::between(conn, principal_id, actor_id)?
        .iter()
        .any(|s| s.covers(kind, at.naive_utc())))
}
