//! What the API and the web pages show: views built from stored rows, in
//! one place, so handlers never touch storage types and every enum is
//! turned into its API name here.

use serde::Serialize;
use utoipa::ToSchema;

use super::ServiceError;
use crate::storage::models::{
    DecisionRow, DocumentRow, JournalRow, KeyRow, LedgerRow, OrgRow, RegistrationRow, ReportRow,
    ResolutionRow, RouteRow, RouteTemplateRow, SignatureRow, SubstitutionRow, VersionRow,
};

/// A stored UTC time as the API writes it (RFC 3339, microseconds, `Z`).
pub fn time(t: chrono::NaiveDateTime) -> String {
    docflow_core::ledger::format_time(&chrono::DateTime::<chrono::Utc>::from_naive_utc_and_offset(
        t,
        chrono::Utc,
    ))
}
// Documents.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub state: String,
    pub latest_version: i32,
    pub organisation: String,
    pub created_by: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub updated_at: String,
}

impl From<DocumentRow> for DocumentView {
    fn from(d: DocumentRow) -> Self {
        DocumentView {
            id: d.id,
            kind: d.kind,
            title: d.title,
            state: d.state,
            latest_version: d.latest_version,
            organisation: d.org_id,
            created_by: d.created_by,
            created_at: time(d.created_at),
            updated_at: time(d.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub document_id: String,
    pub version: i32,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub filename: String,
    pub created_by: String,
    pub created_at: String,
    /// The ledger entry that recorded this version.
    pub ledger_seq: i64,
}

impl From<VersionRow> for VersionView {
    fn from(v: VersionRow) -> Self {
        VersionView {
            document_id: v.document_id,
            version: v.version,
            sha256: v.sha256,
            size: v.size,
            content_type: v.content_type,
            filename: v.filename,
            created_by: v.created_by,
            created_at: time(v.created_at),
            ledger_seq: v.ledger_seq,
        }
    }
}

/// Answer to an upload: the document and the version just written.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadedView {
    /// The document id.
    pub id: String,
    pub version: i32,
    pub sha256: String,
    pub size: i64,
    pub ledger_seq: i64,
    pub document: DocumentView,
}

pub fn uploaded(doc: DocumentRow, v: VersionRow) -> UploadedView {
    UploadedView {
        id: doc.id.clone(),
        version: v.version,
        sha256: v.sha256,
        size: v.size,
        ledger_seq: v.ledger_seq,
        document: doc.into(),
    }
}

// Flow.

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    pub stage: i32,
    pub step: i32,
    pub decision: String,
    pub user_id: String,
    pub on_behalf_of: Option<String>,
    pub comment: Option<String>,
    pub comment_sha256: String,
    pub signature_id: String,
    pub decided_at: String,
    pub ledger_seq: i64,
}

impl From<DecisionRow> for DecisionView {
    fn from(d: DecisionRow) -> Self {
        DecisionView {
            stage: d.stage,
            step: d.step,
            decision: d.decision,
            user_id: d.user_id,
            on_behalf_of: d.on_behalf_of,
            comment: d.comment,
            comment_sha256: d.comment_sha256,
            signature_id: d.signature_id,
            decided_at: time(d.decided_at),
            ledger_seq: d.ledger_seq,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RouteView {
    pub id: String,
    pub document_id: String,
    pub version: i32,
    /// `active`, `approved`, `rejected`, `returned` or `cancelled`.
    pub state: String,
    /// Stages and steps with their states, assignees (user ids), due times
    /// and who decided.
    #[schema(value_type = Object)]
    pub route: serde_json::Value,
    pub decisions: Vec<DecisionView>,
    pub started_at: String,
    pub ledger_seq: i64,
}

pub fn route_view(row: RouteRow, decisions: Vec<DecisionRow>) -> RouteView {
    RouteView {
        route: serde_json::from_str(&row.runtime).unwrap_or(serde_json::Value::Null),
        id: row.id,
        document_id: row.document_id,
        version: row.version,
        state: row.state,
        decisions: decisions.into_iter().map(DecisionView::from).collect(),
        started_at: time(row.created_at),
        ledger_seq: row.ledger_seq,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    pub id: String,
    pub name: String,
    pub kind: String,
    #[schema(value_type = Object)]
    pub spec: serde_json::Value,
}

impl From<RouteTemplateRow> for TemplateView {
    fn from(t: RouteTemplateRow) -> Self {
        TemplateView {
            spec: serde_json::from_str(&t.spec).unwrap_or(serde_json::Value::Null),
            id: t.id,
            name: t.name,
            kind: t.kind,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecidedView {
    pub decision: DecisionView,
    /// The route after the decision.
    pub route: RouteView,
    /// C2SP tlog-proof receipt of the decision's ledger entry.
    pub receipt: String,
}

// Ledger.

/// A ledger entry as the API shows it, with a receipt anyone can verify
/// offline with the log's public key.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub seq: i64,
    pub kind: String,
    pub subject: String,
    pub subject_prev: i64,
    /// The exact entry bytes (UTF-8 text): what the hashes cover.
    pub body: String,
    /// Chain hash, hex.
    pub hash: String,
    pub prev_hash: String,
    /// RFC 9162 leaf hash of `body`, hex.
    pub leaf_hash: String,
    /// C2SP tlog-proof receipt against the latest checkpoint.
    pub receipt: String,
}

pub fn entry_view(
    row: LedgerRow,
    receipt: &docflow_core::receipt::Receipt,
) -> Result<EntryView, ServiceError> {
    let leaf = docflow_core::merkle::leaf_hash(&row.body);
    Ok(EntryView {
        seq: row.seq,
        kind: row.kind,
        subject: row.subject,
        subject_prev: row.subject_prev,
        body: String::from_utf8(row.body).map_err(|_| {
            ServiceError::Storage(crate::storage::StorageError::Corrupt(format!(
                "ledger entry {} is not UTF-8",
                row.seq
            )))
        })?,
        hash: hex::encode(row.hash),
        prev_hash: hex::encode(row.prev_hash),
        leaf_hash: hex::encode(leaf),
        receipt: receipt.encode(),
    })
}

// Organisation.

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganisationView {
    pub id: String,
    pub code: String,
    pub name: String,
    /// Language of stamps and approval sheets: `uz-Cyrl`, `uz-Latn`, `ru` or `en`.
    pub stamp_language: String,
    /// The local time stamps show beside UTC, as an offset: `+05:00`.
    pub utc_offset: String,
    pub created_at: String,
}

impl From<OrgRow> for OrganisationView {
    fn from(o: OrgRow) -> Self {
        OrganisationView {
            id: o.id,
            code: o.code,
            name: o.name,
            stamp_language: o.stamp_language,
            utc_offset: o.utc_offset,
            created_at: time(o.created_at),
        }
    }
}

// Registration.

#[derive(Debug, Serialize, ToSchema)]
pub struct JournalView {
    pub id: String,
    pub code: String,
    pub name: String,
    pub kinds: Vec<String>,
    pub created_at: String,
}

impl From<JournalRow> for JournalView {
    fn from(j: JournalRow) -> Self {
        JournalView {
            kinds: j.kinds.split(',').map(str::to_owned).collect(),
            id: j.id,
            code: j.code,
            name: j.name,
            created_at: time(j.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationView {
    pub document_id: String,
    pub journal: String,
    pub year: i32,
    pub number: i64,
    /// `journal/number`, e.g. `01-07/15`.
    pub reg_number: String,
    pub registered_at: String,
    pub registered_by: String,
    pub correspondent: Option<String>,
    pub correspondent_number: Option<String>,
    pub correspondent_date: Option<String>,
    pub ledger_seq: i64,
}

pub fn registration_view(r: RegistrationRow, j: JournalRow) -> RegistrationView {
    RegistrationView {
        document_id: r.document_id,
        journal: j.code,
        year: r.year,
        number: r.number,
        reg_number: r.reg_number,
        registered_at: time(r.registered_at),
        registered_by: r.registered_by,
        correspondent: r.correspondent,
        correspondent_number: r.correspondent_number,
        correspondent_date: r.correspondent_date,
        ledger_seq: r.ledger_seq,
    }
}

// Resolutions.

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub executor_id: String,
    pub body: String,
    #[schema(value_type = Object)]
    pub attachments: serde_json::Value,
    pub submitted_at: String,
    pub ledger_seq: i64,
}

impl From<ReportRow> for ReportView {
    fn from(r: ReportRow) -> Self {
        ReportView {
            attachments: serde_json::from_str(&r.attachments).unwrap_or(serde_json::Value::Null),
            executor_id: r.executor_id,
            body: r.body,
            submitted_at: time(r.submitted_at),
            ledger_seq: r.ledger_seq,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResolutionView {
    pub id: String,
    pub document_id: String,
    pub parent_id: Option<String>,
    /// `draft`, `active`, `executed` or `cancelled`.
    pub state: String,
    /// Spec, author, assignments (state, deadline, reported/accepted times,
    /// extensions).
    #[schema(value_type = Object)]
    pub resolution: serde_json::Value,
    pub reports: Vec<ReportView>,
    pub created_at: String,
}

pub fn resolution_view(row: ResolutionRow, reports: Vec<ReportRow>) -> ResolutionView {
    ResolutionView {
        resolution: serde_json::from_str(&row.runtime).unwrap_or(serde_json::Value::Null),
        id: row.id,
        document_id: row.document_id,
        parent_id: row.parent_id,
        state: row.state,
        reports: reports.into_iter().map(ReportView::from).collect(),
        created_at: time(row.created_at),
    }
}

// Signatures.

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    /// The key's fingerprint: hex SHA-256 of its SubjectPublicKeyInfo DER.
    pub id: String,
    pub user_id: String,
    /// `ed25519` (raw key) or `x509` (certificate).
    pub form: String,
    /// The public key, PEM SubjectPublicKeyInfo.
    pub public_key: String,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub serial: Option<String>,
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub revocation_reason: Option<String>,
    pub ledger_seq: i64,
}

impl From<KeyRow> for KeyView {
    fn from(k: KeyRow) -> Self {
        KeyView {
            public_key: docflow_core::keys::encode_pem(
                docflow_core::keys::PUBLIC_KEY_LABEL,
                &k.spki,
            ),
            id: k.id,
            user_id: k.user_id,
            form: k.form,
            subject: k.subject,
            issuer: k.issuer,
            serial: k.serial,
            not_before: k.not_before.map(time),
            not_after: k.not_after.map(time),
            created_at: time(k.created_at),
            revoked_at: k.revoked_at.map(time),
            revocation_reason: k.revocation_reason,
            ledger_seq: k.ledger_seq,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureView {
    pub id: String,
    pub document_id: String,
    pub version: i32,
    pub purpose: String,
    pub key_id: String,
    pub signer: String,
    /// The statement's issue time.
    pub signed_at: String,
    pub statement: String,
    /// base64
    pub signature: String,
    pub ledger_seq: i64,
    /// C2SP tlog-proof receipt: verifies offline with the log's key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
}

pub fn signature_view(row: SignatureRow, signer: String, receipt: Option<String>) -> SignatureView {
    SignatureView {
        id: row.id,
        document_id: row.document_id,
        version: row.version,
        purpose: row.purpose,
        key_id: row.key_id,
        signer,
        signed_at: time(row.signed_at),
        statement: row.statement,
        signature: base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            &row.signature,
        ),
        ledger_seq: row.ledger_seq,
        receipt,
    }
}

// Substitutions.

#[derive(Debug, Serialize, ToSchema)]
pub struct SubstitutionView {
    pub id: String,
    pub user_id: String,
    pub substitute_id: String,
    pub starts_at: String,
    pub ends_at: String,
    pub kinds: Option<Vec<String>>,
    pub ledger_seq: i64,
}

impl From<SubstitutionRow> for SubstitutionView {
    fn from(s: SubstitutionRow) -> Self {
        SubstitutionView {
            id: s.id,
            user_id: s.user_id,
            substitute_id: s.substitute_id,
            starts_at: time(s.starts_at),
            ends_at: time(s.ends_at),
            kinds: s.kinds.map(|k| k.split(',').map(str::to_owned).collect()),
            ledger_seq: s.ledger_seq,
        }
    }
}
