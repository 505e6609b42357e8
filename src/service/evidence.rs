//! Builds the evidence bundle of a version: every signature with its key,
//! certificate chain and receipt, the routes on it, and the receipts of the
//! document's history (docs/evidence.md).

use docflow_core::checkpoint::NoteSigner;
use docflow_core::evidence::EVIDENCE_NAME;
use docflow_core::evidence::{
    Bundle, DocumentInfo, KeyEvidence, RouteEvidence, SignatureEvidence, SignerInfo, StageEvidence,
    StepEvidence, VersionInfo, FORMAT,
};
use docflow_core::keys::{encode_pem, PUBLIC_KEY_LABEL};
use docflow_flow::route::Rule;

use super::{AuthUser, ServiceError};
use crate::storage::{documents, journals, keys, ledger, orgs, routes, DbConnection, StorageError};

fn utc(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_naive_utc_and_offset(t, chrono::Utc)
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
    let org = orgs::org_by_id(conn, &doc.org_id)?.ok_or(ServiceError::NotFound("organisation"))?;
    let reg_number = journals::registration(conn, &doc.id)?.map(|r| r.reg_number);
    let login_of = |conn: &mut DbConnection, id: &str| -> Result<String, ServiceError> {
        Ok(orgs::user_by_id(conn, id)?
            .map(|u| u.login)
            .unwrap_or_else(|| id.to_owned()))
    };
    let mut signatures = Vec::new();
    let mut signature_seqs = Vec::new();
    for s in keys::signatures_of_version(conn, &doc.id, version)? {
        let key = keys::key(conn, &s.key_id)?
            .ok_or_else(|| StorageError::Corrupt(format!("key {} is missing", s.key_id)))?;
        let signer = orgs::user_by_id(conn, &s.user_id)?
            .ok_or_else(|| StorageError::Corrupt("signer is missing".into()))?;
        let (_, receipt) = super::ledger::receipt(conn, s.ledger_seq)?;
        let chain = match &key.chain {
            Some(c) => Some(
                super::keys::split_chain(c)?
                    .iter()
                    .map(|der| encode_pem("CERTIFICATE", der))
                    .collect::<String>(),
            ),
            None => None,
        };
        signature_seqs.push(s.ledger_seq);
        signatures.push(SignatureEvidence {
            statement: s.statement.clone(),
            signature: base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                &s.signature,
            ),
            key: KeyEvidence {
                id: key.id.clone(),
                form: key.form.clone(),
                public_key: encode_pem(PUBLIC_KEY_LABEL, &key.spki),
                certificate: key
                    .certificate
                    .as_deref()
                    .map(|der| encode_pem("CERTIFICATE", der)),
                chain,
                revoked_at: key.revoked_at.map(utc),
            },
            signer: SignerInfo {
                login: signer.login,
                name: signer.full_name,
                position: signer.position,
                organisation: org.name.clone(),
            },
            ledger_seq: u64::try_from(s.ledger_seq).unwrap_or(0),
            receipt: receipt.encode(),
        });
    }
    let mut route_evidence = Vec::new();
    for row in routes::routes_of_document(conn, &doc.id)?
        .into_iter()
        .filter(|r| r.version == version)
    {
        let route: docflow_flow::route::Route = serde_json::from_str(&row.runtime)
            .map_err(|e| StorageError::Corrupt(format!("route {}: {e}", row.id)))?;
        let mut stages = Vec::new();
        for stage in &route.spec().stages {
            let mut steps = Vec::new();
            for step in &stage.steps {
                steps.push(StepEvidence {
                    assignee: login_of(conn, &step.assignee)?,
                    action: serde_json::to_value(step.action)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                });
            }
            let rule = match stage.rule {
                Rule::All => "all".to_owned(),
                Rule::Any => "any".to_owned(),
                Rule::Quorum(n) => format!("quorum:{n}"),
            };
            stages.push(StageEvidence { rule, steps });
        }
        route_evidence.push(RouteEvidence {
            id: row.id.clone(),
            state: row.state.clone(),
            stages,
        });
    }
    let mut history = Vec::new();
    for seq in ledger::seqs_of_subject(conn, &format!("document:{}", doc.id))? {
        if signature_seqs.contains(&seq) {
            continue;
        }
        let (_, receipt) = super::ledger::receipt(conn, seq)?;
        history.push(receipt.encode());
    }
    Ok(Bundle {
        format: FORMAT.to_owned(),
        document: DocumentInfo {
            id: doc.id.clone(),
            title: doc.title.clone(),
            kind: doc.kind.clone(),
            organisation: org.name,
            reg_number,
        },
        version: VersionInfo {
            number: u64::try_from(version).unwrap_or(0),
            sha256: v.sha256,
            size: u64::try_from(v.size).unwrap_or(0),
            content_type: v.content_type,
            filename: v.filename,
        },
        log_origin: log.name().to_owned(),
        signatures,
        routes: route_evidence,
        history,
    })
}

/// The stamped PDF of a version: its exact bytes, then one incremental
/// update with the stamp, the approval sheet and the embedded evidence.
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
    let local = super::registration::local_offset();
    let short = |s: &str| s.get(..16).unwrap_or(s).to_owned();
    let mut stamp = Vec::new();
    let mut sheet = vec![
        format!(
            "{} — {}",
            bundle.document.organisation, bundle.document.title
        ),
        format!(
            "Document {} · version {} · {} · SHA-256 {}",
            bundle.document.id,
            bundle.version.number,
            bundle
                .document
                .reg_number
                .as_deref()
                .unwrap_or("not registered"),
            bundle.version.sha256
        ),
        String::new(),
    ];
    for (i, s) in bundle.signatures.iter().enumerate() {
        let statement = docflow_core::statement::DocumentStatement::parse(&s.statement)
            .map_err(|e| StorageError::Corrupt(format!("stored statement: {e}")))?;
        let f = statement.fields();
        let when = format!(
            "{} UTC ({} Toshkent)",
            f.issued_at.format("%Y-%m-%d %H:%M"),
            f.issued_at.with_timezone(&local).format("%H:%M")
        );
        let key = match &s.key.certificate {
            Some(_) => format!("certificate key {}", short(&s.key.id)),
            None => format!("key {}", short(&s.key.id)),
        };
        let extra: std::collections::BTreeMap<_, _> = f.extra.iter().cloned().collect();
        let decision = extra
            .get("decision")
            .cloned()
            .unwrap_or_else(|| f.purpose.as_str().to_owned());
        stamp.push(format!(
            "{} — {}, {}, {}",
            decision.to_uppercase(),
            s.signer.name,
            s.signer.position,
            s.signer.organisation
        ));
        stamp.push(format!(
            "{when} · {key} · sha256 {} · entry {}",
            short(&bundle.version.sha256),
            s.ledger_seq
        ));
        let step = extra
            .get("step")
            .map(|s| format!("step {s}: "))
            .unwrap_or_default();
        let behalf = extra
            .get("on-behalf-of")
            .map(|p| format!(" on behalf of {p}"))
            .unwrap_or_default();
        sheet.push(format!(
            "{}. {step}{decision} — {} ({}){behalf}, {when}",
            i + 1,
            s.signer.name,
            s.signer.position
        ));
        sheet.push(format!(
            "    {key} · ledger entry {} · signed statement and receipt embedded",
            s.ledger_seq
        ));
    }
    for r in &bundle.routes {
        sheet.push(String::new());
        sheet.push(format!("Route {}: {}", r.id, r.state));
        for (i, stage) in r.stages.iter().enumerate() {
            let steps: Vec<String> = stage
                .steps
                .iter()
                .map(|s| format!("{} ({})", s.assignee, s.action))
                .collect();
            sheet.push(format!(
                "  stage {i} [{}]: {}",
                stage.rule,
                steps.join(", ")
            ));
        }
    }
    sheet.push(String::new());
    sheet.push(format!(
        "Verify offline: docflow verify FILE --log-key <{}> [--trust-anchors ROOTS.pem]",
        bundle.log_origin
    ));
    if stamp.is_empty() {
        stamp.push("NOT SIGNED".to_owned());
    }
    let evidence = bundle.to_json();
    // The QR code: a compact record signed by the log key, so a printed
    // copy can be checked with `docflow verify --qr TEXT --log-key KEY`.
    let last_entry = bundle
        .signatures
        .iter()
        .map(|s| s.ledger_seq)
        .max()
        .unwrap_or(0);
    let record = format!(
        "docflow-qr/1\n{}\n{}\n{}\n{}\n",
        bundle.document.id, bundle.version.number, bundle.version.sha256, last_entry
    );
    let qr = log
        .sign(&record)
        .map_err(|e| StorageError::Corrupt(format!("signing the QR record: {e}")))?;
    // One stamp per signature (its two lines), stacked on the first page;
    // the QR code rides on the first one and on the sheet.
    let stamps: Vec<docflow_pdf::Stamp> = stamp
        .chunks(2)
        .enumerate()
        .map(|(i, lines)| docflow_pdf::Stamp {
            page: 0,
            lines: lines.to_vec(),
            qr: (i == 0).then(|| qr.clone()),
        })
        .collect();
    docflow_pdf::stamp(
        &content,
        &stamps,
        Some(&docflow_pdf::Sheet {
            title: "Approval sheet".to_owned(),
            lines: sheet,
            qr: Some(qr.clone()),
        }),
        Some(&docflow_pdf::Attachment {
            name: EVIDENCE_NAME.to_owned(),
            mime: "application/json".to_owned(),
            description: "docflow evidence bundle (docflow-evidence/1)".to_owned(),
            data: evidence.into_bytes(),
        }),
    )
    .map_err(|e| match e {
        docflow_pdf::PdfError::Font(_) => {
            ServiceError::Storage(StorageError::Corrupt(e.to_string()))
        }
        other => ServiceError::Unprocessable(format!("the version cannot be stamped: {other}")),
    })
}
