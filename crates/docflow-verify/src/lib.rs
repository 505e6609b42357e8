//! `docflow verify`: the offline check of a signed document version.
//!
//! It reads the file, the evidence bundle, the verifier's own trust anchors
//! and the pinned log key, and nothing else: no server, no database, no
//! network. Exit codes: 0 valid, 1 invalid, 2 unusable input.
//!
//! VALID means: every fact printed comes from a ledger entry whose receipt
//! verifies against the pinned log key or from a statement signed by the
//! key the log registered to its signer; the file's original bytes hash to
//! the signed SHA-256; and, for a stamped PDF, the stamping revision is
//! byte for byte what [`layout::render`] draws from that proof, and any
//! later revision adds nothing visible (docs/evidence.md, "The promise").

pub mod language;
pub mod layout;
pub mod proven;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use docflow_core::checkpoint::{NoteSigner, NoteVerifier};
use docflow_core::evidence::{self, Bundle, BundleError};
use docflow_core::x509;
use serde::Serialize;

use proven::Proven;

#[derive(Debug, Clone, clap::Args)]
pub struct VerifyArgs {
    /// The document file: the signed version's exact bytes, or its stamped PDF.
    #[arg(required_unless_present = "qr")]
    pub file: Option<PathBuf>,
    /// Check the text of a stamp's QR code instead (a record signed by the log).
    #[arg(long, value_name = "TEXT", conflicts_with = "evidence")]
    pub qr: Option<String>,
    /// The evidence bundle (GET …/versions/N/evidence), for a file that
    /// does not carry it (a stamped PDF carries its own).
    #[arg(long, value_name = "BUNDLE")]
    pub evidence: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The verifier's own trust, as given on its command line.
pub struct TrustArgs<'a> {
    pub trust_anchors: Option<&'a Path>,
    pub crls: Option<&'a Path>,
    /// A file with the log's public verifier key (`GET /api/v1/ledger/key`),
    /// or the key itself.
    pub log_key: Option<&'a Path>,
}

/// The verifier's trust, read: anchors and CRLs for certificates, the
/// pinned log key for receipts.
pub struct Trust<'a> {
    pub anchors: &'a [Vec<u8>],
    pub crls: &'a [Vec<u8>],
    pub log: &'a NoteVerifier,
}

/// Prints and ignores a closed pipe (`docflow verify … | head -1`).
fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

fn unusable(message: String) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "docflow verify: {message}");
    ExitCode::from(2)
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The pinned log key: a file holding it, or the key text itself.
pub fn log_verifier(arg: &Path) -> Result<NoteVerifier, String> {
    let text = match std::fs::read_to_string(arg) {
        Ok(t) => t,
        Err(_) => arg.to_string_lossy().into_owned(),
    };
    let text = text.trim();
    if text.starts_with("PRIVATE+KEY+") {
        return NoteSigner::from_signer_key(text)
            .map(|s| s.verifier())
            .map_err(|e| e.to_string());
    }
    if text.starts_with("-----BEGIN") {
        return Err(format!(
            "{}: a PEM key, but --log-key takes the log's verifier key, one line such as \"docflow.local/log+1a2b3c4d+AZ…\" (GET /api/v1/ledger/key)",
            arg.display()
        ));
    }
    NoteVerifier::parse(text).map_err(|e| {
        format!(
            "{}: not a log verifier key (\"name+hex id+base64 key\", GET /api/v1/ledger/key): {e}",
            arg.display()
        )
    })
}

/// One signature on the version, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureCheck {
    pub signer: String,
    pub name: String,
    pub position: String,
    pub purpose: String,
    pub issued_at: String,
    pub key: String,
    /// Certificate subject and serial, for X.509 keys.
    pub certificate: Option<String>,
    pub ledger_seq: u64,
    /// Extra statement lines (route, step, decision, on-behalf-of…).
    pub extra: std::collections::BTreeMap<String, String>,
    pub problems: Vec<String>,
}

/// The facts the log proves about the document and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Facts {
    pub document: String,
    pub title: String,
    pub kind: String,
    pub organisation: String,
    pub registration: Option<String>,
    pub version: u64,
    pub sha256: String,
    pub size: u64,
    pub filename: String,
    pub content_type: String,
    /// The document's last ledger entry in the evidence.
    pub as_of_entry: u64,
    pub log: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Report {
    pub valid: bool,
    /// None when the evidence does not establish the document at all.
    pub facts: Option<Facts>,
    /// Whether the content hashes to the signed SHA-256 (None: not checked).
    pub content_matches: Option<bool>,
    pub signatures: Vec<SignatureCheck>,
    pub routes: Vec<String>,
    pub resolutions: Vec<String>,
    /// For a stamped PDF: whether its stamps are the ones the evidence draws.
    pub stamps: Option<String>,
    /// For a stamped PDF: what each revision after docflow's stamp adds.
    pub later_revisions: Vec<String>,
    pub problems: Vec<String>,
    /// What this check does not prove.
    pub not_proven: Vec<String>,
}

impl Report {
    fn invalid(problem: String) -> Report {
        Report {
            problems: vec![problem],
            ..Report::default()
        }
    }

    fn seal(mut self) -> Report {
        self.valid = self.facts.is_some()
            && self.problems.is_empty()
            && self.content_matches != Some(false)
            && self.signatures.iter().all(|s| s.problems.is_empty());
        self
    }
}

fn certificate_problems(
    bundle: &Bundle,
    proven: &Proven,
    trust: &Trust<'_>,
    index: usize,
) -> (Option<String>, Vec<String>) {
    let s = &proven.signatures[index];
    if s.key.form != "x509" {
        return (None, Vec::new());
    }
    let Some(c) = bundle.certificates.iter().find(|c| c.key == s.key.id) else {
        return (
            s.key.certificate.clone(),
            vec!["the key's certificate is not in the evidence".into()],
        );
    };
    let leaf = x509::pem_bundle_to_der(&c.certificate)
        .ok()
        .and_then(|v| v.into_iter().next());
    let chain = c
        .chain
        .as_deref()
        .map(x509::pem_bundle_to_der)
        .transpose()
        .unwrap_or_default()
        .unwrap_or_default();
    match leaf
        .map(|l| x509::validate_chain(&l, &chain, trust.anchors, trust.crls, s.fields.issued_at))
    {
        Some(Ok(valid)) if valid.fingerprint == s.key.id => (
            Some(format!(
                "{} (serial {}, issued by {})",
                valid.subject, valid.serial_hex, valid.issuer
            )),
            Vec::new(),
        ),
        Some(Ok(_)) => (
            s.key.certificate.clone(),
            vec!["the certificate is for another key".into()],
        ),
        Some(Err(e)) => (
            s.key.certificate.clone(),
            vec![format!(
                "certificate rejected at signing time ({}): {e}",
                e.code()
            )],
        ),
        None => (
            s.key.certificate.clone(),
            vec!["the certificate is not PEM".into()],
        ),
    }
}

/// Checks a bundle (and, when given, the content it is about) with the
/// verifier's own trust. Returns the report and, when the evidence
/// establishes it, the proven view.
pub fn check_bundle(
    bundle: &Bundle,
    content: Option<&[u8]>,
    trust: &Trust<'_>,
) -> (Report, Option<Proven>) {
    let proven = match proven::build(bundle, trust.log) {
        Ok(p) => p,
        Err(why) => return (Report::invalid(why).seal(), None),
    };
    let mut report = Report {
        facts: Some(Facts {
            document: proven.document.id.clone(),
            title: proven.document.title.clone(),
            kind: proven.document.kind.clone(),
            organisation: format!(
                "{} ({})",
                proven.organisation.name, proven.organisation.code
            ),
            registration: proven.registration.as_ref().map(|r| {
                format!(
                    "{} in journal {}, {} (entry {})",
                    r.reg_number,
                    r.journal,
                    docflow_core::ledger::format_time(&r.at),
                    r.seq
                )
            }),
            version: proven.version.number,
            sha256: proven.version.sha256.clone(),
            size: proven.version.size,
            filename: proven.version.filename.clone(),
            content_type: proven.version.content_type.clone(),
            as_of_entry: proven.as_of.0,
            log: proven.origin.clone(),
        }),
        content_matches: content
            .map(|c| docflow_core::ledger::sha256_hex(c) == proven.version.sha256),
        ..Report::default()
    };
    if report.content_matches == Some(false) {
        report
            .problems
            .push("the file does not hash to the signed SHA-256: it was changed".into());
    }
    for (i, s) in proven.signatures.iter().enumerate() {
        let (certificate, cert_problems) = certificate_problems(bundle, &proven, trust, i);
        let mut problems = proven.problems.get(&i).cloned().unwrap_or_default();
        problems.extend(cert_problems);
        if s.fields.version != proven.version.number {
            // Another version's signature: listed only when it is wrong.
            report.problems.extend(
                problems
                    .into_iter()
                    .map(|p| format!("the signature in entry {}: {p}", s.seq)),
            );
            continue;
        }
        report.signatures.push(SignatureCheck {
            signer: s.signer.login.clone(),
            name: s.signer.name.clone(),
            position: s.signer.position.clone(),
            purpose: s.fields.purpose.as_str().to_owned(),
            issued_at: docflow_core::ledger::format_time(&s.fields.issued_at),
            key: s.key.id.clone(),
            certificate,
            ledger_seq: s.seq,
            extra: s.fields.extra.iter().cloned().collect(),
            problems,
        });
    }
    for c in &bundle.certificates {
        let used = proven
            .signatures
            .iter()
            .any(|s| s.key.id == c.key && s.key.form == "x509");
        if !used {
            report.problems.push(format!(
                "a certificate for key {} that signed nothing here",
                c.key.get(..16).unwrap_or(&c.key)
            ));
        }
    }
    for r in &proven.routes {
        let mut steps = Vec::new();
        for (a, stage) in r.stages.iter().enumerate() {
            for (b, step) in stage.steps.iter().enumerate() {
                steps.push(match step.decision.map(|j| &proven.signatures[j]) {
                    Some(s) => format!(
                        "step {a}.{b}: {} by {}{} at {}",
                        s.extra("decision").unwrap_or(""),
                        s.signer.login,
                        s.on_behalf_of
                            .as_ref()
                            .map(|p| format!(" on behalf of {}", p.login))
                            .unwrap_or_default(),
                        docflow_core::ledger::format_time(&s.fields.issued_at)
                    ),
                    None => format!("step {a}.{b}: {} — no decision", step.assignee.login),
                });
            }
        }
        report.routes.push(format!(
            "route {} ({}): {}",
            r.id,
            r.outcome.name(),
            steps.join("; ")
        ));
    }
    for res in &proven.resolutions {
        let executors: Vec<String> = res
            .executors
            .iter()
            .map(|x| {
                format!(
                    "{}{} {}{}",
                    x.person.login,
                    if x.responsible { " (responsible)" } else { "" },
                    x.state,
                    if x.late { ", late" } else { "" }
                )
            })
            .collect();
        report.resolutions.push(format!(
            "resolution {} ({}) by {}: {} — {}",
            res.id,
            res.state,
            res.author.login,
            res.instruction,
            executors.join(", ")
        ));
    }
    if report.signatures.is_empty() {
        report
            .problems
            .push("the version carries no signature".to_owned());
    }
    report.not_proven = vec![
        "that the signers' private keys were not stolen (only that these keys signed)".into(),
        format!(
            "entries about the document after ledger entry {} (the last in this file), such as revocations after the log's checkpoint of size {}",
            proven.as_of.0, proven.checkpoint_size
        ),
    ];
    if content.is_none() {
        report
            .not_proven
            .push("the content itself: no file was given".into());
    }
    (report.seal(), Some(proven))
}

/// Where two byte strings first differ, and the object that holds it.
fn first_difference(expected: &[u8], found: &[u8]) -> String {
    let at = expected
        .iter()
        .zip(found)
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(found.len()));
    if at >= found.len() {
        return format!(
            "the file ends at byte {} inside the stamping revision ({} bytes expected)",
            found.len(),
            expected.len()
        );
    }
    // The last object header before the difference, in the redrawn bytes.
    let head = &expected[..at.min(expected.len())];
    let object = memchr::memmem::rfind(head, b" 0 obj").and_then(|end| {
        let start = head[..end]
            .iter()
            .rposition(|b| !b.is_ascii_digit())
            .map_or(0, |p| p + 1);
        std::str::from_utf8(&head[start..end])
            .ok()
            .map(str::to_owned)
    });
    match object {
        Some(n) if !n.is_empty() => format!("first difference at byte {at}, in object {n} 0"),
        _ => format!("first difference at byte {at}"),
    }
}

/// Checks a stamped PDF that carries its evidence.
pub fn check_stamped(pdf: &[u8], trust: &Trust<'_>) -> Result<Report, String> {
    let embedded = match docflow_pdf::attachment(pdf, evidence::EVIDENCE_NAME) {
        Ok(Some(e)) => e,
        Ok(None) => {
            return Err(
                "this PDF carries no docflow evidence; give the bundle with --evidence".into(),
            )
        }
        Err(e) => {
            return Ok(Report::invalid(format!("the file does not read as a PDF: {e}")).seal())
        }
    };
    let bundle = match Bundle::parse(&embedded) {
        Ok(b) => b,
        Err(e @ (BundleError::Outdated | BundleError::UnsupportedFormat(_))) => {
            return Err(format!("the embedded evidence: {e}"))
        }
        Err(e) => {
            return Ok(Report::invalid(format!("the embedded evidence is damaged: {e}")).seal())
        }
    };
    let (mut report, proven) = check_bundle(&bundle, None, trust);
    let Some(proven) = proven else {
        return Ok(report);
    };
    let Ok(original_len) = usize::try_from(proven.version.size) else {
        report
            .problems
            .push("the signed size does not fit in memory".into());
        return Ok(report.seal());
    };
    if original_len > pdf.len() {
        report.content_matches = Some(false);
        report.problems.push(format!(
            "the file is {} bytes, shorter than the signed original's {original_len}",
            pdf.len()
        ));
        return Ok(report.seal());
    }
    let original = &pdf[..original_len];
    let matches = docflow_core::ledger::sha256_hex(original) == proven.version.sha256;
    report.content_matches = Some(matches);
    if !matches {
        report.problems.push(
            "the original part of the file does not hash to the signed SHA-256: it was changed"
                .into(),
        );
        return Ok(report.seal());
    }
    // The stamps: redrawn from the original and the proof, byte for byte.
    let redrawn = match layout::render(original, &bundle, &proven) {
        Ok(r) => r,
        Err(e) => {
            report.problems.push(format!(
                "the stamps cannot be redrawn from the evidence: {e}"
            ));
            return Ok(report.seal());
        }
    };
    if pdf.len() < redrawn.len() || pdf[..redrawn.len()] != redrawn[..] {
        report.stamps = Some("DIFFERENT from what the evidence draws".into());
        report.problems.push(format!(
            "the stamps do not match the evidence: {}",
            first_difference(&redrawn, pdf)
        ));
        return Ok(report.seal());
    }
    report.stamps = Some(format!(
        "redrawn from the evidence with layout {} and identical",
        proven.layout
    ));
    if pdf.len() > redrawn.len() {
        match docflow_pdf::check_later_revisions(pdf, redrawn.len()) {
            Ok(later) => {
                for (i, r) in later.per_revision.iter().enumerate() {
                    report.later_revisions.push(format!(
                        "revision {} after the stamp (to byte {}): {} new and {} changed objects",
                        i + 1,
                        r.end,
                        r.new,
                        r.changed
                    ));
                }
                report
                    .problems
                    .extend(later.violations.into_iter().map(|v| {
                        format!(
                            "modified after signing: revision {} after the stamp, object {} {}: {}",
                            v.revision, v.object.0, v.object.1, v.reason
                        )
                    }));
            }
            Err(e) => report.problems.push(format!(
                "modified after signing: the revisions after the stamp cannot be read: {e}"
            )),
        }
    }
    Ok(report.seal())
}

/// Checks a file with a detached bundle.
pub fn check_with_evidence(
    content: &[u8],
    evidence: &[u8],
    trust: &Trust<'_>,
) -> Result<Report, String> {
    let bundle = Bundle::parse(evidence).map_err(|e| e.to_string())?;
    Ok(check_bundle(&bundle, Some(content), trust).0)
}

pub fn run(args: &VerifyArgs, trust: &TrustArgs<'_>) -> ExitCode {
    let Some(log_key) = trust.log_key else {
        return unusable(
            "give the log's public key with --log-key (GET /api/v1/ledger/key)".into(),
        );
    };
    let log = match log_verifier(log_key) {
        Ok(v) => v,
        Err(e) => return unusable(e),
    };
    if let Some(text) = &args.qr {
        return verify_qr(text, &log);
    }
    let anchors = match trust.trust_anchors {
        None => Vec::new(),
        Some(p) => match read(p).and_then(|b| {
            x509::pem_bundle_to_der(&String::from_utf8_lossy(&b))
                .map_err(|e| format!("{}: {e}", p.display()))
        }) {
            Ok(a) => a,
            Err(e) => return unusable(e),
        },
    };
    let crls = match trust.crls {
        None => Vec::new(),
        Some(p) => match read(p).and_then(|b| {
            x509::pem_crls_to_der(&String::from_utf8_lossy(&b))
                .map_err(|e| format!("{}: {e}", p.display()))
        }) {
            Ok(c) => c,
            Err(e) => return unusable(e),
        },
    };
    let Some(file) = &args.file else {
        return unusable("give the file to verify, or --qr TEXT".into());
    };
    let content = match read(file) {
        Ok(c) => c,
        Err(e) => return unusable(e),
    };
    let trust = Trust {
        anchors: &anchors,
        crls: &crls,
        log: &log,
    };
    let result = match &args.evidence {
        Some(path) => read(path).and_then(|e| {
            check_with_evidence(&content, &e, &trust).map_err(|m| format!("{}: {m}", path.display()))
        }),
        None if content.starts_with(b"%PDF-") => check_stamped(&content, &trust),
        None => Err(format!(
            "{}: not a PDF, so it carries no evidence; give the bundle with --evidence (GET /api/v1/documents/{{id}}/versions/{{n}}/evidence)",
            file.display()
        )),
    };
    let report = match result {
        Ok(r) => r,
        Err(e) => return unusable(e),
    };
    if args.json {
        emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ));
    } else {
        emit(&report.text());
    }
    if report.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

impl Report {
    /// A readable report: the verdict, the proven facts, each signature,
    /// then problems and what is not proven.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let verdict = if self.valid { "VALID" } else { "INVALID" };
        match &self.facts {
            Some(f) => {
                out.push_str(&format!(
                    "{verdict}: document {} \"{}\", version {}, sha256 {}\n",
                    f.document, f.title, f.version, f.sha256
                ));
                out.push_str(&format!(
                    "proven by the log {} (as of ledger entry {}):\n",
                    f.log, f.as_of_entry
                ));
                out.push_str(&format!("  organisation: {}\n", f.organisation));
                out.push_str(&format!(
                    "  document: {} \"{}\", {}\n",
                    f.kind,
                    f.title,
                    f.registration
                        .as_ref()
                        .map(|r| format!("registered {r}"))
                        .unwrap_or_else(|| format!("not registered as of entry {}", f.as_of_entry))
                ));
                out.push_str(&format!(
                    "  version {}: {}, {}, {} bytes\n",
                    f.version, f.filename, f.content_type, f.size
                ));
            }
            None => out.push_str(&format!(
                "{verdict}: the evidence does not establish the document, so nothing in it is shown\n"
            )),
        }
        match self.content_matches {
            Some(true) => out.push_str("content: the file hashes to the signed SHA-256\n"),
            Some(false) => {
                out.push_str("content: CHANGED — the file does not hash to the signed SHA-256\n")
            }
            None => {}
        }
        if let Some(s) = &self.stamps {
            out.push_str(&format!("stamps: {s}\n"));
        }
        for s in &self.signatures {
            out.push_str(&format!(
                "{} {}: {} ({}, {}) at {} with key {}{}; log entry {}{}\n",
                if s.problems.is_empty() { "ok" } else { "BAD" },
                s.purpose,
                s.signer,
                s.name,
                s.position,
                s.issued_at,
                s.key.get(..16).unwrap_or(&s.key),
                s.certificate
                    .as_ref()
                    .map(|c| format!(", certificate {c}"))
                    .unwrap_or_default(),
                s.ledger_seq,
                if s.problems.is_empty() {
                    String::new()
                } else {
                    format!(": {}", s.problems.join("; "))
                }
            ));
        }
        for r in self.routes.iter().chain(&self.resolutions) {
            out.push_str(&format!("{r}\n"));
        }
        for r in &self.later_revisions {
            out.push_str(&format!("later: {r}\n"));
        }
        for p in &self.problems {
            out.push_str(&format!("problem: {p}\n"));
        }
        for n in &self.not_proven {
            out.push_str(&format!("not proven: {n}\n"));
        }
        out
    }
}

/// A stamp's QR code: `docflow-qr/1`, document, version, SHA-256 and ledger
/// entry, in a note signed by the log key.
fn verify_qr(text: &str, log: &NoteVerifier) -> ExitCode {
    // Scanners may turn the note's line ends into CRLF or drop the last one.
    let mut note = text.replace("\r\n", "\n");
    if !note.ends_with('\n') {
        note.push('\n');
    }
    match log.open(&note) {
        Ok(body) => {
            let fields: Vec<&str> = body.lines().collect();
            match fields.as_slice() {
                ["docflow-qr/1", document, version, sha256, entry] => {
                    emit(&format!(
                        "VALID: the log {} signed this record\ndocument {document}, version {version}, sha256 {sha256}, last signature in ledger entry {entry}\ncompare the SHA-256 with the file you hold: sha256sum FILE\n",
                        log.name()
                    ));
                    ExitCode::SUCCESS
                }
                _ => {
                    emit("INVALID: signed, but not a docflow QR record\n");
                    ExitCode::from(1)
                }
            }
        }
        Err(e) => {
            emit(&format!(
                "INVALID: the QR record does not verify with the log key: {e}\n"
            ));
            ExitCode::from(1)
        }
    }
}
