//! The evidence bundle: everything a verifier needs to check a signed
//! document version offline, and the check itself.
//!
//! The bundle is JSON (`docflow-evidence/1`, docs/evidence.md). Nothing in
//! it is trusted: signatures are checked against the keys in it, keys are
//! bound to the statements by fingerprint, certificates are checked against
//! the *verifier's* trust anchors, and every receipt against the verifier's
//! pinned log key. The bundle only saves the verifier from asking a server.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::checkpoint::NoteVerifier;
use crate::keys::{PublicKey, Signature};
use crate::receipt::Receipt;
use crate::statement::{DocumentStatement, Purpose};
use crate::x509;

pub const FORMAT: &str = "docflow-evidence/1";
/// The name of the evidence file embedded in a stamped PDF.
pub const EVIDENCE_NAME: &str = "docflow-evidence.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    pub format: String,
    pub document: DocumentInfo,
    pub version: VersionInfo,
    /// The log that recorded it (informative: the verifier pins its own key).
    pub log_origin: String,
    pub signatures: Vec<SignatureEvidence>,
    #[serde(default)]
    pub routes: Vec<RouteEvidence>,
    /// Receipts of the document's other ledger entries (creation, versions,
    /// registration, resolutions), oldest first.
    #[serde(default)]
    pub history: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentInfo {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub organisation: String,
    pub reg_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionInfo {
    pub number: u64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    pub size: u64,
    pub content_type: String,
    pub filename: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureEvidence {
    /// The statement, exactly as signed.
    pub statement: String,
    /// Pure Ed25519 over the statement, base64.
    pub signature: String,
    pub key: KeyEvidence,
    pub signer: SignerInfo,
    pub ledger_seq: u64,
    /// C2SP tlog-proof receipt of the ledger entry that recorded it.
    pub receipt: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEvidence {
    /// The fingerprint (SHA-256 of the SPKI DER).
    pub id: String,
    /// `ed25519` or `x509`.
    pub form: String,
    /// PEM SubjectPublicKeyInfo.
    pub public_key: String,
    /// PEM leaf certificate, for `x509`.
    pub certificate: Option<String>,
    /// PEM intermediates, for `x509`.
    pub chain: Option<String>,
    /// When the key was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerInfo {
    pub login: String,
    pub name: String,
    pub position: String,
    pub organisation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteEvidence {
    pub id: String,
    /// `approved`, `rejected`, `returned`, `active` or `cancelled`.
    pub state: String,
    /// Per stage: its rule (`all`, `any`, `quorum:N`) and the assignees'
    /// logins with the action of each step.
    pub stages: Vec<StageEvidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageEvidence {
    pub rule: String,
    pub steps: Vec<StepEvidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepEvidence {
    pub assignee: String,
    pub action: String,
}

/// What the verifier found about one signature.
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
    pub extra: BTreeMap<String, String>,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub valid: bool,
    pub document: String,
    pub title: String,
    pub version: u64,
    pub sha256: String,
    /// Whether the content given hashes to the signed SHA-256 (None: no
    /// content was given).
    pub content_matches: Option<bool>,
    pub signatures: Vec<SignatureCheck>,
    pub routes: Vec<String>,
    /// Problems not tied to one signature.
    pub problems: Vec<String>,
    /// What this check does not prove.
    pub not_proven: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BundleError {
    #[error("the evidence is not valid JSON of {FORMAT}: {0}")]
    Malformed(String),
    #[error("unsupported evidence format {0:?} (this verifier reads {FORMAT})")]
    UnsupportedFormat(String),
}

impl Bundle {
    pub fn parse(bytes: &[u8]) -> Result<Bundle, BundleError> {
        let bundle: Bundle =
            serde_json::from_slice(bytes).map_err(|e| BundleError::Malformed(e.to_string()))?;
        if bundle.format != FORMAT {
            return Err(BundleError::UnsupportedFormat(bundle.format));
        }
        Ok(bundle)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// The verifier's own trust: anchors and CRLs for certificates, the pinned
/// log key for receipts.
pub struct Trust<'a> {
    pub anchors: &'a [Vec<u8>],
    pub crls: &'a [Vec<u8>],
    pub log: &'a NoteVerifier,
}

fn check_signature(bundle: &Bundle, s: &SignatureEvidence, trust: &Trust<'_>) -> SignatureCheck {
    let mut problems = Vec::new();
    let mut check = SignatureCheck {
        signer: s.signer.login.clone(),
        name: s.signer.name.clone(),
        position: s.signer.position.clone(),
        purpose: String::new(),
        issued_at: String::new(),
        key: s.key.id.clone(),
        certificate: None,
        ledger_seq: s.ledger_seq,
        extra: BTreeMap::new(),
        problems: Vec::new(),
    };
    let statement = match DocumentStatement::parse(&s.statement) {
        Ok(st) => st,
        Err(e) => {
            check
                .problems
                .push(format!("the statement is malformed: {e}"));
            return check;
        }
    };
    let f = statement.fields();
    check.purpose = f.purpose.as_str().to_owned();
    check.issued_at = crate::ledger::format_time(&f.issued_at);
    check.extra = f.extra.iter().cloned().collect();
    if f.document != bundle.document.id || f.version != bundle.version.number {
        problems.push("the statement is for another document or version".to_owned());
    }
    if hex::encode(f.sha256) != bundle.version.sha256 {
        problems.push("the statement names other content".to_owned());
    }
    if f.signer != s.signer.login {
        problems.push(format!(
            "the statement names signer {}, not {}",
            f.signer, s.signer.login
        ));
    }
    if f.purpose == Purpose::Login {
        problems.push("a login statement".to_owned());
    }
    // The key: from the certificate (checked against the verifier's own
    // anchors at the signing time) or the raw public key.
    let key = match (&s.key.certificate, s.key.form.as_str()) {
        (Some(cert_pem), "x509") => {
            let leaf = x509::pem_bundle_to_der(cert_pem).ok().and_then(|mut v| {
                if v.is_empty() {
                    None
                } else {
                    Some(v.remove(0))
                }
            });
            let chain = s
                .key
                .chain
                .as_deref()
                .map(x509::pem_bundle_to_der)
                .transpose()
                .unwrap_or_default()
                .unwrap_or_default();
            match leaf
                .map(|l| x509::validate_chain(&l, &chain, trust.anchors, trust.crls, f.issued_at))
            {
                Some(Ok(valid)) => {
                    check.certificate = Some(format!(
                        "{} (serial {}, issued by {})",
                        valid.subject, valid.serial_hex, valid.issuer
                    ));
                    Some(valid.public_key)
                }
                Some(Err(e)) => {
                    problems.push(format!(
                        "certificate rejected at signing time ({}): {e}",
                        e.code()
                    ));
                    None
                }
                None => {
                    problems.push("the certificate is not PEM".to_owned());
                    None
                }
            }
        }
        (None, "ed25519") => match PublicKey::from_spki_pem(&s.key.public_key) {
            Ok(k) => Some(k),
            Err(e) => {
                problems.push(format!("the public key is malformed: {e}"));
                None
            }
        },
        _ => {
            problems.push(format!("unknown key form {:?}", s.key.form));
            None
        }
    };
    if let Some(key) = key {
        if key.fingerprint_bytes() != f.key || key.fingerprint() != s.key.id {
            problems.push("the key is not the one the statement names".to_owned());
        }
        match Signature::from_base64(&s.signature) {
            Ok(sig) => {
                if key.verify(s.statement.as_bytes(), &sig).is_err() {
                    problems.push("the signature does not verify".to_owned());
                }
            }
            Err(e) => problems.push(format!("the signature is malformed: {e}")),
        }
    }
    if let Some(revoked) = s.key.revoked_at {
        if revoked <= f.issued_at {
            problems.push(format!(
                "the key was revoked ({}) before the signature",
                crate::ledger::format_time(&revoked)
            ));
        }
    }
    // The receipt: the pinned log recorded exactly this statement and signature.
    match Receipt::parse(&s.receipt).and_then(|r| r.verify(trust.log, None)) {
        Ok(v) => {
            let data = &v.entry.data;
            if data.get("statement").and_then(|x| x.as_str()) != Some(s.statement.as_str())
                || data.get("signature").and_then(|x| x.as_str()) != Some(s.signature.as_str())
            {
                problems.push("the log entry in the receipt records another signature".to_owned());
            }
            if v.entry.seq != s.ledger_seq {
                problems.push(format!(
                    "the receipt is for entry {}, not {}",
                    v.entry.seq, s.ledger_seq
                ));
            }
            if v.entry.subject != format!("document:{}", bundle.document.id) {
                problems.push("the log entry is about another document".to_owned());
            }
        }
        Err(e) => problems.push(format!("the receipt does not verify with the log key: {e}")),
    }
    check.problems = problems;
    check
}

fn positive(decision: &str) -> bool {
    matches!(
        decision,
        "approve" | "approve-with-remarks" | "sign" | "acknowledge"
    )
}

/// Checks a route's decisions are complete and consistent with its rule.
fn check_route(route: &RouteEvidence, checks: &[SignatureCheck]) -> (String, Vec<String>) {
    let mut problems = Vec::new();
    let mut lines = Vec::new();
    let decisions: Vec<&SignatureCheck> = checks
        .iter()
        .filter(|c| c.extra.get("route") == Some(&route.id) && c.problems.is_empty())
        .collect();
    let mut ended = false;
    for (i, stage) in route.stages.iter().enumerate() {
        let mut positives = 0usize;
        for (j, step) in stage.steps.iter().enumerate() {
            let key = format!("{i}.{j}");
            let found = decisions.iter().find(|c| c.extra.get("step") == Some(&key));
            match found {
                Some(c) => {
                    let decision = c.extra.get("decision").cloned().unwrap_or_default();
                    let acting = c
                        .extra
                        .get("on-behalf-of")
                        .map(|p| format!(" on behalf of {p}"))
                        .unwrap_or_default();
                    if c.signer != step.assignee
                        && c.extra.get("on-behalf-of") != Some(&step.assignee)
                    {
                        problems.push(format!(
                            "step {key} was decided by {}, not its assignee {}",
                            c.signer, step.assignee
                        ));
                    }
                    lines.push(format!(
                        "step {key}: {decision} by {}{acting} at {}",
                        c.signer, c.issued_at
                    ));
                    if positive(&decision) {
                        positives += 1;
                    } else {
                        ended = true;
                    }
                }
                None => lines.push(format!("step {key}: {} — no decision", step.assignee)),
            }
        }
        let needed = match stage.rule.as_str() {
            "all" => stage.steps.len(),
            "any" => 1,
            other => other
                .strip_prefix("quorum:")
                .and_then(|n| n.parse().ok())
                .unwrap_or(usize::MAX),
        };
        if route.state == "approved" && positives < needed {
            problems.push(format!("the route says approved, but stage {i} has {positives} of the {needed} approvals its rule needs"));
        }
        if ended {
            break;
        }
    }
    (
        format!("route {} ({}): {}", route.id, route.state, lines.join("; ")),
        problems,
    )
}

/// Verifies a bundle (and, when given, the content it is about) with the
/// verifier's own trust.
pub fn verify(bundle: &Bundle, content: Option<&[u8]>, trust: &Trust<'_>) -> Report {
    let mut problems = Vec::new();
    let content_matches = content.map(|c| crate::ledger::sha256_hex(c) == bundle.version.sha256);
    if content_matches == Some(false) {
        problems.push("the file does not hash to the signed SHA-256: it was changed".to_owned());
    }
    let signatures: Vec<SignatureCheck> = bundle
        .signatures
        .iter()
        .map(|s| check_signature(bundle, s, trust))
        .collect();
    let mut routes = Vec::new();
    for r in &bundle.routes {
        let (line, route_problems) = check_route(r, &signatures);
        routes.push(line);
        problems.extend(route_problems);
    }
    for (i, receipt) in bundle.history.iter().enumerate() {
        match Receipt::parse(receipt).and_then(|r| r.verify(trust.log, None)) {
            Ok(v) if v.entry.subject == format!("document:{}", bundle.document.id) => {}
            Ok(_) => problems.push(format!("history receipt {i} is about another subject")),
            Err(e) => problems.push(format!("history receipt {i} does not verify: {e}")),
        }
    }
    if bundle.signatures.is_empty() {
        problems.push("the version carries no signature".to_owned());
    }
    let valid = problems.is_empty() && signatures.iter().all(|s| s.problems.is_empty());
    let mut not_proven = vec![
        "that the signers' private keys were not stolen (only that these keys signed)".to_owned(),
        "revocations after the log's latest checkpoint in this file".to_owned(),
    ];
    if content.is_none() {
        not_proven.push("the content itself: no file was given".to_owned());
    }
    Report {
        valid,
        document: bundle.document.id.clone(),
        title: bundle.document.title.clone(),
        version: bundle.version.number,
        sha256: bundle.version.sha256.clone(),
        content_matches,
        signatures,
        routes,
        problems,
        not_proven,
    }
}

impl Report {
    /// A readable report.
    pub fn text(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "{}: document {} \"{}\", version {}, sha256 {}\n",
            if self.valid { "VALID" } else { "INVALID" },
            self.document,
            self.title,
            self.version,
            self.sha256
        ));
        match self.content_matches {
            Some(true) => out.push_str("content: the file hashes to the signed SHA-256\n"),
            Some(false) => {
                out.push_str("content: CHANGED — the file does not hash to the signed SHA-256\n")
            }
            None => {}
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
                &s.key.get(..16).unwrap_or(&s.key),
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
        for r in &self.routes {
            out.push_str(&format!("{r}\n"));
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
