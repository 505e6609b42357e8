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

use crate::domain::language::Phrase;
use crate::domain::organisation::{zone_label, OrgSettings};

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
/// update with the stamps, the approval sheet and the embedded evidence, in
/// the organisation's stamp language.
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
    let org = orgs::org_by_id(conn, &user.org_id)?.ok_or(ServiceError::NotFound("organisation"))?;
    let settings = super::admin::settings_of(&org);
    let lang = settings.stamp_language;
    let resolutions = resolution_lines(conn, &bundle.document.id, &settings)?;
    let (stamps, mut sheet) = stamp_texts(&bundle, &settings)?;
    sheet.lines.extend(resolutions);
    sheet.lines.push(String::new());
    sheet.lines.push(format!(
        "{}: docflow verify FILE --log-key <{}> [--trust-anchors ROOTS.pem]",
        lang.text(Phrase::VerifyOffline),
        bundle.log_origin
    ));
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
    // One stamp per signature, stacked on the first page; the QR code rides
    // on the first one and on the sheet.
    let stamps: Vec<docflow_pdf::Stamp> = stamps
        .into_iter()
        .enumerate()
        .map(|(i, lines)| docflow_pdf::Stamp {
            page: 0,
            lines,
            qr: (i == 0).then(|| qr.clone()),
        })
        .collect();
    sheet.qr = Some(qr);
    docflow_pdf::stamp(
        &content,
        &stamps,
        Some(&sheet),
        Some(&docflow_pdf::Attachment {
            name: EVIDENCE_NAME.to_owned(),
            mime: "application/json".to_owned(),
            description: "docflow evidence bundle (docflow-evidence/1)".to_owned(),
            data: bundle.to_json().into_bytes(),
        }),
    )
    .map_err(|e| match e {
        docflow_pdf::PdfError::Font(_) => {
            ServiceError::Storage(StorageError::Corrupt(e.to_string()))
        }
        other => ServiceError::Unprocessable(format!("the version cannot be stamped: {other}")),
    })
}

fn short(s: &str) -> &str {
    s.get(..16).unwrap_or(s)
}

/// A time as stamps print it: UTC, then the organisation's local time (its
/// date too when that differs).
fn stamp_time(t: chrono::DateTime<chrono::Utc>, settings: &OrgSettings) -> String {
    let local = t.with_timezone(&settings.utc_offset);
    let local_format = if local.date_naive() == t.date_naive() {
        "%H:%M"
    } else {
        "%Y-%m-%d %H:%M"
    };
    format!(
        "{} UTC ({} {})",
        t.format("%Y-%m-%d %H:%M"),
        local.format(local_format),
        zone_label(settings.utc_offset, settings.stamp_language)
    )
}

/// The stamps (two lines per signature) and the approval sheet's heading,
/// title and route lines, from the bundle alone.
fn stamp_texts(
    bundle: &Bundle,
    settings: &OrgSettings,
) -> Result<(Vec<Vec<String>>, docflow_pdf::Sheet), ServiceError> {
    let lang = settings.stamp_language;
    let t = |p| lang.text(p);
    let mut stamps = Vec::new();
    let mut sheet = vec![
        format!(
            "{} — {}",
            bundle.document.organisation, bundle.document.title
        ),
        format!(
            "{} {} · {} {} · {} · SHA-256 {}",
            t(Phrase::Document),
            bundle.document.id,
            t(Phrase::Version),
            bundle.version.number,
            bundle
                .document
                .reg_number
                .as_deref()
                .unwrap_or(t(Phrase::NotRegistered)),
            bundle.version.sha256
        ),
        String::new(),
    ];
    for (i, s) in bundle.signatures.iter().enumerate() {
        let statement = docflow_core::statement::DocumentStatement::parse(&s.statement)
            .map_err(|e| StorageError::Corrupt(format!("stored statement: {e}")))?;
        let f = statement.fields();
        let when = stamp_time(f.issued_at, settings);
        let key = match &s.key.certificate {
            Some(_) => format!("{} {}", t(Phrase::CertificateKey), short(&s.key.id)),
            None => format!("{} {}", t(Phrase::Key), short(&s.key.id)),
        };
        let extra: std::collections::BTreeMap<_, _> = f.extra.iter().cloned().collect();
        let act = lang.act(
            f.purpose.as_str(),
            extra.get("decision").map(String::as_str),
            extra.get("action").map(String::as_str),
        );
        stamps.push(vec![
            format!(
                "{act} — {}, {}, {}",
                s.signer.name, s.signer.position, s.signer.organisation
            ),
            format!(
                "{when} · {key} · sha256 {} · {} {}",
                short(&bundle.version.sha256),
                t(Phrase::LedgerEntry),
                s.ledger_seq
            ),
        ]);
        let step = extra
            .get("step")
            .map(|s| format!("{} {s}: ", t(Phrase::Step)))
            .unwrap_or_default();
        let behalf = extra
            .get("on-behalf-of")
            .map(|p| format!(" ({} {p})", t(Phrase::OnBehalfOf)))
            .unwrap_or_default();
        sheet.push(format!(
            "{}. {step}{act} — {} ({}){behalf}, {when}",
            i + 1,
            s.signer.name,
            s.signer.position
        ));
        sheet.push(format!(
            "    {key} · {} {} · {}",
            t(Phrase::LedgerEntry),
            s.ledger_seq,
            t(Phrase::EvidenceEmbedded)
        ));
    }
    for r in &bundle.routes {
        sheet.push(String::new());
        sheet.push(format!(
            "{} {}: {}",
            t(Phrase::Route),
            r.id,
            lang.state(&r.state)
        ));
        for (i, stage) in r.stages.iter().enumerate() {
            let steps: Vec<String> = stage
                .steps
                .iter()
                .map(|s| format!("{} ({})", s.assignee, lang.state(&s.action)))
                .collect();
            let rule = match stage.rule.strip_prefix("quorum:") {
                Some(n) => format!("{} {n}", t(Phrase::RuleQuorum)),
                None => lang.state(&stage.rule).to_owned(),
            };
            sheet.push(format!(
                "  {} {} [{rule}]: {}",
                t(Phrase::Stage),
                i + 1,
                steps.join(", ")
            ));
        }
    }
    if stamps.is_empty() {
        stamps.push(vec![t(Phrase::NotSigned).to_owned()]);
    }
    let sheet = docflow_pdf::Sheet {
        heading: t(Phrase::SheetHeading).to_owned(),
        title: bundle.document.title.clone(),
        lines: sheet,
        qr: None,
    };
    Ok((stamps, sheet))
}

/// The sheet's section on the document's resolutions and their execution,
/// ending with how to verify the file offline.
fn resolution_lines(
    conn: &mut DbConnection,
    document_id: &str,
    settings: &OrgSettings,
) -> Result<Vec<String>, ServiceError> {
    let lang = settings.stamp_language;
    let t = |p| lang.text(p);
    let now = crate::storage::now();
    let mut names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut name_of = |conn: &mut DbConnection, id: &str| -> Result<String, ServiceError> {
        if let Some(n) = names.get(id) {
            return Ok(n.clone());
        }
        let n = orgs::user_by_id(conn, id)?
            .map(|u| u.full_name)
            .unwrap_or_else(|| id.to_owned());
        names.insert(id.to_owned(), n.clone());
        Ok(n)
    };
    let day = |d: chrono::DateTime<chrono::Utc>| {
        d.with_timezone(&settings.utc_offset)
            .format("%Y-%m-%d")
            .to_string()
    };
    let state_name = |v: serde_json::Result<serde_json::Value>| {
        v.ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let mut lines = Vec::new();
    for row in crate::storage::resolutions::of_document(conn, document_id)? {
        let res = super::resolutions::parse(&row)?;
        let spec = res.spec();
        lines.push(String::new());
        let state = state_name(serde_json::to_value(res.state()));
        lines.push(format!(
            "{} ({}): {}",
            t(Phrase::Resolution),
            lang.state(&state),
            spec.instruction
        ));
        lines.push(format!(
            "  {}: {} · {}: {} · {}: {}",
            t(Phrase::Author),
            name_of(conn, res.author())?,
            t(Phrase::Deadline),
            day(res.deadline()),
            t(Phrase::Controller),
            name_of(conn, &spec.controller)?
        ));
        for a in res.assignments() {
            let role = if a.responsible {
                t(Phrase::Responsible)
            } else {
                t(Phrase::CoExecutor)
            };
            let mut line = format!(
                "  {role}: {} — {}, {} {}",
                name_of(conn, &a.user)?,
                lang.state(&state_name(serde_json::to_value(a.state))),
                t(Phrase::Deadline),
                day(a.deadline)
            );
            if let Some(r) = a.reported_at {
                line.push_str(&format!(", {} {}", t(Phrase::Reported), day(r)));
            }
            if let Some(r) = a.accepted_at {
                line.push_str(&format!(", {} {}", t(Phrase::Accepted), day(r)));
            }
            if a.is_overdue(now) || a.completed_late() {
                line.push_str(&format!(" — {}", t(Phrase::Overdue)));
            }
            lines.push(line);
        }
        for report in crate::storage::resolutions::reports_of(conn, &row.id)? {
            let body: String = report.body.chars().take(400).collect();
            lines.push(format!(
                "  {} ({}, {}): {body}",
                t(Phrase::Report),
                name_of(conn, &report.executor_id)?,
                day(utc(report.submitted_at))
            ));
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::language::StampLanguage;
    use crate::domain::organisation::parse_utc_offset;

    #[test]
    fn stamp_times_show_utc_then_local_time_with_its_date_when_it_differs() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-12-31T21:10:00Z")
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_else(|e| panic!("{e}"));
        let tashkent = OrgSettings::default();
        assert_eq!(
            stamp_time(t, &tashkent),
            "2026-12-31 21:10 UTC (2027-01-01 02:10 Тошкент)"
        );
        let west = OrgSettings {
            stamp_language: StampLanguage::English,
            utc_offset: parse_utc_offset("-03:30").unwrap_or_else(|e| panic!("{e}")),
        };
        assert_eq!(
            stamp_time(t, &west),
            "2026-12-31 21:10 UTC (17:40 UTC-03:30)"
        );
    }
}
