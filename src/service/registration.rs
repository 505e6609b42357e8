//! Registration journals and registering documents in them.

use serde_json::json;

use super::{new_id, Actor, AuthUser, ServiceError};
use crate::domain::{
    check_journal_code, check_text, DocumentEvent, DocumentKinds, INCOMING_KINDS, MANAGES_JOURNALS,
    REGISTERS_DOCUMENTS,
};
use crate::storage::models::{JournalRow, RegistrationRow};
use crate::storage::{self, documents, journals as store, ledger, orgs, DbConnection, WriteTx};

pub struct NewJournal {
    pub code: String,
    pub name: String,
    pub kinds: Vec<String>,
}

pub fn add_journal(
    conn: &mut WriteTx<'_>,
    configured: &DocumentKinds,
    user: &AuthUser,
    new: NewJournal,
) -> Result<JournalRow, ServiceError> {
    user.require_any(MANAGES_JOURNALS)?;
    check_journal_code(&new.code)?;
    check_text("name", &new.name, 300)?;
    if new.kinds.is_empty() {
        return Err(ServiceError::Unprocessable(
            "kinds: a journal serves at least one document kind".into(),
        ));
    }
    for k in &new.kinds {
        configured.check(k)?;
    }
    let now = storage::now();
    let actor = Actor::User(user.clone());
    {
        let c = &mut *conn;
        if store::journal_by_code(c, &user.org_id, &new.code)?.is_some() {
            return Err(ServiceError::Conflict(format!(
                "journal {} already exists",
                new.code
            )));
        }
        let id = new_id();
        let appended = ledger::append(
            c,
            now,
            ledger::NewEntry {
                kind: "journal.created",
                subject: format!("journal:{id}"),
                actor: actor.ledger_name(),
                data: ledger::data([
                    ("org", json!(user.org_id)),
                    ("code", json!(new.code)),
                    ("name", json!(new.name)),
                    ("kinds", json!(new.kinds)),
                ]),
            },
        )?;
        let row = JournalRow {
            id,
            org_id: user.org_id.clone(),
            code: new.code.clone(),
            name: new.name.clone(),
            kinds: new.kinds.join(","),
            created_at: now.naive_utc(),
            ledger_seq: appended.seq,
        };
        store::insert_journal(c, &row)?;
        Ok(row)
    }
}

pub fn list_journals(
    conn: &mut DbConnection,
    user: &AuthUser,
) -> Result<Vec<JournalRow>, ServiceError> {
    Ok(store::journals_of_org(conn, &user.org_id)?)
}

/// What a registrar gives when registering.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    /// Journal code; default: the one journal that serves the document's kind.
    pub journal: Option<String>,
    pub correspondent: Option<String>,
    pub correspondent_number: Option<String>,
    /// `YYYY-MM-DD`
    pub correspondent_date: Option<String>,
}

pub fn register(
    conn: &mut WriteTx<'_>,
    user: &AuthUser,
    document_id: &str,
    reg: Registration,
) -> Result<(RegistrationRow, JournalRow), ServiceError> {
    user.require_any(REGISTERS_DOCUMENTS)?;
    for (field, value) in [
        ("correspondent", &reg.correspondent),
        ("correspondent_number", &reg.correspondent_number),
    ] {
        if let Some(v) = value {
            check_text(field, v, 300)?;
        }
    }
    if let Some(d) = &reg.correspondent_date {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
            ServiceError::Unprocessable("correspondent_date: expected YYYY-MM-DD".into())
        })?;
    }
    let now = storage::now();
    let actor = Actor::User(user.clone());
    {
        let c = &mut *conn;
        let doc = documents::document_in_org(c, &user.org_id, document_id)?
            .ok_or(ServiceError::NotFound("document"))?;
        if store::registration(c, &doc.id)?.is_some() {
            return Err(ServiceError::Conflict(
                "the document is already registered".into(),
            ));
        }
        let incoming = INCOMING_KINDS.contains(&doc.kind.as_str());
        // Incoming documents are registered on arrival; the organisation's
        // own documents once they are signed.
        let event = if incoming {
            DocumentEvent::RegisterIncoming
        } else {
            DocumentEvent::Register
        };
        let next = super::documents::next_state(&doc.state, event)?;
        if incoming
            && (reg.correspondent.is_none()
                || reg.correspondent_number.is_none()
                || reg.correspondent_date.is_none())
        {
            return Err(ServiceError::Unprocessable(
                "an incoming document needs correspondent, correspondent_number and correspondent_date".into(),
            ));
        }
        let journal = match &reg.journal {
            Some(code) => store::journal_by_code(c, &user.org_id, code)?
                .ok_or(ServiceError::NotFound("journal"))?,
            None => {
                let serving: Vec<JournalRow> = store::journals_of_org(c, &user.org_id)?
                    .into_iter()
                    .filter(|j| j.kinds.split(',').any(|k| k == doc.kind))
                    .collect();
                match <[JournalRow; 1]>::try_from(serving) {
                    Ok([only]) => only,
                    Err(v) if v.is_empty() => {
                        return Err(ServiceError::Unprocessable(format!(
                            "no journal serves {} documents",
                            doc.kind
                        )))
                    }
                    Err(_) => {
                        return Err(ServiceError::Unprocessable(format!(
                            "several journals serve {} documents: name one",
                            doc.kind
                        )))
                    }
                }
            }
        };
        if !journal.kinds.split(',').any(|k| k == doc.kind) {
            return Err(ServiceError::Unprocessable(format!(
                "journal {} does not serve {} documents",
                journal.code, doc.kind
            )));
        }
        let offset = match orgs::org_by_id(c, &doc.org_id)? {
            Some(org) => super::admin::settings_of(&org).utc_offset,
            None => crate::domain::organisation::tashkent(),
        };
        let year = crate::domain::organisation::local_year(now, offset);
        let number = store::next_number(c, &journal.id, year)?;
        let reg_number = format!("{}/{}", journal.code, number);
        let appended = ledger::append(
            c,
            now,
            ledger::NewEntry {
                kind: "document.registered",
                subject: format!("document:{}", doc.id),
                actor: actor.ledger_name(),
                data: ledger::data([
                    ("journal", json!(journal.code)),
                    ("year", json!(year)),
                    ("number", json!(number)),
                    ("reg_number", json!(reg_number)),
                    ("correspondent", json!(reg.correspondent)),
                    ("correspondent_number", json!(reg.correspondent_number)),
                    ("correspondent_date", json!(reg.correspondent_date)),
                ]),
            },
        )?;
        let row = RegistrationRow {
            document_id: doc.id.clone(),
            journal_id: journal.id.clone(),
            year,
            number,
            reg_number,
            registered_at: now.naive_utc(),
            registered_by: user.user_id.clone(),
            correspondent: reg.correspondent.clone(),
            correspondent_number: reg.correspondent_number.clone(),
            correspondent_date: reg.correspondent_date.clone(),
            ledger_seq: appended.seq,
        };
        store::insert_registration(c, &row)?;
        documents::set_state(c, &doc.id, next.as_str(), now.naive_utc())?;
        Ok((row, journal))
    }
}

pub fn registration(
    conn: &mut DbConnection,
    user: &AuthUser,
    document_id: &str,
) -> Result<(RegistrationRow, JournalRow), ServiceError> {
    let doc = documents::document_in_org(conn, &user.org_id, document_id)?
        .ok_or(ServiceError::NotFound("document"))?;
    let row = store::registration(conn, &doc.id)?.ok_or(ServiceError::NotFound("registration"))?;
    let journal = store::journals_of_org(conn, &user.org_id)?
        .into_iter()
        .find(|j| j.id == row.journal_id)
        .ok_or(ServiceError::NotFound("journal"))?;
    Ok((row, journal))
}
