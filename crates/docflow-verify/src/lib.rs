//! `docflow verify`: the offline check of a signed document version.
//!
//! It reads the file, the evidence bundle, the verifier's own trust anchors
//! and the pinned log key, and nothing else: no server, no database, no
//! network. Exit codes: 0 valid, 1 invalid, 2 unusable input.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use docflow_core::checkpoint::{NoteSigner, NoteVerifier};
use docflow_core::evidence::{self, Bundle, Trust};

#[derive(Debug, Clone, clap::Args)]
pub struct VerifyArgs {
    /// The document file: the signed version's exact bytes, or its stamped PDF.
    #[arg(required_unless_present = "qr")]
    pub file: Option<PathBuf>,
    /// Check the text of a stamp's QR code instead (a record signed by the log).
    #[arg(long, value_name = "TEXT", conflicts_with = "evidence")]
    pub qr: Option<String>,
    /// The evidence bundle (GET …/versions/{n}/evidence).
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
    /// A file with the log's verifier key (or signer key), or the key itself.
    pub log_key: Option<&'a Path>,
}

fn unusable(message: String) -> ExitCode {
    eprintln!("docflow verify: {message}");
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
    NoteVerifier::parse(text).map_err(|e| format!("{}: not a log verifier key: {e}", arg.display()))
}

pub fn run(args: &VerifyArgs, trust: &TrustArgs<'_>) -> ExitCode {
    let Some(log_key) = trust.log_key else {
        return unusable("give the log's public key with --log-key".into());
    };
    let log = match log_verifier(log_key) {
        Ok(v) => v,
        Err(e) => return unusable(e),
    };
    let anchors = match trust.trust_anchors {
        None => Vec::new(),
        Some(p) => match read(p).and_then(|b| {
            docflow_core::x509::pem_bundle_to_der(&String::from_utf8_lossy(&b))
                .map_err(|e| format!("{}: {e}", p.display()))
        }) {
            Ok(a) => a,
            Err(e) => return unusable(e),
        },
    };
    let crls = match trust.crls {
        None => Vec::new(),
        Some(p) => match read(p).and_then(|b| {
            docflow_core::x509::pem_crls_to_der(&String::from_utf8_lossy(&b))
                .map_err(|e| format!("{}: {e}", p.display()))
        }) {
            Ok(c) => c,
            Err(e) => return unusable(e),
        },
    };
    if let Some(text) = &args.qr {
        return verify_qr(text, &log);
    }
    let Some(file) = &args.file else {
        return unusable("give the file to verify, or --qr TEXT".into());
    };
    let content = match read(file) {
        Ok(c) => c,
        Err(e) => return unusable(e),
    };
    // The evidence: given alongside, or embedded in a stamped PDF, whose
    // original revision is then the signed content.
    let (bundle, signed_content, violations) = match &args.evidence {
        Some(path) => match read(path).and_then(|b| Bundle::parse(&b).map_err(|e| e.to_string())) {
            Ok(b) => (b, content.clone(), Vec::new()),
            Err(e) => return unusable(e),
        },
        None if content.starts_with(b"%PDF-") => {
            let embedded = match docflow_pdf::attachment(&content, evidence::EVIDENCE_NAME) {
                Ok(Some(e)) => e,
                Ok(None) => return unusable("this PDF carries no docflow evidence; give the bundle with --evidence".into()),
                Err(e) => return unusable(format!("{}: {e}", file.display())),
            };
            let bundle = match Bundle::parse(&embedded) {
                Ok(b) => b,
                Err(e) => return unusable(format!("the embedded evidence: {e}")),
            };
            let original_len = usize::try_from(bundle.version.size).unwrap_or(usize::MAX).min(content.len());
            let violations = match docflow_pdf::check_revisions(&content, original_len) {
                Ok(report) => report
                    .violations
                    .into_iter()
                    .map(|v| format!("object {} {}: {} after signing", v.object.0, v.object.1, v.reason))
                    .collect(),
                Err(e) => vec![format!("the revisions after the original cannot be read: {e}")],
            };
            (bundle, content[..original_len].to_vec(), violations)
        }
        None => {
            return unusable("give the evidence bundle with --evidence (GET /api/v1/documents/{id}/versions/{n}/evidence)".into())
        }
    };
    let mut report = evidence::verify(
        &bundle,
        Some(&signed_content),
        &Trust {
            anchors: &anchors,
            crls: &crls,
            log: &log,
        },
    );
    if !violations.is_empty() {
        report.valid = false;
        report.problems.extend(
            violations
                .into_iter()
                .map(|v| format!("modified after signing: {v}")),
        );
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print!("{}", report.text());
    }
    if report.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
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
                    println!("VALID: the log {} signed this record", log.name());
                    println!("document {document}, version {version}, sha256 {sha256}, last signature in ledger entry {entry}");
                    println!("compare the SHA-256 with the file you hold: sha256sum FILE");
                    ExitCode::SUCCESS
                }
                _ => {
                    println!("INVALID: signed, but not a docflow QR record");
                    ExitCode::from(1)
                }
            }
        }
        Err(e) => {
            println!("INVALID: the QR record does not verify with the log key: {e}");
            ExitCode::from(1)
        }
    }
}
