//! Rows as stored. Timestamps are naive UTC (both backends keep microseconds).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ledger)]
pub struct LedgerRow {
    pub seq: i64,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    pub recorded_at: NaiveDateTime,
    pub kind: String,
    pub subject: String,
    pub subject_prev: i64,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = organisations)]
pub struct OrgRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub created_at: NaiveDateTime,
    /// A [`crate::domain::language::StampLanguage`] tag.
    pub stamp_language: String,
    /// Local time as a UTC offset, `+05:00`.
    pub utc_offset: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub org_id: String,
    pub login: String,
    pub full_name: String,
    pub position: String,
    pub roles: String,
    pub created_at: NaiveDateTime,
    pub department: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct TokenRow {
    pub id: String,
    pub user_id: String,
    pub token_hash: Vec<u8>,
    pub label: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = blobs)]
pub struct NewBlob<'a> {
    pub sha256: &'a str,
    pub size: i64,
    pub data: &'a [u8],
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = documents)]
pub struct DocumentRow {
    pub id: String,
    pub org_id: String,
    pub kind: String,
    pub title: String,
    pub title_folded: String,
    pub state: String,
    pub latest_version: i32,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = document_versions)]
pub struct VersionRow {
    pub document_id: String,
    pub version: i32,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub filename: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub ledger_seq: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct KeyRow {
    pub id: String,
    pub user_id: String,
    pub form: String,
    pub spki: Vec<u8>,
    pub certificate: Option<Vec<u8>>,
    pub chain: Option<Vec<u8>>,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub serial: Option<String>,
    pub not_before: Option<NaiveDateTime>,
    pub not_after: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub revoked_at: Option<NaiveDateTime>,
    pub revocation_reason: Option<String>,
    pub ledger_seq: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = challenges)]
pub struct ChallengeRow {
    pub nonce: String,
    pub user_id: String,
    pub key_id: String,
    pub purpose: String,
    pub statement: String,
    pub issued_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

/// A login challenge answered for a login without a usable key.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = login_decoys)]
pub struct LoginDecoyRow {
    pub nonce: String,
    pub login: String,
    pub key_id: String,
    pub statement: String,
    pub issued_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signatures)]
pub struct SignatureRow {
    pub id: String,
    pub document_id: String,
    pub version: i32,
    pub key_id: String,
    pub user_id: String,
    pub purpose: String,
    pub statement: String,
    pub signature: Vec<u8>,
    pub nonce: String,
    pub signed_at: NaiveDateTime,
    pub ledger_seq: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = journals)]
pub struct JournalRow {
    pub id: String,
    pub org_id: String,
    pub code: String,
    pub name: String,
    pub kinds: String,
    pub created_at: NaiveDateTime,
    pub ledger_seq: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = registrations)]
pub struct RegistrationRow {
    pub document_id: String,
    pub journal_id: String,
    pub year: i32,
    pub number: i64,
    pub reg_number: String,
    pub registered_at: NaiveDateTime,
    pub registered_by: String,
    pub correspondent: Option<String>,
    pub correspondent_number: Option<String>,
    pub correspondent_date: Option<String>,
    pub ledger_seq: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = substitutions)]
pub struct SubstitutionRow {
    pub id: String,
    pub user_id: String,
    pub substitute_id: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub kinds: Option<String>,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub revoked_at: Option<NaiveDateTime>,
    pub ledger_seq: i64,
}

impl SubstitutionRow {
    /// Whether this substitution lets its substitute act for its user on a
    /// document of `kind` at `at`.
    pub fn covers(&self, kind: &str, at: NaiveDateTime) -> bool {
        self.revoked_at.is_none_or(|r| r > at)
            && self.starts_at <= at
            && at < self.ends_at
            && self
                .kinds
                .as_deref()
                .is_none_or(|ks| ks.split(',').any(|k| k == kind))
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = route_templates)]
pub struct RouteTemplateRow {
    pub id: String,
    pub org_id: String,
    pub kind: String,
    pub name: String,
    pub spec: String,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub ledger_seq: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = routes)]
pub struct RouteRow {
    pub id: String,
    pub org_id: String,
    pub document_id: String,
    pub version: i32,
    pub state: String,
    pub runtime: String,
    pub started_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub ledger_seq: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = decisions)]
pub struct DecisionRow {
    pub id: String,
    pub route_id: String,
    pub stage: i32,
    pub step: i32,
    pub decision: String,
    pub user_id: String,
    pub on_behalf_of: Option<String>,
    pub signature_id: String,
    pub comment: Option<String>,
    pub comment_sha256: String,
    pub decided_at: NaiveDateTime,
    pub ledger_seq: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = resolutions)]
pub struct ResolutionRow {
    pub id: String,
    pub org_id: String,
    pub document_id: String,
    pub parent_id: Option<String>,
    pub parent_executor: Option<String>,
    pub state: String,
    pub runtime: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub ledger_seq: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reports)]
pub struct ReportRow {
    pub id: String,
    pub resolution_id: String,
    pub executor_id: String,
    pub body: String,
    pub attachments: String,
    pub submitted_at: NaiveDateTime,
    pub ledger_seq: i64,
}
