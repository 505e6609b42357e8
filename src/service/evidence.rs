//! Builds the evidence bundle of a version (docs/evidence.md): the receipts
//! of every ledger entry about the document, of the entries that name its
//! organisation, people and keys, the keys' certificates, the report texts
//! that signed statements bind, and the QR record; and the stamped PDF,
//! drawn from nothing but that bundle by the same code `docflow verify`
//! redraws it with.

use std::collections::{BTreeMap, BTreeSet};

use docflow_core::checkpoint::NoteSigner;
use docflow_core::evidence::{Bundle, CertificateEvidence, StampEvidence, FORMAT};
use docflow_core::keys::encode_pem;
use docflow_core::ledger::Entry;
use docflow_core::receipt::Receipt;
use docflow_core::statement::DocumentStatement;
use docflow_verify::proven::{self, qr_record};

use super::{AuthUser, ServiceError};
use crate::storage::{documents, keys, ledger, orgs, resolutions, DbConnection, StorageError};

/// The layout new stamps are drawn with.
pub const LAYOUT: &str = "docflow-stamp/1";

fn corrupt(what: impl std::fmt::Display) -> ServiceError {
    ServiceError::Storage(StorageError::Corrupt(what.to_string()))
}

/// Receipts of `seqs`, all against one checkpoint (the latest), so the
/// bundle describes one state of the log.
fn receipts(conn: &mut DbConnection, seqs: &[i64]) -> Result<Vec<(Entry, String)>, ServiceError> {
    let checkpoint = super::ledger::latest_checkpoint(conn)?;
    let size = u64::try_from(checkpoint.tree_size).unwrap_or(0);
    let mut out = Vec::with_capacity(seqs.len());
    for &seq in seqs {
        let row =
            ledger::get(conn, seq)?.ok_or_else(|| corrupt(format!("entry {seq} is missing")))?;
        let entry = Entry::decode(&row.body).map_err(|e| corrupt(format!("entry {seq}: {e}")))?;
        let index = u64::try_from(seq - 1).map_err(|_| corrupt("entry number below 1"))?;
        let proof = crate::storage::transparency::inclusion_proof(conn, index, size)?;
        let receipt = Receipt {
            entry: row.body,
            index,
            proof,
            checkpoint_note: checkpoint.note.clone(),
        };
        out.push((entry, receipt.encode()));
    }
    Ok(out)
}

fn seqs_of(conn: &mut DbConnection, subject: &str) -> Result<Vec<i64>, ServiceError> {
    Ok(ledger::seqs_of_subject(conn, subject)?)
}

/// The statement's extra line `name`, read by the statement parser.
fn extra(statement: &str, name: &str) -> Option<String> {
    DocumentStatement::parse(statement)
        .ok()?
        .fields()
        .extra
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

pub fn bundle(
    conn: &mut DbConnection,
    log: &NoteSigner,
    user: &AuthUser,
    document_id: &str,
    version: i32,
) -> Result<Bundle, ServiceError> {
    let doc = documents::document_in_org(conn, &user.org_id, document_id)?
        .ok_or(ServiceError::NotFound("document"))?;
    let v = documents::version(conn, &doc.id, version)?.ok_or(ServiceError::NotFound("version"))?;
    let history_seqs = seqs_of(conn, &format!("document:{}", doc.id))?;
    let history = receipts(conn, &history_seqs)?;

    // Who and what the history names: the signing keys and their owners,
    // route assignees, resolution authors, controllers and executors, and
    // the people acted for or accepted from (named by login in statements).
    let mut key_ids = BTreeSet::new();
    let mut user_ids = BTreeSet::new();
    let mut logins = BTreeSet::new();
    let mut report_hashes = BTreeSet::new();
    let mut resolution_ids = Vec::new();
    let mut last_signature = 0u64;
    for (e, _) in &history {
        let d = &e.data;
        match e.kind.as_str() {
            "signature.added" => {
                if let Some(k) = d.get("key").and_then(|v| v.as_str()) {
                    key_ids.insert(k.to_owned());
                }
                let statement = d.get("statement").and_then(|v| v.as_str()).unwrap_or("");
                for name in ["on-behalf-of", "executor"] {
                    if let Some(login) = extra(statement, name) {
                        logins.insert(login);
                    }
                }
                if extra(statement, "action").as_deref() == Some("report") {
                    if let Some(sha) = extra(statement, "content-sha256") {
                        report_hashes.insert(sha);
                    }
                }
                if d.get("version").and_then(|v| v.as_i64()) == Some(i64::from(version)) {
                    last_signature = last_signature.max(e.seq);
                }
            }
            "route.started" => {
                if let Some(stages) = d
                    .get("spec")
                    .and_then(|s| s.get("stages"))
                    .and_then(|v| v.as_array())
                {
                    for step in stages
                        .iter()
                        .filter_map(|s| s.get("steps")?.as_array())
                        .flatten()
                    {
                        if let Some(a) = step.get("assignee").and_then(|v| v.as_str()) {
                            user_ids.insert(a.to_owned());
                        }
                    }
                }
            }
            "resolution.drafted" => {
                if let Some(a) = d.get("author").and_then(|v| v.as_str()) {
                    user_ids.insert(a.to_owned());
                }
                if let Some(c) = d
                    .get("spec")
                    .and_then(|s| s.get("controller"))
                    .and_then(|v| v.as_str())
                {
                    user_ids.insert(c.to_owned());
                }
                for x in d
                    .get("spec")
                    .and_then(|s| s.get("executors"))
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                {
                    if let Some(u) = x.get("user").and_then(|v| v.as_str()) {
                        user_ids.insert(u.to_owned());
                    }
                }
                if let Some(r) = d.get("resolution").and_then(|v| v.as_str()) {
                    resolution_ids.push(r.to_owned());
                }
            }
            _ => {}
        }
    }
    let mut certificates = Vec::new();
    let mut context_seqs = BTreeSet::new();
    for id in &key_ids {
        let key = keys::key(conn, id)?.ok_or_else(|| corrupt(format!("key {id} is missing")))?;
        user_ids.insert(key.user_id.clone());
        context_seqs.extend(seqs_of(conn, &format!("key:{id}"))?);
        if let Some(der) = &key.certificate {
            let chain = match &key.chain {
                Some(c) => Some(
                    super::keys::split_chain(c)?
                        .iter()
                        .map(|der| encode_pem("CERTIFICATE", der))
                        .collect::<String>(),
                ),
                None => None,
            };
            certificates.push(CertificateEvidence {
                key: id.clone(),
                certificate: encode_pem("CERTIFICATE", der),
                chain,
            });
        }
    }
    for login in &logins {
        if let Some(u) = orgs::user_by_login(conn, login)? {
            user_ids.insert(u.id);
        }
    }
    let mut wanted = Vec::new();
    for id in &user_ids {
        wanted.push((format!("user:{id}"), &["user.created"][..]));
    }
    wanted.push((
        format!("org:{}", doc.org_id),
        &["org.created", "org.settings-changed"][..],
    ));
    for (subject, kinds) in wanted {
        for seq in seqs_of(conn, &subject)? {
            let row = ledger::get(conn, seq)?
                .ok_or_else(|| corrupt(format!("entry {seq} is missing")))?;
            if kinds.contains(&row.kind.as_str()) {
                context_seqs.insert(seq);
            }
        }
    }
    let context_seqs: Vec<i64> = context_seqs.into_iter().collect();
    let context = receipts(conn, &context_seqs)?;

    // Report texts, each bound by the SHA-256 its executor signed.
    let mut texts = BTreeMap::new();
    for id in &resolution_ids {
        for report in resolutions::reports_of(conn, id)? {
            let sha = docflow_core::ledger::sha256_hex(report.body.as_bytes());
            if report_hashes.contains(&sha) {
                texts.insert(sha, report.body);
            }
        }
    }
    let number = u64::try_from(version).unwrap_or(0);
    let qr = log
        .sign(&qr_record(&doc.id, number, &v.sha256, last_signature))
        .map_err(|e| ServiceError::Internal(format!("signing the QR record: {e}")))?;
    Ok(Bundle {
        format: FORMAT.to_owned(),
        document: doc.id,
        version: number,
        entries: history.into_iter().map(|(_, r)| r).collect(),
        context: context.into_iter().map(|(_, r)| r).collect(),
        certificates,
        texts,
        stamp: StampEvidence {
            layout: LAYOUT.to_owned(),
            qr,
        },
    })
}

/// The stamped PDF of a version: its exact bytes, then one incremental
/// update with the stamps, the approval sheet and the embedded evidence, in
/// the organisation's stamp language, all drawn from the bundle alone.
pub fn stamped_pdf(
    conn: &mut DbConnection,
    log: &NoteSigner,
    user: &AuthUser,
    document_id: &str,
    version: i32,
) -> Result<Vec<u8>, ServiceError> {
    let bundle = bundle(conn, log, user, document_id, version)?;
    let (_, content) = super::documents::content(conn, user, document_id, version)?;
    if !content.starts_with(b"%PDF-") {
        return Err(ServiceError::Unprocessable(
            "this version is not a PDF; its evidence is at …/evidence".into(),
        ));
    }
    // The same proof a verifier builds: a bundle this server cannot prove
    // to itself is a defect here, never something to stamp.
    let view = proven::build(&bundle, &log.verifier())
        .map_err(|why| corrupt(format!("the evidence does not prove itself: {why}")))?;
    docflow_verify::layout::render(&content, &bundle, &view).map_err(|e| match e {
        docflow_pdf::PdfError::Font(_) => ServiceError::Internal(e.to_string()),
        other => ServiceError::Unprocessable(format!("the version cannot be stamped: {other}")),
    })
}
