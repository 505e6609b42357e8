//! What the fuzz targets share: the pinned log keys, the genuine stamped
//! files the `verify_stamped` oracle compares with, the example trust
//! anchor and a fixed clock. Everything is embedded at build time, so a
//! target binary runs from any directory and a reproducer needs nothing
//! but itself.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use docflow_core::checkpoint::NoteVerifier;
use docflow_core::x509;
use docflow_verify::{Facts, Report, SignatureCheck, Trust};

/// The log key of the server that made the seed files (`GET /api/v1/ledger/key`).
pub const SEED_LOG_KEY: &str = include_str!("../seeds/log.pub");
/// The test log key of docs/transparency.md (signs the docs/vectors files).
pub const TEST_LOG_KEY: &str = include_str!("../../docs/vectors/checkpoint-key.vkey");

/// Stamped PDFs made by the real server (fuzz/seeds/README.md): the only
/// files `check_stamped` may call VALID are these, possibly followed by
/// later revisions.
pub const STAMPED: &[(&str, &[u8])] = &[
    (
        "stamped-walkthrough.pdf",
        include_bytes!("../seeds/stamped-walkthrough.pdf"),
    ),
    (
        "stamped-worked-example.pdf",
        include_bytes!("../seeds/stamped-worked-example.pdf"),
    ),
];

/// Their evidence bundles, as `GET …/versions/1/evidence` served them.
pub const EVIDENCE: &[(&str, &[u8])] = &[
    (
        "evidence-walkthrough.json",
        include_bytes!("../seeds/evidence-walkthrough.json"),
    ),
    (
        "evidence-worked-example.json",
        include_bytes!("../seeds/evidence-worked-example.json"),
    ),
];

/// The original both seed documents signed as version 1 (docs/examples/order-v1.pdf).
pub const ORIGINAL: &[u8] = include_bytes!("../seeds/order-v1.pdf");

const ROOT_CA: &str = include_str!("../../keys-example/ca/root-ca.crt");
const INTERMEDIATE_CA: &str = include_str!("../../keys-example/ca/intermediate-ca.crt");
const INTERMEDIATE_CRL: &str = include_str!("../../keys-example/ca/intermediate-ca.crl.pem");

fn verifier(text: &str) -> NoteVerifier {
    NoteVerifier::parse(text.trim()).expect("an embedded log key parses")
}

pub fn seed_log() -> &'static NoteVerifier {
    static LOG: OnceLock<NoteVerifier> = OnceLock::new();
    LOG.get_or_init(|| verifier(SEED_LOG_KEY))
}

pub fn test_log() -> &'static NoteVerifier {
    static LOG: OnceLock<NoteVerifier> = OnceLock::new();
    LOG.get_or_init(|| verifier(TEST_LOG_KEY))
}

/// keys-example/ca/root-ca.crt as DER: the example trust anchor.
pub fn anchors() -> &'static [Vec<u8>] {
    static A: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    A.get_or_init(|| x509::pem_bundle_to_der(ROOT_CA).expect("root-ca.crt parses"))
}

/// The example intermediate CA, as DER.
pub fn intermediates() -> &'static [Vec<u8>] {
    static I: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    I.get_or_init(|| x509::pem_bundle_to_der(INTERMEDIATE_CA).expect("intermediate parses"))
}

/// The example intermediate's CRL, as DER.
pub fn crls() -> &'static [Vec<u8>] {
    static C: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    C.get_or_init(|| x509::pem_crls_to_der(INTERMEDIATE_CRL).expect("CRL parses"))
}

/// A fixed "now" inside every good example certificate's validity (the
/// time the x509 unit tests use), so a reproducer behaves the same later.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
        .expect("fixed time")
        .with_timezone(&Utc)
}

/// The verifier's trust in the `verify_stamped` target: no anchors, no
/// CRLs, the seed server's log key.
pub fn trust() -> Trust<'static> {
    Trust {
        anchors: &[],
        crls: &[],
        log: seed_log(),
    }
}

/// Offsets just past each `%%EOF` line (its CR, LF or CRLF included).
pub fn eof_ends(data: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = from + find(&data[from..], b"%%EOF")?;
        let mut end = at + 5;
        if data.get(end) == Some(&b'\r') {
            end += 1;
        }
        if data.get(end) == Some(&b'\n') {
            end += 1;
        }
        from = end;
        Some(end)
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The reports the verifier gives the genuine bundles (with ORIGINAL and
/// [`trust`]), the reference for what a VALID detached check may show.
pub fn genuine_reports() -> &'static [Report] {
    static R: OnceLock<Vec<Report>> = OnceLock::new();
    R.get_or_init(|| {
        EVIDENCE
            .iter()
            .map(|(name, bundle)| {
                docflow_verify::check_with_evidence(ORIGINAL, bundle, &trust())
                    .unwrap_or_else(|e| panic!("seed {name} does not check: {e}"))
            })
            .collect()
    })
}

fn same_document(found: &Facts, genuine: &Facts) -> bool {
    // A shorter history (a bundle cut after some entry) is a true, older
    // view: it may lack the registration and later signatures, and its
    // "as of" entry is earlier. Everything it does show must be genuine.
    found.document == genuine.document
        && found.title == genuine.title
        && found.kind == genuine.kind
        && found.organisation == genuine.organisation
        && (found.registration.is_none() || found.registration == genuine.registration)
        && found.version == genuine.version
        && found.sha256 == genuine.sha256
        && found.size == genuine.size
        && found.filename == genuine.filename
        && found.content_type == genuine.content_type
        && found.as_of_entry <= genuine.as_of_entry
        && found.log == genuine.log
}

fn genuine_signature(found: &SignatureCheck, genuine: &[SignatureCheck]) -> bool {
    genuine.iter().any(|g| {
        g.signer == found.signer
            && g.name == found.name
            && g.position == found.position
            && g.purpose == found.purpose
            && g.issued_at == found.issued_at
            && g.key == found.key
            && g.certificate == found.certificate
            && g.ledger_seq == found.ledger_seq
            && g.extra == found.extra
    })
}

/// The no-false-accept oracle for a detached bundle: a VALID report may
/// only show facts and signatures that a genuine report shows. Returns why
/// not, if it does not.
pub fn invented_facts(report: &Report) -> Option<String> {
    if !report.valid {
        return None;
    }
    let Some(facts) = &report.facts else {
        return Some("VALID without facts".into());
    };
    for genuine in genuine_reports() {
        let Some(g) = &genuine.facts else { continue };
        if same_document(facts, g)
            && report
                .signatures
                .iter()
                .all(|s| genuine_signature(s, &genuine.signatures))
        {
            return None;
        }
    }
    Some(format!(
        "VALID, but facts or signatures that no genuine bundle shows:\n{}",
        report.text()
    ))
}

#[cfg(test)]
mod tests {
    //! `cargo test --manifest-path fuzz/Cargo.toml`: the seeds still are
    //! what the oracles assume (run it after make-seeds.sh).
    use super::*;

    #[test]
    fn the_walkthrough_seed_is_valid_and_the_oracle_accepts_genuine_reports() {
        let (_, pdf) = STAMPED[0];
        let report = docflow_verify::check_stamped(pdf, &trust()).expect("checks");
        assert!(report.valid, "{}", report.text());
        let detached = &genuine_reports()[0];
        assert!(detached.valid, "{}", detached.text());
        assert_eq!(invented_facts(detached), None);
    }

    #[test]
    fn the_oracle_flags_an_invented_fact_or_signature() {
        let genuine = genuine_reports()[0].clone();
        let mut title = genuine.clone();
        title.facts.as_mut().unwrap().title.push('!');
        assert!(invented_facts(&title).is_some());
        let mut signer = genuine.clone();
        signer.signatures[0].name = "Someone Else".into();
        assert!(invented_facts(&signer).is_some());
        let mut invalid = signer;
        invalid.valid = false;
        assert_eq!(invented_facts(&invalid), None);
    }

    #[test]
    fn eof_ends_are_just_past_each_eof_line() {
        let pdf = b"%PDF-1.7\n%%EOF\r\nx\n%%EOF";
        assert_eq!(eof_ends(pdf).collect::<Vec<_>>(), vec![16, 23]);
    }
}
