//! False accepts of `docflow verify`: a differential mutation test (the
//! engine is tests/mutate/, shared with `cargo bench --bench mutations`)
//! and one test per known way to forge a stamped PDF.
//!
//! The subject is an order approved, signed and registered through the
//! real server (SQLite): its stamped PDF, its version 1's bytes (where the
//! original ends), its detached evidence and the log's key. A mutated file
//! `docflow verify` still calls VALID must look exactly like the unmutated
//! one to poppler: every page rendered by `pdftoppm` byte for byte, the
//! text from `pdftotext` the same. A VALID detached bundle must mean the
//! same JSON as the logged one. Exit 1 (INVALID) and 2 (unusable) are
//! fine; anything else, or no answer within 20 s, fails.
//!
//! DOCFLOW_MUTATIONS sets the number of cases (default 300),
//! DOCFLOW_MUTATION_SEED the seed (default fixed, so CI runs the same
//! cases). Inputs of false accepts and failures are saved under the
//! target's tmp dir (`false-accepts/`).

#[path = "../mutate/mod.rs"]
mod mutate;

use std::path::Path;
use std::sync::OnceLock;

use mutate::{Embed, Fix, Prepared, Subject};

use crate::flow::{docflow_verify, office, pdf_text, save_log_key, signed_and_registered_order};
use crate::harness::{example, Backend};

const DEFAULT_SEED: u64 = 0x00D0_CF10_57A3_9ED5;

/// The subject, made once for every test here.
fn prepared() -> &'static Prepared {
    static PREPARED: OnceLock<Prepared> = OnceLock::new();
    PREPARED.get_or_init(|| {
        let o = office(Backend::Sqlite).unwrap_or_else(|| panic!("SQLite needs no server"));
        let doc = signed_and_registered_order(&o);
        let get = |path: &str| {
            let resp = o.app.get(&o.registrar, path);
            assert_eq!(resp.status(), 200, "GET {path}");
            resp.bytes()
                .unwrap_or_else(|e| panic!("GET {path}: {e}"))
                .to_vec()
        };
        let v1 = format!("/api/v1/documents/{doc}/versions/1");
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        save_log_key(&o, dir.path());
        let subject = Subject {
            stamped: get(&format!("{v1}/stamped.pdf")),
            original: get(&format!("{v1}/content")),
            evidence: get(&format!("{v1}/evidence")),
            log_key: std::fs::read_to_string(dir.path().join("log.pub"))
                .unwrap_or_else(|e| panic!("log.pub: {e}")),
            docflow: env!("CARGO_BIN_EXE_docflow").into(),
            trust_anchors: example("ca/root-ca.crt"),
        };
        assert!(subject.stamped.starts_with(&subject.original));
        Prepared::new(subject)
    })
}

/// `docflow verify case.pdf --log-key log.pub --trust-anchors <root>`.
fn verify_pdf(pdf: &[u8]) -> (i32, String) {
    let p = prepared();
    let w = mutate::Workdir::new(&p.subject);
    std::fs::write(w.path("case.pdf"), pdf).unwrap_or_else(|e| panic!("case.pdf: {e}"));
    docflow_verify(w.dir.path(), &["case.pdf", "--log-key", "log.pub"])
}

/// Poppler's tools: required under CI, else their absence is announced.
fn poppler(what: &str) -> bool {
    if mutate::poppler_available() {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but pdftoppm/pdftotext (poppler-utils) are not installed");
    }
    eprintln!("\n!!!! pdftoppm/pdftotext (poppler-utils) are not installed: SKIPPING {what}\n");
    false
}

/// The unmutated file as poppler shows it, rendered once.
fn oracle() -> &'static mutate::Oracle {
    static ORACLE: OnceLock<mutate::Oracle> = OnceLock::new();
    ORACLE.get_or_init(|| mutate::Oracle::new(&prepared().subject))
}

/// Asserts that poppler shows `pdf` differently from the stamped file:
/// the forgery is one a reader would see (when poppler is installed).
fn assert_visible(pdf: &[u8], what: &str) {
    if !mutate::poppler_available() {
        return;
    }
    let p = prepared();
    let w = mutate::Workdir::new(&p.subject);
    let seen = mutate::seen(pdf, &w.path("seen.pdf")).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        oracle().difference(&seen).is_some(),
        "{what}: poppler shows it as the unmutated file, so it proves nothing"
    );
}

fn save_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("false-accepts")
}

#[test]
fn mutated_stamped_pdfs_and_bundles_are_never_falsely_valid() {
    if !poppler("the mutation campaign") {
        return;
    }
    let seed = mutate::seed_from_env(DEFAULT_SEED);
    let cases = mutate::cases_from_env(300);
    let summary = mutate::run(prepared(), oracle(), seed, cases, &save_dir());
    eprintln!("{}", summary.report());
    assert!(
        summary.false_accepts.is_empty() && summary.failures.is_empty(),
        "{} false accept(s) and {} failure(s) (DOCFLOW_MUTATION_SEED={seed:#x}):\n{}",
        summary.false_accepts.len(),
        summary.failures.len(),
        summary.report()
    );
    // Every family ran, and the campaign judged something.
    assert_eq!(
        summary.per_family.len(),
        mutate::FAMILIES.len().min(cases),
        "{}",
        summary.report()
    );
}

/// The campaign's second base: a later revision that adds a hidden,
/// zero-area signature widget to page 1 is what a later signer may add,
/// so it stays VALID (and shows nothing new).
#[test]
fn a_later_hidden_signature_widget_stays_valid() {
    let p = prepared();
    let (code, out) = verify_pdf(&p.benign);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("revision 1 after the stamp"), "{out}");
    if poppler("the render check of the hidden widget") {
        let dir = tempfile::tempdir().unwrap();
        let seen = mutate::seen(&p.benign, &dir.path().join("seen.pdf")).unwrap();
        assert_eq!(oracle().difference(&seen), None);
    }
}

/// (1) The approval sheet's content stream rewritten in docflow's own
/// stamping revision as the forged text, the cross-reference fixed.
#[test]
fn forged_sheet_content_in_the_stamping_revision_is_invalid() {
    let p = prepared();
    let orig = p.original_len();
    let sheet = p.sheet_contents.expect("the sheet has a content stream");
    let o = mutate::objects(&p.subject.stamped, orig)
        .into_iter()
        .find(|o| o.num == sheet)
        .expect("the sheet's content is in the stamping revision");
    for fix in [Fix::Rewrite, Fix::Append, Fix::None] {
        let forged = mutate::replace_stream(&p.subject.stamped, &o, mutate::FORGED, fix, orig);
        if fix == Fix::Rewrite {
            assert_visible(&forged, "the forged sheet");
            if let (Some(a), Some(b)) = (pdf_text(&forged), pdf_text(&p.subject.stamped)) {
                assert_ne!(a, b, "pdftotext sees the forged sheet");
            }
        }
        let (code, out) = verify_pdf(&forged);
        assert_eq!(code, 1, "{fix:?}: {out}");
        // With the cross-reference left stale the file does not even read.
        assert!(
            fix == Fix::None
                || out.contains(
                    "problem: the stamps do not match the evidence: first difference at byte"
                ),
            "{fix:?}: {out}"
        );
    }
}

/// (2) Page 1 redefined in an appended revision whose syntax a lenient
/// reader repairs: a stray token after `/Contents N 0 R`, a broken hex
/// string, a missing `>>`; the cross-reference lists it at its offset.
#[test]
fn page_redefined_with_broken_syntax_in_a_later_revision_is_invalid() {
    let p = prepared();
    let pdf = &p.subject.stamped;
    let sheet = p.sheet_contents.expect("the sheet has a content stream");
    let page = mutate::latest_dict(pdf, p.page1);
    let contents = format!("{sheet} 0 R 7");
    let stray = mutate::set_key(&page, "Contents", contents.as_bytes());
    let close = |d: &[u8]| mutate::rfind(d, b">>").unwrap();
    let with_hex = {
        let c = close(&stray);
        mutate::splice(&stray, c, c, b" /Z <4G> ")
    };
    let all_three = {
        let c = close(&with_hex);
        mutate::splice(&with_hex, c, c + 2, b"")
    };
    let only_missing = {
        let d = mutate::set_key(&page, "Contents", format!("{sheet} 0 R").as_bytes());
        let c = close(&d);
        mutate::splice(&d, c, c + 2, b"")
    };
    for (name, dict) in [
        ("stray token, broken hex, missing >>", all_three),
        ("stray token", stray),
        ("broken hex", with_hex),
        ("missing >>", only_missing),
    ] {
        let forged = mutate::append_update(pdf, &[(p.page1, dict)]);
        let (code, out) = verify_pdf(&forged);
        assert_eq!(code, 1, "{name}: {out}");
        assert!(
            out.contains("problem: modified after signing")
                || out.contains("problem: the stamps do not match the evidence"),
            "{name}: {out}"
        );
        // The same with the cross-reference rewritten after the fact.
        let (code, out) = verify_pdf(&mutate::rewrite_xrefs(&forged, p.original_len()));
        assert_eq!(code, 1, "{name}, xref rewritten: {out}");
    }
}

/// (3) A stamp's appearance stream changed: in the stamping revision
/// (whatever is done to the cross-reference), or by a later revision.
#[test]
fn changed_stamp_appearance_is_invalid() {
    let p = prepared();
    let pdf = &p.subject.stamped;
    let orig = p.original_len();
    let ap = p.stamp_appearance.expect("the stamp has an appearance");
    let o = mutate::objects(pdf, orig)
        .into_iter()
        .find(|o| o.num == ap)
        .expect("the appearance is in the stamping revision");
    let (start, end) = o.data.expect("the appearance is a stream");
    let mut one_byte = pdf.clone();
    one_byte[(start + end) / 2] ^= 0x20;
    let mut cases = vec![("one byte of its compressed data".to_string(), one_byte)];
    for fix in [Fix::Rewrite, Fix::Append] {
        cases.push((
            format!("replaced by the forged text, {fix:?}"),
            mutate::replace_stream(pdf, &o, mutate::FORGED_IN_BOX, fix, orig),
        ));
    }
    assert_visible(&cases[1].1, "the forged stamp appearance");
    for (name, forged) in &cases {
        let (code, out) = verify_pdf(forged);
        assert_eq!(code, 1, "{name}: {out}");
        assert!(
            out.contains("problem: the stamps do not match the evidence"),
            "{name}: {out}"
        );
    }
    // With the cross-reference left stale the file does not even read.
    let stale = mutate::replace_stream(pdf, &o, mutate::FORGED_IN_BOX, Fix::None, orig);
    let (code, out) = verify_pdf(&stale);
    assert_eq!(code, 1, "{out}");
    let later = mutate::append_update(pdf, &[(ap, mutate::form_xobject(mutate::FORGED_IN_BOX))]);
    assert_visible(&later, "the stamp appearance redefined later");
    let (code, out) = verify_pdf(&later);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("problem: modified after signing"), "{out}");
}

/// (4) Any byte of the embedded evidence JSON changed, put back in the
/// stamping revision or by a later one: INVALID, with the reason. (A
/// changed `format` value names a format this verifier does not read:
/// unusable input, exit 2, as docs/evidence.md says of bundles in another
/// format.)
#[test]
fn changed_embedded_evidence_is_invalid() {
    let p = prepared();
    let json = &p.subject.evidence;
    let format_value = {
        let key = mutate::find(json, b"\"docflow-evidence/2\"", 0).expect("the format");
        key + 1..key + 1 + "docflow-evidence/2".len()
    };
    let mut positions: Vec<usize> = (0..24).map(|i| i * (json.len() - 1) / 23).collect();
    positions.extend(format_value.clone());
    positions.sort();
    positions.dedup();
    let how = [Embed::InPlace, Embed::Redefine, Embed::NewFile];
    let work = mutate::Workdir::new(&p.subject);
    for (i, &at) in positions.iter().enumerate() {
        let mut edited = json.clone();
        edited[at] ^= 0x01;
        let embed = how[i % how.len()];
        let forged = mutate::reembed(p, &p.subject.stamped, &edited, embed);
        // Unusable input is explained on stderr: read both.
        let (verdict, out) = mutate::verify(&p.subject, &work, &mutate::Input::Stamped(forged));
        let code = match verdict {
            mutate::Verdict::Valid => 0,
            mutate::Verdict::Invalid => 1,
            mutate::Verdict::Unusable => 2,
            mutate::Verdict::Failed(why) => panic!("byte {at}: {why}: {out}"),
        };
        let what = format!(
            "byte {at} ({:?} → {:?}), {embed:?}",
            json[at] as char, edited[at] as char
        );
        if format_value.contains(&at) {
            assert_eq!(code, 2, "{what}: {out}");
            assert!(out.contains("unsupported evidence format"), "{what}: {out}");
        } else {
            assert_eq!(code, 1, "{what}: {out}");
            assert!(out.contains("\nproblem: "), "{what}: {out}");
        }
    }
    // The unchanged bundle re-embedded: in place it still is not docflow's
    // revision; redefined later it is a change nobody signed.
    for embed in [Embed::InPlace, Embed::Redefine] {
        let (code, out) = verify_pdf(&mutate::reembed(p, &p.subject.stamped, json, embed));
        assert_ne!(code, 0, "{embed:?}: {out}");
    }
}

/// (5) A later revision with a visible FreeText annotation on page 1.
#[test]
fn later_visible_annotation_is_invalid() {
    let p = prepared();
    for base in [&p.subject.stamped, &p.benign] {
        let forged = mutate::freetext_update(base, p.page1);
        assert_visible(&forged, "the FreeText annotation");
        let (code, out) = verify_pdf(&forged);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("problem: modified after signing"), "{out}");
    }
}

/// Found by the campaign: a later revision that changes only the page-tree
/// root's /Count (the one change docs/stamped-pdf.md allows a page-tree
/// node) makes poppler show one page (the approval sheet gone), three, or
/// none, while `docflow verify` says VALID.
#[test]
fn later_page_count_change_is_invalid() {
    let p = prepared();
    let tree = mutate::latest_dict(&p.subject.stamped, p.pages);
    for count in ["1", "3", "0"] {
        let forged = mutate::append_update(
            &p.subject.stamped,
            &[(p.pages, mutate::set_key(&tree, "Count", count.as_bytes()))],
        );
        assert_visible(&forged, "the changed /Count");
        let (code, out) = verify_pdf(&forged);
        assert_eq!(code, 1, "/Count {count}: {out}");
        assert!(
            out.contains("problem: modified after signing"),
            "/Count {count}: {out}"
        );
    }
}
